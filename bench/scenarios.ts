import { createGuard, type Guard, type SipAttempt } from '@ghostguard/core';
import { analyzeScale } from './analyze-scale.js';
import { asterisk } from './asterisk.js';
import { daemonMetrics } from './daemon.js';
import { drachtio } from './drachtio.js';
import { firewall } from './firewall.js';
import { flood } from './flood.js';
import { freeswitch } from './freeswitch.js';
import { freeswitchRooms } from './freeswitch-rooms.js';
import { h323Decode } from './h323-decode.js';
import { h323Flood } from './h323-flood.js';
import { h323Gate } from './h323-gate.js';
import { gc, judgeAll, median, percentile, type Row, type ScenarioResult, sink, spread, timedRun } from './harness.js';
import { redisBans, redisReports } from './redis.js';
import { refusalLog } from './refusal-log.js';
import { banCap, banFlood, banMemory, banStore } from './state.js';
import {
  benchConfig,
  freshBatch,
  legitTemplates,
  SimClock,
  SourceGen,
  sipviciousAttempt,
  T0,
  tollFraudAttempt,
} from './traffic.js';

const MB = 1e6;
const REPS = 5;

function perCall(rate: number): string {
  return `${(1e6 / rate).toFixed(2)} µs per judge`;
}

function checkAllAllowed(guard: Guard, label: string, notes: string[]): void {
  const s = guard.stats();
  const ok = s.byAction.allow === s.judged && s.bans === 0 && s.invalid === 0 && s.internalErrors === 0;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'} (${label}): judged ${s.judged}, allowed ${s.byAction.allow}, ` +
      `bans ${s.bans}, invalid ${s.invalid}, internal errors ${s.internalErrors}, tracked sources ${s.trackedSources}, ` +
      `tracked prefixes ${s.trackedPrefixes}`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Fresh sources, full evaluation

const FRESH_WARM = 50_000;
const FRESH_BATCH = 150_000;

function freshVariant(maxSources: number | undefined, label: string, notes: string[]): Row {
  const clock = new SimClock();
  const guard = createGuard(benchConfig(maxSources), { now: clock.now });
  const gen = new SourceGen(10);
  judgeAll(guard, freshBatch(gen, clock, FRESH_WARM));
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const batch = freshBatch(gen, clock, FRESH_BATCH);
    gc();
    rates.push(timedRun(guard, batch));
  }
  checkAllAllowed(guard, label, notes);
  guard.close();
  return {
    name: `judge, fresh sources, ${label}`,
    value: median(rates),
    unit: 'judge/s',
    goal: { kind: 'min', value: 400_000 },
    note: `${perCall(median(rates))}; ${spread(rates)}; ${REPS} x ${FRESH_BATCH.toLocaleString('en-US')} never-seen sources (90% IPv4, 10% IPv6) after ${FRESH_WARM.toLocaleString('en-US')} warm-up`,
  };
}

