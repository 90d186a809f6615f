/**
 * State a flood can neither wash out nor stall (issue 14):
 * - `banFlood`: a repeat offender's ban and an enumerating source's counters against a flood of 10 × the cap of
 *   one-shot sources from other prefixes, judged through the guard;
 * - `banCap`: adding a ban at the cap of 1M bans (BanList, one timed add after another);
 * - `banStore`: the embedded store: the longest event-loop pause while 100k bans are written, and a restart
 *   with 1M bans on file;
 * - `banMemory`: heap for 1M banned sources spread over 4,000 /24s (prefix aggregation on, the default).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGuard } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { BanList } from '../core/src/state/ban-list.js';
import { BanStore } from '../core/src/state/ban-store.js';
import { fmt, gc, median, percentile, type Row, type ScenarioResult } from './harness.js';
import type { StoreBurstResult } from './store-child.js';

type Result = Omit<ScenarioResult, 'seconds' | 'scenario'>;
const MB = 1024 * 1024;
const DAY = 86_400_000;

/** The n-th distinct /24 outside 198.51.100/24 and 203.0.113/24: 11.0.0.x upwards (n < 4M). */
function ownNet(n: number, host = 1): string {
  return `${11 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.${host}`;
}

const POLICY = {
  ttl: 600_000,
  escalation: 4,
  maxTtl: 7 * DAY,
  offenseMemory: 30 * DAY,
  maxBans: 1_000_000,
  aggregate: { after: 0, v4: [24, 16] as const, v6: [64, 48] as const },
};
const NO_EVENTS = { onBan: () => {}, onUnban: () => {} };

/** The V8 flags examples/systemd/ghostguard.service runs the daemon with (NODE_OPTIONS). */
export const SHIPPED_V8_FLAGS = ['--max-semi-space-size=2'];

