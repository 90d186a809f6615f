/**
 * Daemon benchmarks (`ghostguard run`):
 * 1. what the Prometheus metrics cost on the hot path: judge throughput with the daemon's metrics attached
 *    (judge() is then timed, and every verdict counted) vs. the same guard without, for fresh sources (full
 *    evaluation) and for already-banned sources (the cheapest verdict, where a fixed cost shows most);
 * 2. a scrape of /metrics over loopback with 100,000 active bans, and a reload (SIGHUP path) of an unchanged
 *    file: neither may stall the event loop the gate runs on.
 *
 * The daemon is imported by relative path: the root package does not depend on `@ghostguard/cli`.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createGuard, createLogger, type SipAttempt } from '@ghostguard/core';
import { startDaemon } from '../cli/src/daemon/daemon.js';
import { DaemonMetrics } from '../cli/src/daemon/metrics.js';
import { fmt, gc, judgeAll, median, percentile, type Row, spread, timedRun } from './harness.js';
import { benchConfig, freshBatch, SimClock, SourceGen, sipviciousAttempt } from './traffic.js';

const REPS = 5;
const FRESH_WARM = 50_000;
const FRESH_BATCH = 150_000;
const BANNED_SOURCES = 10_000;
const BANNED_CALLS = 1_000_000;

interface Pair {
  plain: number[];
  metered: number[];
  judged: number;
}

/** Two identical guards fed identical traffic, one with the daemon's metrics attached; reps interleaved. */
function freshPair(): Pair {
  const guards = [0, 1].map(() => {
    const clock = new SimClock();
    return { clock, guard: createGuard(benchConfig(), { now: clock.now }), gen: new SourceGen(10) };
  });
  const metrics = new DaemonMetrics();
  metrics.attach(guards[1]!.guard);
  for (const g of guards) judgeAll(g.guard, freshBatch(g.gen, g.clock, FRESH_WARM));
  const out: Pair = { plain: [], metered: [], judged: 0 };
  for (let r = 0; r < REPS; r++) {
    for (const [i, g] of guards.entries()) {
      const batch = freshBatch(g.gen, g.clock, FRESH_BATCH);
      gc();
      (i === 0 ? out.plain : out.metered).push(timedRun(g.guard, batch));
    }
  }
  out.judged = guards[1]!.guard.stats().judged;
  metrics.detach();
  for (const g of guards) g.guard.close();
  return out;
}

function bannedPair(notes: string[]): Pair {
  const out: Pair = { plain: [], metered: [], judged: 0 };
  const setups = [0, 1].map(() => {
    const clock = new SimClock();
    const guard = createGuard(benchConfig(), { now: clock.now });
    const gen = new SourceGen(10);
    const firsts: SipAttempt[] = [];
    for (let i = 0; i < BANNED_SOURCES; i++) firsts.push(sipviciousAttempt(gen.next(), 100 + (i % 900), clock.tick()));
    judgeAll(guard, firsts);
    const batch: SipAttempt[] = new Array(BANNED_CALLS);
    for (let i = 0; i < BANNED_CALLS; i++) batch[i] = firsts[i % BANNED_SOURCES]!;
    return { guard, batch };
  });
  const metrics = new DaemonMetrics();
  metrics.attach(setups[1]!.guard);
  for (const s of setups) judgeAll(s.guard, s.batch.slice(0, 200_000));
  for (let r = 0; r < REPS; r++) {
    for (const [i, s] of setups.entries()) {
      gc();
      (i === 0 ? out.plain : out.metered).push(timedRun(s.guard, s.batch));
    }
  }
  const st = setups[1]!.guard.stats();
  notes.push(
    `${st.bans === BANNED_SOURCES && st.byAction.allow === 0 ? 'check ok' : 'CHECK FAILED'} (banned, metered): ` +
      `bans ${st.bans}, judged ${st.judged}, allowed ${st.byAction.allow}`,
  );
  out.judged = st.judged;
  metrics.detach();
  for (const s of setups) s.guard.close();
  return out;
}

/** Added cost per verdict that stays negligible beside a SIP/H.323 transaction: 100,000 attempts/s cost 5% of a core. */
const ADDED_NS_GOAL = 500;