export function fresh(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const notes: string[] = [];
  const rows = [
    freshVariant(undefined, 'default cap 100k (evicting)', notes),
    // warm-up + reps = 1.1M sources: below the cap, so nothing is evicted.
    freshVariant(2_000_000, 'cap 2M (no eviction)', notes),
  ];
  return { rows, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Already-banned sources

const BANNED_SOURCES = 10_000;
const BANNED_CALLS = 1_000_000;

export function banned(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const notes: string[] = [];
  const clock = new SimClock();
  const guard = createGuard(benchConfig(), { now: clock.now });
  const gen = new SourceGen(10);
  const attempts: SipAttempt[] = [];
  for (let i = 0; i < BANNED_SOURCES; i++) attempts.push(sipviciousAttempt(gen.next(), 100 + (i % 900), clock.tick()));
  // Bans come from judging: the first attempt of each source matches the SIPVicious fingerprints.
  judgeAll(guard, attempts);
  const bans = guard.stats().bans;
  notes.push(
    `${bans === BANNED_SOURCES ? 'check ok' : 'CHECK FAILED'}: ${bans} of ${BANNED_SOURCES} sources banned by judging one SIPVicious INVITE each`,
  );
  // Later attempts from the same sources, same shape; only the time moves on.
  const batch: SipAttempt[] = new Array(BANNED_CALLS);
  for (let i = 0; i < BANNED_CALLS; i++) {
    const a = attempts[i % BANNED_SOURCES]!;
    batch[i] = i < BANNED_SOURCES ? { ...a, time: clock.tick() } : batch[i - BANNED_SOURCES]!;
  }
  // warm-up
  judgeAll(guard, batch.slice(0, 200_000));
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    gc();
    rates.push(timedRun(guard, batch));
  }
  const s = guard.stats();
  const allRefused = s.byAction.allow === 0 && s.bans === BANNED_SOURCES;
  notes.push(
    `${allRefused ? 'check ok' : 'CHECK FAILED'}: judged ${s.judged}, drop ${s.byAction.drop}, reject ${s.byAction.reject}, allow ${s.byAction.allow}, bans ${s.bans}`,
  );
  guard.close();
  return {
    rows: [
      {
        name: 'judge, already-banned sources',
        value: median(rates),
        unit: 'judge/s',
        goal: { kind: 'min', value: 1_000_000 },
        note: `${perCall(median(rates))}; ${spread(rates)}; ${REPS} x ${BANNED_CALLS.toLocaleString('en-US')} calls round-robin over ${BANNED_SOURCES.toLocaleString('en-US')} banned sources`,
      },
    ],
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Latency of one judge call, fresh sources

const LAT_WARM = 100_000;
const LAT_CALLS = 200_000;
const LAT_REPS = 3;

function timerOverhead(n: number): Float64Array {
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const t1 = process.hrtime.bigint();
    d[i] = Number(t1 - t0);
  }
  return d.sort();
}

export function latency(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const notes: string[] = [];
  const clock = new SimClock();
  const guard = createGuard(benchConfig(), { now: clock.now });
  const gen = new SourceGen(10);
  judgeAll(guard, freshBatch(gen, clock, LAT_WARM));
  timerOverhead(50_000);
  const overhead = timerOverhead(LAT_CALLS);
  const reps: Array<{ p50: number; p99: number; p999: number; max: number }> = [];
  for (let r = 0; r < LAT_REPS; r++) {
    const batch = freshBatch(gen, clock, LAT_CALLS);
    const d = new Float64Array(LAT_CALLS);
    gc();
    let acc = 0;
    for (let i = 0; i < LAT_CALLS; i++) {
      const a = batch[i]!;
      const t0 = process.hrtime.bigint();
      const v = guard.judge(a);
      const t1 = process.hrtime.bigint();
      d[i] = Number(t1 - t0);
      acc += v.reasons.length;
    }
    sink.n += acc;
    d.sort();
    reps.push({
      p50: percentile(d, 50) / 1000,
      p99: percentile(d, 99) / 1000,
      p999: percentile(d, 99.9) / 1000,
      max: d[d.length - 1]! / 1000,
    });
  }
  checkAllAllowed(guard, 'latency', notes);
  guard.close();
  const pick = (k: keyof (typeof reps)[number]) => reps.map((x) => x[k]);
  const ovP50 = percentile(overhead, 50) / 1000;
  notes.push(
    `timer overhead (empty hrtime.bigint pair): p50 ${ovP50.toFixed(3)} µs, p99 ${(percentile(overhead, 99) / 1000).toFixed(3)} µs; included in the figures above`,
  );
  notes.push(
    `${LAT_REPS} reps x ${LAT_CALLS.toLocaleString('en-US')} calls after ${LAT_WARM.toLocaleString('en-US')} warm-up, default cap (evicting), median rep shown; worst max over all reps ${Math.max(...pick('max')).toFixed(0)} µs`,
  );
  return {
    rows: [
      { name: 'judge latency p50', value: median(pick('p50')), unit: 'µs', note: spread(pick('p50'), 2) },
      {
        name: 'judge latency p99',
        value: median(pick('p99')),
        unit: 'µs',
        goal: { kind: 'max', value: 10 },
        note: spread(pick('p99'), 2),
      },
      { name: 'judge latency p99.9', value: median(pick('p999')), unit: 'µs', note: spread(pick('p999'), 1) },
      { name: 'judge latency max', value: median(pick('max')), unit: 'µs', note: spread(pick('max'), 0) },
      { name: 'timer overhead p50 (empty pair)', value: ovP50, unit: 'µs' },
    ],
    notes,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// 4. Heap per tracked source

/** Judges `count` attempts from never-seen sources, building each just before its judge call. */
/** `count` never-seen sources, each judged `visits` times in a row (a source seen once is stored without an object). */
function feed(guard: Guard, gen: SourceGen, clock: SimClock, count: number, visits = 1): void {
  const templates = legitTemplates();
  let acc = 0;
  for (let i = 0; i < count; i++) {
    const tpl = templates[i % templates.length]!;
    const ip = gen.next();
    for (let v = 0; v < visits; v++) {
      acc += guard.judge({ ...tpl, source: { ip, port: 5060, transport: 'udp' }, time: clock.tick() }).reasons.length;
    }
  }
  sink.n += acc;
}

function heapUsed(): number {
  gc();
  return process.memoryUsage().heapUsed;
}

export function heap(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const notes: string[] = [];
  const rows: Row[] = [];
  {
    const clock = new SimClock();
    const guard = createGuard(benchConfig(1_100_000), { now: clock.now });
    const gen = new SourceGen(10);
    const before = heapUsed();
    feed(guard, gen, clock, 1_000_000);
    const after = heapUsed();
    const s = guard.stats();
    notes.push(
      `${s.trackedSources === 1_000_000 ? 'check ok' : 'CHECK FAILED'} (cap 1.1M): tracked sources ${s.trackedSources}, prefixes ${s.trackedPrefixes}, allowed ${s.byAction.allow}/${s.judged}`,
    );
    rows.push({
      name: 'heap for 1M distinct sources (cap 1.1M)',
      value: (after - before) / MB,
      unit: 'MB',
      goal: { kind: 'max', value: 300 },
      note: `${((after - before) / 1_000_000).toFixed(0)} bytes per source (source + /24 or /64 prefix entry), each source seen once`,
    });
    guard.close();
  }
  {
    // The same with every source coming back once: each then holds a full activity record.
    const clock = new SimClock();
    const guard = createGuard(benchConfig(1_100_000), { now: clock.now });
    const gen = new SourceGen(10);
    const before = heapUsed();
    feed(guard, gen, clock, 1_000_000, 2);
    const after = heapUsed();
    rows.push({
      name: 'heap for 1M distinct sources, each seen twice (cap 1.1M)',
      value: (after - before) / MB,
      unit: 'MB',
      goal: { kind: 'max', value: 300 },
      note: `${((after - before) / 1_000_000).toFixed(0)} bytes per source with full records`,
    });
    guard.close();
  }
  {
    const clock = new SimClock();
    const guard = createGuard(benchConfig(), { now: clock.now });
    const gen = new SourceGen(10);
    const before = heapUsed();
    feed(guard, gen, clock, 1_000_000);
    const at1 = heapUsed();
    const s1 = guard.stats();
    feed(guard, gen, clock, 1_000_000);
    const at2 = heapUsed();
    const s2 = guard.stats();
    notes.push(
      `default cap: tracked sources ${s1.trackedSources} after 1M, ${s2.trackedSources} after 2M (cap ${guard.config.behaviour.maxSources})`,
    );
    rows.push({ name: 'heap, default cap 100k, after 1M sources', value: (at1 - before) / MB, unit: 'MB' });
    rows.push({
      name: 'heap, default cap 100k, after 2M sources',
      value: (at2 - before) / MB,
      unit: 'MB',
      goal: { kind: 'max', value: ((at1 - before) / MB) * 1.1, label: 'flat: <= 1M value +10%' },
    });
    guard.close();
  }
  return { rows, notes };
}

// ---------------------------------------------------------------------------------------------------------------
// 5. Scanner mix (information)

const SV_SOURCES = 2_000;
const TF_SOURCES = 1_000;
const SCAN_ROUNDS = 40;
const LEGIT_EVERY = 7;

function scannerTraffic(): SipAttempt[] {
  const clock = new SimClock();
  const gen = new SourceGen(10);
  const sv = Array.from({ length: SV_SOURCES }, () => gen.next());
  const tf = Array.from({ length: TF_SOURCES }, () => gen.next());
  const uas = ['Z 5.5.7 v2.10.19.9', 'MicroSIP/3.21.3', 'Asterisk PBX 18.9.0', 'eyeBeam release 1011d'];
  const templates = legitTemplates();
  const out: SipAttempt[] = [];
  let legit = 0;
  for (let round = 0; round < SCAN_ROUNDS; round++) {
    for (let i = 0; i < SV_SOURCES + TF_SOURCES; i++) {
      const t = clock.tick();
      out.push(
        i < SV_SOURCES
          ? sipviciousAttempt(sv[i]!, 100 + round, t)
          : tollFraudAttempt(tf[i - SV_SOURCES]!, round * 31 + i, uas[i % uas.length]!, t),
      );
      if (out.length % LEGIT_EVERY === 0) {
        const tpl = templates[legit++ % templates.length]!;
        out.push({ ...tpl, source: { ip: gen.next(), port: 5060, transport: 'tls' }, time: clock.tick() });
      }
    }
  }
  return out;
}

export function scanner(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const notes: string[] = [];
  const traffic = scannerTraffic();
  const run = () => {
    const guard = createGuard(benchConfig(), { now: () => T0 });
    gc();
    const rate = timedRun(guard, traffic);
    const s = guard.stats();
    guard.close();
    return { rate, s };
  };
  run();
  const res = Array.from({ length: REPS }, run);
  const rates = res.map((r) => r.rate);
  const s = res[0]!.s;
  notes.push(
    `per rep: ${s.judged} attempts (${SV_SOURCES} SIPVicious + ${TF_SOURCES} toll-fraud sources x ${SCAN_ROUNDS}, 1 in ${LEGIT_EVERY + 1} legit from fresh sources); ` +
      `bans ${s.bans}, drop ${s.byAction.drop}, reject ${s.byAction.reject}, allow ${s.byAction.allow}; new guard per rep`,
  );
  return {
    rows: [
      {
        name: 'judge, scanner mix',
        value: median(rates),
        unit: 'judge/s',
        note: `${perCall(median(rates))}; ${spread(rates)}`,
      },
    ],
    notes,
  };
}

export const SCENARIOS = {
  fresh,
  banned,
  latency,
  heap,
  scanner,
  h323Decode,
  h323Gate,
  h323Flood,
  drachtio,
  asterisk,
  freeswitch,
  freeswitchRooms,
  redisBans,
  redisReports,
  daemonMetrics,
  banFlood,
  banCap,
  banStore,
  banMemory,
  analyzeScale,
  flood,
  firewall,
  refusalLog,
} as const;
export type ScenarioName = keyof typeof SCENARIOS;
