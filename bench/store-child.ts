/**
 * The embedded store's measurements that need a process of their own (`node store-child.ts --burst 100000` or
 * `--restart <dir>`, one JSON line on stdout):
 *
 * Burst: one burst of 100k bans (and their offence records) queued into the embedded store as a flood would queue
 * them (500 per turn of the event loop) and written in the background, in a process of its own so that the V8
 * flags it runs with are the ones measured (bench/state.ts `banStore` runs it with Node's defaults and with the
 * young-generation size the shipped systemd unit sets). Prints one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, performance } from 'node:perf_hooks';
import { ConfigSchema, createGuard } from '@ghostguard/core';
import { BanStore } from '../core/src/state/ban-store.js';

export interface StoreBurstResult {
  maxPauseMs: number;
  p99PauseMs: number;
  meanPauseMs: number;
  longestBatchMs: number;
  longestGcMs: number;
  written: number;
  transactions: number;
  seconds: number;
}

/** The n-th distinct /24 outside the documentation ranges: 11.0.0.x upwards. */
function ownNet(n: number): string {
  return `${11 + (n >> 16)}.${(n >> 8) & 255}.${n & 255}.1`;
}

async function burst(total: number): Promise<StoreBurstResult> {
  const now = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'gg-bench-store-'));
  const { store } = BanStore.open(dir, { flushEvery: 200, batchSize: ConfigSchema.parse({}).store.batchSize }, now);
  store.startCheckpointer();
  let longestGcMs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longestGcMs = Math.max(longestGcMs, e.duration);
  });
  gcs.observe({ entryTypes: ['gc'] });
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  for (let i = 0; i < total; i += 500) {
    for (let j = i; j < i + 500; j++) {
      const ip = ownNet(j);
      store.ban(ip, { ip, reason: 'score 120: fp.ua.friendly-scanner', since: now, until: now + 600_000, offense: 1 });
      store.offense(ip, { count: 1, last: now });
    }
    await new Promise((r) => setImmediate(r));
  }
  while (store.pending > 0) await new Promise((r) => setTimeout(r, 5));
  const seconds = (performance.now() - t0) / 1000;
  h.disable();
  gcs.disconnect();
  const result: StoreBurstResult = {
    maxPauseMs: h.max / 1e6,
    p99PauseMs: h.percentile(99) / 1e6,
    meanPauseMs: h.mean / 1e6,
    longestBatchMs: store.longestBatchMs,
    longestGcMs,
    written: store.written,
    transactions: store.transactions,
    seconds,
  };
  store.close();
  rmSync(dir, { recursive: true, force: true });
  return result;
}

/**
 * Restart: createGuard() with `dir` as its dataDir in a fresh process, as a restarted daemon does (the process
 * that wrote the file holds a heap of its own garbage, which a real restart does not).
 */
function restart(dir: string): { seconds: number; bans: number } {
  const t0 = performance.now();
  const guard = createGuard({ log: { level: 'silent' }, dataDir: dir });
  const seconds = (performance.now() - t0) / 1000;
  const bans = guard.stats().bans;
  guard.close();
  return { seconds, bans };
}

if (process.argv[2] === '--burst') {
  const r = await burst(Number(process.argv[3] ?? 100_000));
  process.stdout.write(`${JSON.stringify(r)}\n`);
} else if (process.argv[2] === '--restart') {
  process.stdout.write(`${JSON.stringify(restart(process.argv[3] as string))}\n`);
}