/** bench/store-child.ts in a child process run with `flags` (and this process's loader): its JSON line. */
function storeChild<T>(flags: string[], args: string[]): T {
  const script = fileURLToPath(new URL('./store-child.ts', import.meta.url));
  const out = execFileSync(process.execPath, [...process.execArgv, ...flags, script, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return JSON.parse(out.trim().split('\n').pop()!) as T;
}

export function banFlood(): Result {
  const rows: Row[] = [];
  const notes: string[] = [];
  const maxBans = 20_000;
  const maxSources = 20_000;
  let clock = 1_700_000_000_000;
  const guard = createGuard(
    {
      log: { level: 'silent' },
      dataDir: null,
      bans: { maxBans, aggregate: { after: 0 } },
      behaviour: { maxSources },
      dialShape: { domains: ['video.example.com'], knownTargets: ['room-*'] },
    },
    { now: () => clock },
  );
  const attempt = (ip: string, over: Parameters<typeof sipAttempt>[0] = {}) =>
    sipAttempt({ source: { ip, port: 5060, transport: 'udp' }, time: clock, ...over });
  // The offender: banned twice (a repeat offence), and an enumerating neighbour with 7 unknown targets.
  guard.report({ kind: 'hijack-attempt', source: { ip: '203.0.113.66' }, time: clock });
  clock += 700_000;
  guard.report({ kind: 'hijack-attempt', source: { ip: '203.0.113.66' }, time: clock });
  for (let i = 0; i < 7; i++)
    guard.judge(attempt('198.51.100.9', { target: { user: `x${i * 7}q`, host: 'video.example.com' } }));
  // The flood: 10 × the cap of one-shot scanners, each from a /24 of its own, each judged and banned.
  const flood = 10 * maxBans;
  const scanner = { userAgent: 'friendly-scanner' };
  const t0 = performance.now();
  for (let i = 0; i < flood; i++) {
    clock += 0.02;
    guard.judge(attempt(ownNet(i), scanner));
  }
  const seconds = (performance.now() - t0) / 1000;
  const banVerdict = guard.judge(attempt('203.0.113.66'));
  const counterVerdict = guard.judge(attempt('198.51.100.9', { target: { user: 'x99q', host: 'video.example.com' } }));
  const banKept = banVerdict.reasons[0]?.rule === 'known-bad.banned';
  const countersKept = counterVerdict.reasons.some((r) => r.rule === 'behaviour.enumeration');
  const s = guard.stats();
  notes.push(
    `${s.bans === maxBans ? 'check ok' : 'CHECK FAILED'} (cap): ${s.bans} bans on file after ${flood} flood bans; tracked sources ${s.trackedSources} of ${maxSources}`,
  );
  rows.push(
    {
      name: `repeat offender still banned after ${flood.toLocaleString('en-US')} one-shot bans (maxBans ${maxBans.toLocaleString('en-US')})`,
      value: banKept ? 1 : 0,
      unit: 'yes=1',
      goal: { kind: 'min', value: 1 },
      note: `next call: ${banVerdict.intended}, ${banVerdict.reasons[0]?.rule}`,
    },
    {
      name: `enumerating source's counters kept after ${flood.toLocaleString('en-US')} fresh /24s (maxSources ${maxSources.toLocaleString('en-US')})`,
      value: countersKept ? 1 : 0,
      unit: 'yes=1',
      goal: { kind: 'min', value: 1 },
      note: `8th unknown target scores ${counterVerdict.score} (${counterVerdict.reasons.map((r) => r.rule).join(', ')})`,
    },
    {
      name: 'judging the flood, per attempt (each one a new ban at the cap)',
      value: (seconds * 1e6) / flood,
      unit: 'µs',
      goal: { kind: 'max', value: 20 },
      note: `${flood} attempts in ${fmt(seconds, 2)} s (the issue measured 30,000 in 28 s at maxBans 20,000 before)`,
    },
  );
  guard.close();
  return { rows, notes };
}

export function banCap(): Result {
  const rows: Row[] = [];
  const notes: string[] = [];
  const list = new BanList(POLICY, NO_EVENTS);
  const now = 1_700_000_000_000;
  for (let i = 0; i < POLICY.maxBans; i++) list.add(ownNet(i), 'fill', now + (i % 1000), 600_000 + (i % 7919));
  const n = 100_000;
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ip = ownNet(POLICY.maxBans + i);
    const t0 = performance.now();
    list.add(ip, 'one-shot at the cap', now + 2000 + i);
    times[i] = performance.now() - t0;
  }
  times.sort();
  notes.push(
    `${list.size === POLICY.maxBans ? 'check ok' : 'CHECK FAILED'} (cap): ${list.size} bans on file after ${n} adds at the cap of ${POLICY.maxBans}; aggregation off (every ban an address of its own /24: the worst case)`,
  );
  rows.push(
    {
      name: 'add a ban at the cap of 1M, median',
      value: median([...times]) * 1000,
      unit: 'µs',
      goal: { kind: 'max', value: 20 },
    },
    {
      name: 'add a ban at the cap of 1M, p99',
      value: percentile(times, 99) * 1000,
      unit: 'µs',
      goal: { kind: 'max', value: 200 },
      note: `max ${fmt(times[n - 1]! * 1000, 0)} µs over ${n} adds, each evicting the least severe ban that ends soonest (tiered heap, O(log n))`,
    },
  );
  return { rows, notes };
}

export async function banStore(): Promise<Result> {
  const rows: Row[] = [];
  const notes: string[] = [];
  const now = Date.now();
  {
    // 100k bans queued as a burst would queue them, written in the background: in a child process per V8
    // configuration (Node's defaults, and the young generation the shipped systemd unit sets).
    const byFlags = new Map<string, StoreBurstResult>();
    for (const flags of [[], SHIPPED_V8_FLAGS])
      byFlags.set(flags.join(' ') || 'defaults', storeChild<StoreBurstResult>(flags, ['--burst', '100000']));
    const shipped = byFlags.get(SHIPPED_V8_FLAGS.join(' '))!;
    const defaults = byFlags.get('defaults')!;
    for (const [name, r] of byFlags) {
      notes.push(
        `${r.written === 200_000 ? 'check ok' : 'CHECK FAILED'} (store, ${name}): ${r.written} rows written in ${r.transactions} background transactions, ${fmt(r.seconds, 2)} s; longest GC pause ${fmt(r.longestGcMs, 2)} ms`,
      );
    }
    rows.push({
      name: 'longest background batch while 100k bans are written',
      value: shipped.longestBatchMs,
      unit: 'ms',
      goal: { kind: 'max', value: 10 },
      note: 'time the store holds the event loop in one batch (performance.now around the transaction); the rows below add everything else the loop waited for, GC and the OS scheduler included',
    });
    rows.push({
      name: `longest event-loop pause while 100k bans are written (${SHIPPED_V8_FLAGS.join(' ')}, as shipped)`,
      value: shipped.maxPauseMs,
      unit: 'ms',
      goal: { kind: 'max', value: 10 },
      note: `p99 ${fmt(shipped.p99PauseMs, 2)} ms, mean ${fmt(shipped.meanPauseMs, 2)} ms (monitorEventLoopDelay, 1 ms resolution); WAL, synchronous=NORMAL, checkpoints in a worker thread; the systemd unit sets NODE_OPTIONS=${SHIPPED_V8_FLAGS.join(' ')}`,
    });
    rows.push({
      name: 'the same with Node defaults (young generation up to 16 MB)',
      value: defaults.maxPauseMs,
      unit: 'ms',
      note: `p99 ${fmt(defaults.p99PauseMs, 2)} ms; longest GC pause ${fmt(defaults.longestGcMs, 2)} ms against ${fmt(shipped.longestGcMs, 2)} ms as shipped: the scavenges of a burst's surviving objects, not the store`,
    });
  }
  {
    const dir = mkdtempSync(join(tmpdir(), 'gg-bench-store-'));
    const { store } = BanStore.open(dir, { flushEvery: 60_000, batchSize: 50_000 }, now);
    const total = 1_000_000;
    for (let i = 0; i < total; i++) {
      const ip = ownNet(i);
      store.ban(ip, { ip, reason: 'score 120: fp.ua.friendly-scanner', since: now, until: now + DAY, offense: 1 });
      store.offense(ip, { count: 1, last: now });
    }
    store.close();
    // in a process of its own, as the restarted daemon is (with the flags the shipped unit sets)
    const { seconds, bans } = storeChild<{ seconds: number; bans: number }>(SHIPPED_V8_FLAGS, ['--restart', dir]);
    notes.push(
      `${bans === total ? 'check ok' : 'CHECK FAILED'} (restart): ${bans} bans restored of ${total} on file (every one an address of its own /24; default configuration)`,
    );
    rows.push({
      name: 'restart with 1M bans (and 1M offence records) on file',
      value: seconds,
      unit: 's',
      goal: { kind: 'max', value: 2 },
      note: 'createGuard() with dataDir until it returns, in a new process: open, read the bans, rebuild the ban list, read the first page of offence records (the rest follow a page per event-loop turn)',
    });
    rmSync(dir, { recursive: true, force: true });
  }
  return { rows, notes };
}

export function banMemory(): Result {
  const notes: string[] = [];
  const guard = createGuard({ log: { level: 'silent' }, dataDir: null });
  gc();
  const before = process.memoryUsage().heapUsed;
  const total = 1_000_000;
  const nets = 4000;
  // 250 addresses in each of 4,000 /24s (spread over 16 /16s), banned in turn across the networks.
  for (let i = 0; i < total; i++) guard.bans.add(ownNet(i % nets, 1 + Math.floor(i / nets)), { reason: 'scanner' });
  gc();
  const after = process.memoryUsage().heapUsed;
  const s = guard.stats();
  notes.push(
    `check ${s.bans < 10_000 ? 'ok' : 'FAILED'} (aggregation): ${s.bans} entries on file for ${total} banned sources; ${guard.bans.get(ownNet(17, 200)) ? 'an address of a banned /24 is banned' : 'CHECK FAILED: an address of a banned /24 is not banned'}`,
  );
  guard.close();
  return {
    rows: [
      {
        name: 'heap for 1M banned sources over 4,000 /24s',
        value: (after - before) / MB,
        unit: 'MB',
        goal: { kind: 'max', value: 100 },
        note: 'bans.aggregate.after 64 (default): 64 addresses of a /24 fold into one prefix ban, 64 /24s of a /16 into one',
      },
    ],
    notes,
  };
}
