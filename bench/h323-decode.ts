/**
 * H.323 SETUP decode + judge on one core: TPKT payload bytes → decodeSetupAttempt (Q.931, H.225.0 PER,
 * CallAttempt) → guard.judge(), every SETUP from a never-seen source, as the H.323 gate runs it.
 * Payloads and source addresses are built before timing; the context object per call is part of the cost.
 */
import { existsSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGuard, type Guard, H323AttemptSchema } from '@ghostguard/core';
import { readCapture } from '@ghostguard/core/capture';
import { decodeQ931, decodeSetupAttempt, encodeSetup, setupShapeSpec, TpktFramer } from '@ghostguard/core/h323';
import { gc, median, type Row, type ScenarioResult, sink, spread } from './harness.js';
import { benchConfig, SimClock, SourceGen } from './traffic.js';

const REPS = 5;
const WARM = 50_000;
const BATCH = 200_000;
const GOAL = 200_000;

const RECORDED = fileURLToPath(new URL('../../shared/fixtures/h323/ooh323-call-via-asterisk.pcap', import.meta.url));

/** The recorded chan_ooh323 SETUP (TPKT payload), when the shared fixtures are beside the repository. */
function recordedSetup(): Uint8Array | undefined {
  if (!existsSync(RECORDED)) return undefined;
  const framer = new TpktFramer();
  for (const e of readCapture(readFileSync(RECORDED)).events) {
    if (e.kind !== 'tcp' || e.dst.port !== 1720) continue;
    const [payload] = framer.push(e.payload);
    if (payload) return payload;
  }
  return undefined;
}

/**
 * Legitimate SETUPs to rooms the bench config knows (`4???`): Polycom-like room systems over IPv4 and
 * IPv6 with h323-ID, dialledDigits, fastStart and H.245 tunnelling, 16 variants.
 */
function legitSetups(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < 16; i++) {
    const spec = setupShapeSpec({ shape: i % 4 === 3 ? 'ipv6' : 'room', seed: i + 1 });
    spec.destinationAliases = [{ type: 'dialedDigits', value: String(4001 + i * 37) }];
    if (i % 2 === 0) spec.calledNumber = String(4001 + i * 37);
    out.push(encodeSetup(spec).subarray(4));
  }
  return out;
}

function perCall(rate: number): string {
  return `${(1e6 / rate).toFixed(2)} µs per SETUP`;
}

/** One timed pass over `n` SETUPs (payloads cycled), each from its own source; returns SETUPs per second. */
function pass(
  guard: Guard | undefined,
  payloads: readonly Uint8Array[],
  ips: readonly string[],
  times: Float64Array,
): number {
  const n = ips.length;
  const p = payloads.length;
  let acc = 0;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const attempt = decodeSetupAttempt(payloads[i % p]!, {
      source: { ip: ips[i]!, port: 1720, transport: 'tcp' },
      time: times[i]!,
      adapter: 'h323-gate',
    });
    acc += guard ? guard.judge(attempt).reasons.length : attempt.h323.fastStartCount;
  }
  const ms = performance.now() - t0;
  sink.n += acc;
  return (n / ms) * 1000;
}

function sources(gen: SourceGen, clock: SimClock, n: number): { ips: string[]; times: Float64Array } {
  const ips = new Array<string>(n);
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ips[i] = gen.next();
    times[i] = clock.tick();
  }
  return { ips, times };
}

export function h323Decode(): Omit<ScenarioResult, 'seconds' | 'scenario'> {
  const notes: string[] = [];
  const recorded = recordedSetup();
  const payloads = [...legitSetups(), ...(recorded ? [recorded] : [])];
  const sizes = payloads.map((p) => p.length);
  notes.push(
    `${payloads.length} SETUPs (TPKT payloads of ${Math.min(...sizes)}-${Math.max(...sizes)} bytes): 16 encoded room-system SETUPs` +
      (recorded ? ' and the recorded chan_ooh323 SETUP' : ' (shared fixtures not found: recorded SETUP left out)'),
  );
  // Every payload must decode to a valid attempt, or the figures measure error paths.
  for (const p of payloads) {
    const a = decodeSetupAttempt(p, { source: { ip: '192.0.2.1' }, time: 0 });
    if (!H323AttemptSchema.safeParse(a).success || decodeQ931(p).messageName !== 'Setup') {
      throw new Error('bench SETUP does not decode to a valid attempt');
    }
  }

  // 1. decode + judge
  const clock = new SimClock();
  const guard = createGuard(benchConfig(), { now: clock.now });
  const gen = new SourceGen(10);
  const warm = sources(gen, clock, WARM);
  pass(guard, payloads, warm.ips, warm.times);
  const rates: number[] = [];
  for (let r = 0; r < REPS; r++) {
    const batch = sources(gen, clock, BATCH);
    gc();
    rates.push(pass(guard, payloads, batch.ips, batch.times));
  }
  const s = guard.stats();
  const ok = s.byAction.allow === s.judged && s.invalid === 0 && s.internalErrors === 0 && s.bans === 0;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'}: judged ${s.judged}, allowed ${s.byAction.allow}, bans ${s.bans}, ` +
      `invalid ${s.invalid}, internal errors ${s.internalErrors}, tracked sources ${s.trackedSources}`,
  );
  guard.close();

  // 2. decode only (same payloads, same kind of sources)
  const decodeRates: number[] = [];
  const dgen = new SourceGen(10);
  const dclock = new SimClock();
  const dwarm = sources(dgen, dclock, WARM);
  pass(undefined, payloads, dwarm.ips, dwarm.times);
  for (let r = 0; r < REPS; r++) {
    const batch = sources(dgen, dclock, BATCH);
    gc();
    decodeRates.push(pass(undefined, payloads, batch.ips, batch.times));
  }

  const batchText = `${REPS} x ${BATCH.toLocaleString('en-US')} SETUPs from never-seen sources (90% IPv4, 10% IPv6) after ${WARM.toLocaleString('en-US')} warm-up`;
  const rows: Row[] = [
    {
      name: 'H.323 SETUP decode + judge, fresh sources',
      value: median(rates),
      unit: 'SETUP/s',
      goal: { kind: 'min', value: GOAL },
      note: `${perCall(median(rates))}; ${spread(rates)}; ${batchText}`,
    },
    {
      name: 'H.323 SETUP decode only (TPKT payload → CallAttempt)',
      value: median(decodeRates),
      unit: 'SETUP/s',
      note: `${perCall(median(decodeRates))}; ${spread(decodeRates)}`,
    },
  ];
  return { rows, notes };
}
