/**
 * Refusal lines under a flood (issue 22: a third of the drachtio app's CPU went into one info line per refused
 * packet). A scanner flood of 1,000,000 refusals from 10,000 sources at 100,000 a (simulated) second, written through
 * a real pino logger into a discarding stream: the core's RefusalLog against one line per refusal, and the guard as
 * the drachtio app and the daemon run it (info level, banned sources hammering).
 * Goals: a refusal costs ≤ 1 µs of logging (the issue measured ~200–250 µs of CPU per scanner INVITE, a third of it
 * in one log line), and a flood writes ≤ 20 lines a second (10 itemised + 10 window lines, the default budget).
 */
import { Writable } from 'node:stream';
import { createGuard, createLogger, RefusalLog, type SipAttempt } from '@ghostguard/core';
import { gc, type Row, type ScenarioResult } from './harness.js';
import { benchConfig, sipviciousAttempt, T0 } from './traffic.js';

const REFUSALS = 1_000_000;
const SOURCES = 10_000;
const STEP_MS = 0.01; // 100,000 refusals a second

function discarding(onLine: (chunk: string) => void) {
  return new Writable({
    write(chunk, _enc, cb) {
      onLine(String(chunk));
      cb();
    },
  });
}

const REASONS = [{ rule: 'known-bad.banned', detail: 'banned', weight: 100 }];
const sourceNames = Array.from({ length: SOURCES }, (_, s) => `10.${s >> 16}.${(s >> 8) & 255}.${s & 255}`);

/** Counts the lines of a run per simulated second, ban lines apart; only while `on`. */
function lineCounter(clock: { t: number }) {
  const c = { on: true, lines: 0, bans: 0, perSecond: new Map<number, number>() };
  const stream = discarding((chunk) => {
    if (!c.on) return;
    if (chunk.includes('"event":"ban"')) {
      c.bans++;
      return;
    }
    c.lines++;
    const s = Math.floor(clock.t / 1000);
    c.perSecond.set(s, (c.perSecond.get(s) ?? 0) + 1);
  });
  return { c, logger: createLogger({ log: { level: 'info' } }, stream) };
}

/** ns per refusal and the most lines written in one simulated second. */
function run(aggregate: boolean, sources: number): { ns: number; maxPerSecond: number; lines: number } {
  const clock = { t: T0 };
  const { c, logger } = lineCounter(clock);
  const log = new RefusalLog(logger, { of: 'verdict', now: () => clock.t, sweep: false });
  gc();
  const t0 = process.hrtime.bigint();
  let nextSweep = clock.t + 1000;
  for (let i = 0; i < REFUSALS; i++) {
    const source = sourceNames[i % sources]!;
    const t = clock.t;
    if (aggregate) {
      const note = log.take(source, 'drop', REASONS, t);
      if (note !== undefined) logger.info({ event: 'verdict', source, action: 'drop', ...note }, 'drop call attempt');
      if (t >= nextSweep) {
        log.flush(t);
        nextSweep += 1000;
      }
    } else logger.info({ event: 'verdict', source, action: 'drop', rules: ['known-bad.banned'] }, 'drop call attempt');
    clock.t += STEP_MS;
  }
  const ns = Number(process.hrtime.bigint() - t0) / REFUSALS;
  c.on = false; // close() writes every pending window at once: a shutdown, not the flood
  log.close();
  return { ns, maxPerSecond: Math.max(...c.perSecond.values()), lines: c.lines };
}

/** µs per judge of banned sources hammering a guard that logs at info (the drachtio app's and the daemon's path). */
function guardFlood(): { us: number; lines: number; bans: number; maxPerSecond: number } {
  const clock = { t: T0 };
  const { c, logger } = lineCounter(clock);
  const guard = createGuard({ ...benchConfig(), log: { level: 'info' } }, { logger, now: () => clock.t });
  const attempts: SipAttempt[] = sourceNames.map((ip, i) => sipviciousAttempt(ip, 100 + (i % 900), clock.t));
  gc();
  const n = 500_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    guard.judge(attempts[i % SOURCES]!); // each source banned on its first INVITE, refused on the ban after that
    clock.t += STEP_MS;
  }
  const us = Number(process.hrtime.bigint() - t0) / n / 1000;
  c.on = false;
  guard.close();
  return { us, lines: c.lines, bans: c.bans, maxPerSecond: Math.max(...c.perSecond.values()) };
}

export function refusalLog(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const before = run(false, SOURCES);
  const after = run(true, SOURCES);
  const few = run(true, 100);
  const guard = guardFlood();
  const rows: Row[] = [
    {
      name: 'refusal log: ns per refusal (100 sources, pino)',
      value: few.ns,
      unit: 'ns',
      goal: { kind: 'max', value: 1000 },
    },
    {
      name: 'refusal log: ns per refusal (10,000 sources, pino)',
      value: after.ns,
      unit: 'ns',
      goal: { kind: 'max', value: 1000 },
    },
    {
      name: 'refusal log: most lines in one second (100,000 refusals/s)',
      value: after.maxPerSecond,
      unit: 'lines',
      goal: { kind: 'max', value: 20 },
    },
    { name: 'one line per refusal (before): ns per refusal', value: before.ns, unit: 'ns' },
    { name: 'guard, banned flood at info: µs per judge (lines included)', value: guard.us, unit: 'µs' },
    {
      name: 'guard, banned flood at info: most lines in one second',
      value: guard.maxPerSecond,
      unit: 'lines',
      goal: { kind: 'max', value: 20 },
    },
  ];
  return {
    rows,
    notes: [
      `refusal log: ${REFUSALS} refusals → ${after.lines} lines (one line per refusal: ${before.lines}); ` +
        `${(before.ns / after.ns).toFixed(1)}× less time per refusal`,
      `guard: 500,000 scanner INVITEs from ${SOURCES} sources → ${guard.lines} verdict/refusals lines and ${guard.bans} ban lines (one per ban, /24 folds included; not budgeted)`,
    ],
  };
}
