/**
 * Shared bans over Redis, against a real redis-server started here (the plugin's testing helper: 127.0.0.1,
 * random port, no persistence):
 * 1. ban propagation latency between two nodes on loopback: node A bans, node B's guard has the ban
 *    (its `ban` event with origin `replica`). One ban at a time, then a burst of bans decided in one go;
 * 2. judge throughput of a guard with the Redis attachment vs. the same guard with memory only, fresh
 *    sources from bench/traffic.ts (judge never touches Redis; this shows the attachment costs it nothing).
 *
 * The plugin is imported by relative path: the root package does not depend on `@ghostguard/redis`.
 */
import { performance } from 'node:perf_hooks';
import { type BanInfo, type BanOrigin, createGuard, type Guard } from '@ghostguard/core';
import { attachRedisBans, type RedisBans } from '../plugins/redis/src/index.js';
import { startRedisServer, waitUntil } from '../plugins/redis/src/testing.js';
import { fmt, gc, judgeAll, median, percentile, type Row, spread, timedRun } from './harness.js';
import { benchConfig, freshBatch, SimClock, SourceGen } from './traffic.js';

// ---------------------------------------------------------------------------------------------------------------
// 1. Propagation latency

const PROPAGATION_WARM = 50;
const PROPAGATION_BANS = 500;
const PROPAGATION_TIMEOUT_MS = 5_000;

interface Node {
  guard: Guard;
  shared: RedisBans;
}

function node(url: string, nodeId: string): Node {
  const guard = createGuard({ log: { level: 'silent' }, dataDir: null });
  return { guard, shared: attachRedisBans(guard, { url, nodeId }) };
}

/** Distinct private (10/8) addresses, one per ban. */
function banAddress(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

/** Resolves with performance.now() when `ip`'s ban arrives on `to` from elsewhere. */
class Arrivals {
  private readonly waiting = new Map<string, (at: number) => void>();
  constructor(guard: Guard) {
    guard.on('ban', (ban: BanInfo, origin: BanOrigin) => {
      if (origin !== 'replica') return;
      const done = this.waiting.get(ban.ip);
      if (done) {
        this.waiting.delete(ban.ip);
        done(performance.now());
      }
    });
  }

  expect(ip: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(ip);
        reject(new Error(`ban of ${ip} did not arrive within ${PROPAGATION_TIMEOUT_MS} ms`));
      }, PROPAGATION_TIMEOUT_MS);
      this.waiting.set(ip, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  }
}

