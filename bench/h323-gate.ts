/**
 * H.323 gate benchmarks, over real loopback sockets:
 * 1. added latency on a legitimate call's SETUP (caller writes it → the stand-in room system has it),
 *    through the gate vs. straight to the room;
 * 2. memory of 10,000 concurrent tarpitted connections. The callers run in a child process (this file,
 *    forked with GG_H323_BENCH_CLIENTS=1) so that each process needs one descriptor per connection and the
 *    gate's process measures only the gate.
 *
 * The gate and the H.323 stand-ins are imported by relative path: the root package does not depend on
 * `@ghostguard/h323-gate` (adding it to the root devDependencies would allow the package name).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { type ConfigInput, createGuard } from '@ghostguard/core';
import { attachH323Gate } from '../plugins/h323-gate/src/index.js';
import { recordedOoh323Call } from '../plugins/h323-gate/src/test-support/ooh323-call.js';
import { dial, startStandInRoom } from '../stand-ins/src/h323/index.js';
import { fmt, gc, median, percentile, type Row } from './harness.js';

const MB = 1e6;
const CLIENTS_FLAG = 'GG_H323_BENCH_CLIENTS';

// ---------------------------------------------------------------------------------------------------------------
// Shared

/** Loopback source addresses: one per call, spread over /24s so per-source and per-prefix rates stay low. */
function sourceAddress(i: number): string {
  return `127.10.${i % 250}.${1 + (Math.floor(i / 250) % 250)}`;
}

/** The soft limit on open files of this process (Linux), or undefined when it cannot be read. */
function openFilesLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s{2,}/)[1];
    return soft === undefined || soft === 'unlimited' ? undefined : Number(soft);
  } catch {
    return undefined;
  }
}

function silentGuard(config: ConfigInput) {
  return createGuard({ log: { level: 'silent' }, dataDir: null, ...config });
}

// ---------------------------------------------------------------------------------------------------------------
// 1. Added latency on a legitimate SETUP

const LAT_WARM = 300;
const LAT_CALLS = 2_000;

async function addedLatency(notes: string[]): Promise<Row[]> {
  const call = recordedOoh323Call();
  const guard = silentGuard({
    // The deployment knows its room's number; the recorded call dials it.
    dialShape: { knownTargets: ['room-*', '5551234'] },
  });
  let arrived: ((at: number) => void) | undefined;
  const room = await startStandInRoom({ onFrame: (_f, _c, at) => arrived?.(at) });
  const gate = attachH323Gate(
    guard,
    { host: '127.0.0.1', port: 0 },
    { upstreams: { byAlias: { '5551234': { host: room.host, port: room.port } } } },
  );
  await gate.ready;
  const addr = gate.address()!;

  /** One call: connect, then time from writing the SETUP to the room having all of it. */
  const once = async (host: string, port: number, i: number): Promise<number> => {
    const caller = await dial({ host, port, localAddress: sourceAddress(i) });
    const got = new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`SETUP ${i} never reached the room`)), 2_000);
      arrived = (at) => {
        clearTimeout(timer);
        resolve(at);
      };
    });
    const t0 = performance.now();
    caller.socket.write(call.setup);
    const t1 = await got;
    arrived = undefined;
    caller.socket.destroy();
    return t1 - t0;
  };

  const direct: number[] = [];
  const gated: number[] = [];
  for (let i = 0; i < LAT_WARM + LAT_CALLS; i++) {
    // Alternate, so that both paths see the same machine state.
    const d = await once(room.host, room.port, i);
    const g = await once(addr.address, addr.port, LAT_WARM + LAT_CALLS + i);
    if (i >= LAT_WARM) {
      direct.push(d);
      gated.push(g);
    }
  }
  const s = gate.stats();
  const ok =
    s.allowed === LAT_WARM + LAT_CALLS && s.relayed === s.allowed && guard.stats().byAction.allow === s.allowed;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'} (latency): gate allowed ${s.allowed}, relayed ${s.relayed}, rejected ${s.rejected}, dropped ${s.dropped}, upstream errors ${s.upstreamErrors}`,
  );
  await gate.close();
  await room.close();
  guard.close();

  const sd = Float64Array.from(direct).sort();
  const sg = Float64Array.from(gated).sort();
  const added = gated.map((g, i) => g - direct[i]!);
  const addedMedian = median(gated) - median(direct);
  notes.push(
    `latency: ${LAT_CALLS.toLocaleString('en-US')} sequential calls per path after ${LAT_WARM} warm-up, alternating direct/gate, each from its own 127.10.x.y source; ` +
      `the real ooh323 SETUP (286 bytes); through the gate the time includes decode, judge and the gate's TCP connect to the room`,
  );
  const us = (ms: number) => ms * 1000;
  return [
    {
      name: 'SETUP to room, direct, median',
      value: us(median(direct)),
      unit: 'µs',
      note: `p99 ${fmt(us(percentile(sd, 99)))} µs`,
    },
    {
      name: 'SETUP to room, through the gate, median',
      value: us(median(gated)),
      unit: 'µs',
      note: `p99 ${fmt(us(percentile(sg, 99)))} µs`,
    },
    {
      name: 'gate added latency, median',
      value: us(addedMedian),
      unit: 'µs',
      goal: { kind: 'max', value: 1_000, label: '<= 1 ms' },
      note: `median(gate) − median(direct); median of per-call-pair differences ${fmt(us(median(added)))} µs`,
    },
    {
      name: 'gate added latency, p99',
      value: us(percentile(sg, 99) - percentile(sd, 99)),
      unit: 'µs',
      note: 'p99(gate) − p99(direct)',
    },
    { name: 'gate / direct, median', value: median(gated) / median(direct), unit: 'x' },
  ];
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Memory of concurrent tarpitted connections

