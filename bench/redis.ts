/**
 * Shared bans over Redis, against a real redis-server started here (the plugin's testing helper: 127.0.0.1,
 * random port, no persistence):
 * 1. ban propagation latency between two nodes on loopback: node A bans, node B's guard has the ban
 *    (its `ban` event with origin `replica`). One ban at a time, then a burst of bans decided in one go;
 * 2. judge throughput of a guard with the Redis attachment vs. the same guard with memory only, fresh
 *    sources from bench/traffic.ts (judge never touches Redis; this shows the attachment costs it nothing).
 * `redisReports` (failures reported by the PBX, shared between nodes):
 * 3. report propagation latency: node A's guard.report() to node B's `report` event (origin `replica`);
 * 4. password guessers spreading their tries round-robin over three nodes: tries that reach a PBX before every
 *    node refuses them, with report sharing and without.
 *
 * The plugin is imported by relative path: the root package does not depend on `@ghostguard/redis`.
 */
import { performance } from 'node:perf_hooks';
import {
  type BanInfo,
  type BanOrigin,
  type ConfigInput,
  createGuard,
  type Guard,
  type Outcome,
} from '@ghostguard/core';
import { attachRedisBans, type RedisBans, type RedisBansOptions } from '../plugins/redis/src/index.js';
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

function node(url: string, nodeId: string, config: ConfigInput = {}, options: RedisBansOptions = {}): Node {
  const guard = createGuard({ log: { level: 'silent' }, dataDir: null, ...config });
  return { guard, shared: attachRedisBans(guard, { url, nodeId, ...options }) };
}

async function closeAll(nodes: readonly Node[]): Promise<void> {
  for (const n of nodes) await n.shared.close();
  for (const n of nodes) n.guard.close();
}

/**
 * Distinct private (10/8) addresses, one per ban, each in a /24 of its own (up to 65,536): many bans of one /24
 * fold into one prefix ban (bans.aggregate), after which a ban of another address in it changes nothing on the
 * receiving node and raises no event to time.
 */
function banAddress(i: number): string {
  return `10.${(i >> 8) & 255}.${i & 255}.1`;
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

  // B's `ban` events can all arrive before A has read the replies to its own writes (both nodes share this
  // process; Redis publishes to B before it answers A): A's `published` counts a write when its reply is read.
  // Without this wait some runs read 550 on A while B had merged all 1050, each once.
  const expected = PROPAGATION_WARM + 2 * PROPAGATION_BANS;
  await waitUntil(
    () => a.shared.health().published + a.shared.health().failedWrites >= expected,
    10_000,
    'A acknowledged',
  );
  const ha = a.shared.health();
  const hb = b.shared.health();
  const ok = ha.published === expected && hb.merged === expected && ha.skippedWrites === 0 && ha.failedWrites === 0;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'} (propagation): A published ${ha.published}, B merged ${hb.merged} of ${expected}; A skipped ${ha.skippedWrites}, failed ${ha.failedWrites} writes`,
  );
  notes.push(
    'propagation: time from node A\u2019s bans.add() to node B\u2019s `ban` event (origin replica): one EVALSHA on A (SET PX + PUBLISH), pub/sub to B, zod validation and merge on B; both nodes in this process, Redis on 127.0.0.1',
  );
  await closeAll([a, b]);

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

// ---------------------------------------------------------------------------------------------------------------
// 3. Report propagation latency

const REPORT_WARM = 50;
const REPORT_COUNT = 500;

function authFailure(ip: string): Outcome {
  return { kind: 'auth-failure', source: { ip, port: 5060 }, detail: 'InvalidPassword', adapter: 'bench' };
}