async function propagation(url: string, notes: string[]): Promise<Row[]> {
  const a = node(url, 'bench-a');
  const b = node(url, 'bench-b');
  await waitUntil(() => a.shared.health().state === 'up' && b.shared.health().state === 'up', 10_000, 'nodes up');
  const arrivals = new Arrivals(b.guard);
  let next = 0;

  // One at a time: the latency of a single ban on an idle link.
  const one: number[] = [];
  for (let i = 0; i < PROPAGATION_WARM + PROPAGATION_BANS; i++) {
    const ip = banAddress(next++);
    const arrived = arrivals.expect(ip);
    const t0 = performance.now();
    a.guard.bans.add(ip, { reason: 'bench', ttl: 600_000 });
    const t1 = await arrived;
    if (i >= PROPAGATION_WARM) one.push(t1 - t0);
  }

  // A burst: PROPAGATION_BANS bans decided in one synchronous run (a distributed sweep hitting node A).
  const ips = Array.from({ length: PROPAGATION_BANS }, () => banAddress(next++));
  const pending = ips.map((ip) => arrivals.expect(ip));
  const t0 = performance.now();
  for (const ip of ips) a.guard.bans.add(ip, { reason: 'bench burst', ttl: 600_000 });
  const burst = (await Promise.all(pending)).map((t) => t - t0);

  const ha = a.shared.health();
  const hb = b.shared.health();
  const expected = PROPAGATION_WARM + 2 * PROPAGATION_BANS;
  const ok = ha.published === expected && hb.merged === expected && ha.skippedWrites === 0 && ha.failedWrites === 0;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'} (propagation): A published ${ha.published}, B merged ${hb.merged} of ${expected}; A skipped ${ha.skippedWrites}, failed ${ha.failedWrites} writes`,
  );
  notes.push(
    'propagation: time from node A\u2019s bans.add() to node B\u2019s `ban` event (origin replica): one EVALSHA on A (SET PX + PUBLISH), pub/sub to B, zod validation and merge on B; both nodes in this process, Redis on 127.0.0.1',
  );
  await a.shared.close();
  await b.shared.close();
  a.guard.close();
  b.guard.close();

  const so = Float64Array.from(one).sort();
  const sb = Float64Array.from(burst).sort();
  return [
    { name: `ban propagation A→B, one at a time, median (n=${PROPAGATION_BANS})`, value: median(one), unit: 'ms' },
    {
      name: `ban propagation A→B, one at a time, p99 (n=${PROPAGATION_BANS})`,
      value: percentile(so, 99),
      unit: 'ms',
      goal: { kind: 'max', value: 100 },
      note: `max ${fmt(so[so.length - 1]!, 3)} ms; after ${PROPAGATION_WARM} warm-up bans`,
    },
    { name: `ban propagation A→B, burst of ${PROPAGATION_BANS}, median`, value: median(burst), unit: 'ms' },
    {
      name: `ban propagation A→B, burst of ${PROPAGATION_BANS}, p99`,
      value: percentile(sb, 99),
      unit: 'ms',
      goal: { kind: 'max', value: 100 },
      note: `max ${fmt(sb[sb.length - 1]!, 3)} ms; ${PROPAGATION_BANS} bans added in one synchronous loop, each timed from the loop's start`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Judge throughput with the attachment vs. memory only

const FRESH_WARM = 50_000;
const FRESH_BATCH = 150_000;
const REPS = 5;

async function throughput(url: string, notes: string[]): Promise<Row[]> {
  const clockMem = new SimClock();
  const clockRedis = new SimClock();
  const memory = createGuard(benchConfig(), { now: clockMem.now });
  const attached = createGuard(benchConfig(), { now: clockRedis.now });
  const shared = attachRedisBans(attached, { url, nodeId: 'bench-judge' });
  await waitUntil(() => shared.health().state === 'up', 10_000, 'attachment up');
  // The same address sequence for both guards.
  const genMem = new SourceGen(10);
  const genRedis = new SourceGen(10);
  judgeAll(memory, freshBatch(genMem, clockMem, FRESH_WARM));
  judgeAll(attached, freshBatch(genRedis, clockRedis, FRESH_WARM));

  const memRates: number[] = [];
  const redisRates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    // Alternating, and letting the event loop run between runs (the attachment's timers and sockets get their turn).
    const bm = freshBatch(genMem, clockMem, FRESH_BATCH);
    gc();
    memRates.push(timedRun(memory, bm));
    await new Promise((done) => setImmediate(done));
    const br = freshBatch(genRedis, clockRedis, FRESH_BATCH);
    gc();
    redisRates.push(timedRun(attached, br));
    await new Promise((done) => setImmediate(done));
  }
  const sm = memory.stats();
  const sr = attached.stats();
  const ok =
    sm.judged === sr.judged &&
    sm.byAction.allow === sm.judged &&
    sr.byAction.allow === sr.judged &&
    shared.health().state === 'up';
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'} (throughput): judged ${sm.judged} (memory) / ${sr.judged} (redis), all allowed: ${sm.byAction.allow === sm.judged && sr.byAction.allow === sr.judged}; attachment ${shared.health().state}`,
  );
  await shared.close();
  memory.close();
  attached.close();

  const m = median(memRates);
  const rr = median(redisRates);
  return [
    {
      name: 'judge, fresh sources, memory only',
      value: m,
      unit: 'judge/s',
      note: `${spread(memRates)}; ${REPS} x ${FRESH_BATCH.toLocaleString('en-US')} never-seen sources after ${FRESH_WARM.toLocaleString('en-US')} warm-up`,
    },
    {
      name: 'judge, fresh sources, with the Redis attachment',
      value: rr,
      unit: 'judge/s',
      note: spread(redisRates),
    },
    {
      name: 'judge throughput, Redis attachment / memory only',
      value: rr / m,
      unit: 'x',
      goal: { kind: 'min', value: 0.95 },
      note: 'ratio of medians, runs alternated between the two guards',
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------

export async function redisBans(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const server = await startRedisServer();
  try {
    const rows = [...(await propagation(server.url, notes)), ...(await throughput(server.url, notes))];
    notes.push(`redis-server on 127.0.0.1:${server.port}, no persistence, started by the bench`);
    return { rows, notes };
  } finally {
    await server.stop();
  }
}