const TARPITS = 10_000;
const PER_SOURCE = 10;
/** Descriptors a process needs besides its connections (stdio, IPC, epoll, the listener, …). */
const FD_SPARE = 200;

interface ClientsRequest {
  host: string;
  port: number;
  count: number;
  setupHex: string;
}
type ClientsMessage = { held: number; failed: number; firstError?: string };

/** heapUsed + external (Buffers and other off-heap memory V8 knows of; `arrayBuffers` is part of `external`). */
function heapAndExternal(): number {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
}

async function tarpitMemory(notes: string[]): Promise<Row[]> {
  const limit = openFilesLimit();
  const count = limit === undefined ? TARPITS : Math.min(TARPITS, limit - FD_SPARE);
  if (count < TARPITS) {
    notes.push(
      `tarpit memory: open-files limit ${limit} (ulimit -n) allows ${count.toLocaleString('en-US')} connections per process, not ${TARPITS.toLocaleString('en-US')}; measured with ${count.toLocaleString('en-US')}`,
    );
  }
  const call = recordedOoh323Call();
  const guard = silentGuard({
    bans: { banScore: 1_000_000 },
    tarpit: { maxConcurrent: count + 1_000, holdFor: 60_000 },
    policy: { tiers: [{ minScore: 0, action: 'tarpit' }] },
  });
  const gate = attachH323Gate(
    guard,
    { host: '127.0.0.1', port: 0 },
    { maxConnections: count + 1_000, tarpit: { alertAfter: 1_000, maxHold: 300_000 }, firstSetupTimeout: 30_000 },
  );
  await gate.ready;
  const addr = gate.address()!;
  gc();
  const before = { heap: heapAndExternal(), rss: process.memoryUsage().rss };

  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [CLIENTS_FLAG]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () =>
    new Promise<ClientsMessage>((resolve) => child.once('message', (m) => resolve(m as ClientsMessage)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const t0 = performance.now();
  child.send({
    host: addr.address,
    port: addr.port,
    count,
    setupHex: Buffer.from(call.setup).toString('hex'),
  } satisfies ClientsRequest);
  const opened = await next();
  const openSeconds = (performance.now() - t0) / 1000;
  // Let every Alerting go out (alertAfter 1 s) so the holds are in their steady state.
  await new Promise((r) => setTimeout(r, 1_500));
  const held = gate.stats().tarpitsHeld;
  gc();
  const after = { heap: heapAndExternal(), rss: process.memoryUsage().rss };

  child.send('close');
  await exited;
  const t1 = performance.now();
  while (gate.stats().active > 0 && performance.now() - t1 < 10_000) await new Promise((r) => setTimeout(r, 20));
  const s = gate.stats();
  const released = guard.tarpits.inUse === 0 && s.tarpitsHeld === 0 && s.active === 0;
  notes.push(
    `${opened.held === count && held === count ? 'check ok' : 'CHECK FAILED'} (tarpit): ${opened.held} callers got CallProceeding, ${opened.failed} failed${opened.firstError ? ` (${opened.firstError})` : ''}; gate held ${held}; opened in ${openSeconds.toFixed(1)} s (${PER_SOURCE} per 127.20.x.y source)`,
  );
  notes.push(
    `${released ? 'check ok' : 'CHECK FAILED'} (tarpit): after the callers hung up, tarpit slots in use ${guard.tarpits.inUse}, held ${s.tarpitsHeld}, open ${s.active}`,
  );
  await gate.close();
  guard.close();

  const heapDelta = (after.heap - before.heap) / MB;
  const rssDelta = (after.rss - before.rss) / MB;
  const per = (x: number) => `${fmt((x * MB) / Math.max(held, 1) / 1024, 1)} KiB per held connection`;
  return [
    {
      name: `${held.toLocaleString('en-US')} tarpitted connections, heap + external`,
      value: heapDelta,
      unit: 'MB',
      goal: { kind: 'max', value: 128 },
      note: `${per(heapDelta)}; heapUsed + external after gc, minus the same before the callers connected`,
    },
    {
      name: `${held.toLocaleString('en-US')} tarpitted connections, RSS`,
      value: rssDelta,
      unit: 'MB',
      goal: { kind: 'max', value: 128 },
      note: `${per(rssDelta)}; RSS of the gate's process (kernel socket buffers are not in it)`,
    },
  ];
}

/** The child: opens `count` connections, sends each the SETUP, and reports how many got the gate's first answer. */
function runClients(): void {
  const sockets: Socket[] = [];
  let held = 0;
  let failed = 0;
  let firstError: string | undefined;
  process.on('message', (m: ClientsRequest | 'close') => {
    if (m === 'close') {
      for (const s of sockets) s.destroy();
      process.disconnect();
      return;
    }
    const setup = Buffer.from(m.setupHex, 'hex');
    let started = 0;
    let settled = 0;
    const CONCURRENT_OPENS = 200;
    const openOne = (): void => {
      if (started >= m.count) return;
      const i = started++;
      const s = connect({
        host: m.host,
        port: m.port,
        localAddress: `127.20.${Math.floor(i / PER_SOURCE / 250) % 250}.${1 + (Math.floor(i / PER_SOURCE) % 250)}`,
      });
      sockets.push(s);
      let done = false;
      const settle = (ok: boolean, err?: Error): void => {
        if (done) return;
        done = true;
        if (ok) held++;
        else {
          failed++;
          firstError ??= err?.message ?? 'closed before the first answer';
        }
        if (++settled === m.count) process.send?.({ held, failed, firstError } satisfies ClientsMessage);
        else openOne();
      };
      s.on('error', (err) => settle(false, err));
      s.once('close', () => settle(false));
      s.once('data', () => settle(true));
      s.once('connect', () => s.write(setup));
    };
    for (let k = 0; k < CONCURRENT_OPENS; k++) openOne();
  });
}

// ---------------------------------------------------------------------------------------------------------------

export async function h323Gate(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  // Latency first, on a quiet machine; the memory part measures its own before/after.
  const rows = [...(await addedLatency(notes)), ...(await tarpitMemory(notes))];
  return { rows, notes };
}

if (process.env[CLIENTS_FLAG] === '1') runClients();