async function reportPropagation(url: string, notes: string[]): Promise<Row[]> {
  // No ban from these: every report is about a new source and the threshold is far.
  const config = { bans: { failuresToBan: 1_000 } };
  const a = node(url, 'bench-a', config);
  const b = node(url, 'bench-b', config);
  await waitUntil(() => a.shared.health().state === 'up' && b.shared.health().state === 'up', 10_000, 'nodes up');
  const waiting = new Map<string, (at: number) => void>();
  b.guard.on('report', (o: Outcome, origin: BanOrigin) => {
    if (origin !== 'replica') return;
    const done = waiting.get(o.source.ip);
    if (done) {
      waiting.delete(o.source.ip);
      done(performance.now());
    }
  });
  const arrival = (ip: string): Promise<number> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiting.delete(ip);
        reject(new Error(`report about ${ip} did not arrive within ${PROPAGATION_TIMEOUT_MS} ms`));
      }, PROPAGATION_TIMEOUT_MS);
      waiting.set(ip, (at) => {
        clearTimeout(timer);
        resolve(at);
      });
    });
  const times: number[] = [];
  for (let i = 0; i < REPORT_WARM + REPORT_COUNT; i++) {
    const ip = banAddress(i);
    const arrived = arrival(ip);
    const t0 = performance.now();
    a.guard.report(authFailure(ip));
    const t1 = await arrived;
    if (i >= REPORT_WARM) times.push(t1 - t0);
  }
  const expected = REPORT_WARM + REPORT_COUNT;
  const ra = a.shared.health().reports;
  const rb = b.shared.health().reports;
  const ok = ra.published === expected && rb.applied === expected && ra.skipped === 0 && ra.failed === 0;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'} (report propagation): A published ${ra.published}, B counted ${rb.applied} of ${expected}; A skipped ${ra.skipped}, failed ${ra.failed}`,
  );
  await closeAll([a, b]);
  const sorted = Float64Array.from(times).sort();
  return [
    { name: `report propagation A→B, median (n=${REPORT_COUNT})`, value: median(times), unit: 'ms' },
    {
      name: `report propagation A→B, p99 (n=${REPORT_COUNT})`,
      value: percentile(sorted, 99),
      unit: 'ms',
      goal: { kind: 'max', value: 100 },
      note: `max ${fmt(sorted[sorted.length - 1]!, 3)} ms; guard.report() on A (PUBLISH) to B's \`report\` event (zod validation, clamp, guard.report as replica)`,
    },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Guessers spread over three nodes

const GUESSERS = 50;
const FAILURES_TO_BAN = 10;
const GUESS_INTERVAL_MS = 10;
/** A faster guesser: one try per millisecond (timer resolution), where propagation starts to matter. */
const FAST_INTERVAL_MS = 1;
/** A guesser still accepted somewhere after this many rounds is counted as never banned. */
const MAX_ROUNDS = 100;

/**
 * GUESSERS sources guess in parallel, one try every `intervalMs` each, round-robin over three nodes (try k
 * on node k mod 3). A try reaches the PBX unless the node it lands on refuses the source (judge: banned); each try
 * that reaches it is reported as an auth failure there. Returns the tries each guesser got through before every
 * node refused it.
 */
async function spreadGuessers(url: string, share: boolean, offset: number, intervalMs: number): Promise<number[]> {
  const config = { bans: { failuresToBan: FAILURES_TO_BAN } };
  const nodes = [0, 1, 2].map((i) =>
    node(url, `bench-g${i}`, config, { shareReports: share, keyPrefix: `gs${offset}:` }),
  );
  await waitUntil(() => nodes.every((n) => n.shared.health().state === 'up'), 10_000, 'nodes up');
  const ips = Array.from({ length: GUESSERS }, (_, i) => banAddress(offset + i));
  const through = new Array<number>(GUESSERS).fill(0);
  const done = new Array<boolean>(GUESSERS).fill(false);
  for (let round = 0; round < MAX_ROUNDS && done.includes(false); round++) {
    const n = nodes[round % 3]!;
    for (let g = 0; g < GUESSERS; g++) {
      if (done[g]) continue;
      const ip = ips[g]!;
      if (nodes.every((x) => x.guard.bans.get(ip) !== undefined)) {
        done[g] = true;
        continue;
      }
      if (n.guard.bans.get(ip) !== undefined) continue;
      through[g]!++;
      n.guard.report(authFailure(ip));
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  await closeAll(nodes);
  return through.map((t, g) => (done[g] ? t : Number.POSITIVE_INFINITY));
}

async function guessers(url: string, notes: string[]): Promise<Row[]> {
  const shared = await spreadGuessers(url, true, 10_000, GUESS_INTERVAL_MS);
  const alone = await spreadGuessers(url, false, 20_000, GUESS_INTERVAL_MS);
  const fast = await spreadGuessers(url, true, 30_000, FAST_INTERVAL_MS);
  const never = (xs: number[]) => xs.filter((x) => !Number.isFinite(x)).length;
  notes.push(
    `${never(shared) + never(fast) === 0 ? 'check ok' : 'CHECK FAILED'} (guessers): with sharing ${GUESSERS - never(shared)} of ${GUESSERS} banned on all 3 nodes (${GUESSERS - never(fast)} at one try per ms); without ${GUESSERS - never(alone)} (within ${MAX_ROUNDS} rounds)`,
  );
  notes.push(
    `guessers: ${GUESSERS} sources in parallel, one try every ${GUESS_INTERVAL_MS} ms each, round-robin over 3 nodes, failuresToBan ${FAILURES_TO_BAN}; a try counts when the node it lands on has not banned the source`,
  );
  const sortedShared = [...shared].sort((x, y) => x - y);
  const sortedAlone = [...alone].sort((x, y) => x - y);
  const sortedFast = [...fast].sort((x, y) => x - y);
  return [
    {
      name: 'tries a 3-node guesser gets through, reports shared, max',
      value: sortedShared[sortedShared.length - 1]!,
      unit: 'tries',
      goal: { kind: 'max', value: FAILURES_TO_BAN },
      note: `median ${median(shared)}; the goal: banned as if it had hit one node (failuresToBan)`,
    },
    {
      name: 'tries a 3-node guesser gets through, shareReports off, median',
      value: median(alone),
      unit: 'tries',
      note: `max ${sortedAlone[sortedAlone.length - 1]}; each node counts only its own third of the tries`,
    },
    {
      name: `tries a 3-node guesser gets through at one try per ${FAST_INTERVAL_MS} ms, reports shared, max`,
      value: sortedFast[sortedFast.length - 1]!,
      unit: 'tries',
      note: `median ${median(fast)}; ${GUESSERS} guessers per round: a try can land before the last report arrived`,
    },
  ];
}

/** Failures reported by the PBX, shared between nodes over Redis. */
export async function redisReports(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const server = await startRedisServer();
  try {
    const rows = [...(await reportPropagation(server.url, notes)), ...(await guessers(server.url, notes))];
    notes.push(`redis-server on 127.0.0.1:${server.port}, no persistence, started by the bench`);
    return { rows, notes };
  } finally {
    await server.stop();
  }
}