function pairRows(label: string, p: Pair): Row[] {
  const plain = median(p.plain);
  const metered = median(p.metered);
  return [
    {
      name: `judge, ${label}, no metrics`,
      value: plain,
      unit: 'judge/s',
      note: `${(1e6 / plain).toFixed(3)} µs per judge; ${spread(p.plain)}`,
    },
    {
      name: `judge, ${label}, daemon metrics attached`,
      value: metered,
      unit: 'judge/s',
      note: `${(1e6 / metered).toFixed(3)} µs per judge; ${spread(p.metered)}; ratio ${fmt(metered / plain)}`,
    },
    {
      name: `metrics cost per verdict, ${label}`,
      value: Math.max(0, (1 / metered - 1 / plain) * 1e9),
      unit: 'ns',
      goal: { kind: 'max', value: ADDED_NS_GOAL },
      note: 'two clock reads and the verdict event in the core, then array counters and a flat histogram',
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Scrape and reload on a running daemon

const SCRAPE_BANS = 100_000;
const SCRAPES = 30;
const RELOADS = 30;

async function scrapeAndReload(notes: string[]): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-bench-daemon-'));
  const path = join(dir, 'gg.yaml');
  writeFileSync(
    path,
    JSON.stringify({
      ...benchConfig(),
      bans: { maxBans: 1_000_000 },
      adapters: { h323Gate: { listen: { host: '127.0.0.1', port: 0 } } },
      daemon: {
        admin: { listen: { host: '127.0.0.1', port: 0 }, token: 'bench-token-0123456789' },
        metrics: { listen: { host: '127.0.0.1', port: 0 } },
      },
    }),
  );
  const daemon = await startDaemon({ configPath: path, env: {}, logger: createLogger({ log: { level: 'silent' } }) });
  try {
    for (let i = 0; i < SCRAPE_BANS; i++) {
      daemon.guard.bans.add(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, { reason: 'bench' });
    }
    const m = daemon.addresses.metrics!;
    const url = `http://${m.host}:${m.port}/metrics`;
    const scrapes: number[] = [];
    let bytes = 0;
    for (let i = 0; i < SCRAPES + 3; i++) {
      const t0 = performance.now();
      const text = await (await fetch(url)).text();
      const ms = performance.now() - t0;
      if (i >= 3) scrapes.push(ms);
      bytes = text.length;
      if (!text.includes(`ghostguard_bans_active ${SCRAPE_BANS}`)) notes.push('CHECK FAILED: scrape without the bans');
    }
    const reloads: number[] = [];
    for (let i = 0; i < RELOADS; i++) {
      const t0 = performance.now();
      const r = await daemon.reload();
      reloads.push(performance.now() - t0);
      if (!r.ok || r.restarted.length > 0) notes.push(`CHECK FAILED: reload ${JSON.stringify(r).slice(0, 200)}`);
    }
    notes.push(
      `check ok: ${daemon.guard.stats().bans} bans kept across ${RELOADS} reloads; exposition ${fmt(bytes / 1024, 1)} KiB`,
    );
    const ss = [...scrapes].sort((a, b) => a - b);
    const rs = [...reloads].sort((a, b) => a - b);
    return [
      {
        name: `GET /metrics with ${SCRAPE_BANS.toLocaleString('en-US')} bans, median`,
        value: median(scrapes),
        unit: 'ms',
        goal: { kind: 'max', value: 50 },
        note: `p99 ${fmt(percentile(ss, 99))} ms over ${SCRAPES} scrapes (loopback, default process metrics included)`,
      },
      {
        name: 'reload of an unchanged file, median',
        value: median(reloads),
        unit: 'ms',
        goal: { kind: 'max', value: 50 },
        note: `p99 ${fmt(percentile(rs, 99))} ms over ${RELOADS} reloads: read + validate + guard.reconfigure, no restart`,
      },
    ];
  } finally {
    await daemon.stop();
  }
}

export async function daemonMetrics(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const fresh = freshPair();
  const banned = bannedPair(notes);
  const rows = [
    ...pairRows('fresh sources', fresh),
    ...pairRows('already-banned sources', banned),
    ...(await scrapeAndReload(notes)),
  ];
  return { rows, notes };
}
