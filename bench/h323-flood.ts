/**
 * The H.323 gate under a connection flood (issue 18): 12,000 connections from 50 flooding /24s, held open without
 * a SETUP, then all dropped and reopened at once while 20 legitimate callers from another network send their
 * SETUPs. Goal: 20 of 20 relayed, and a few log lines a second at most. The flood runs in a child process (this
 * file, forked with GG_H323_FLOOD_CLIENTS=1) so each process needs one descriptor per connection.
 *
 * Imported by relative path like bench/h323-gate.ts (the root package does not depend on the gate).
 */
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGuard } from '@ghostguard/core';
import { memoryLogger } from '@ghostguard/core/testing';
import { attachH323Gate } from '../plugins/h323-gate/src/index.js';
import { recordedOoh323Call } from '../plugins/h323-gate/src/test-support/ooh323-call.js';
import { dial, startStandInRoom } from '../stand-ins/src/h323/index.js';
import type { Row } from './harness.js';

const FLOOD_FLAG = 'GG_H323_FLOOD_CLIENTS';
const FLOOD_CONNECTIONS = 12_000;
const FLOOD_NETWORKS = 50;
/** Under the gate's default maxConnectionsPerSource (20): the per-source limit alone does not stop this flood. */
const PER_SOURCE = 20;
const LEGIT_CALLS = 20;
/** Connection attempts the flood keeps in flight while (re)opening. */
const IN_FLIGHT = 2_000;
const FD_SPARE = 300;

type FloodRequest = { host: string; port: number; count: number } | 'reopen' | 'close';
type FloodReport = { connected: number; failed: number; seconds: number };

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

/** Flood source i: 50 networks 127.30.N.0/24, PER_SOURCE connections per address. */
function floodAddress(i: number, count: number): string {
  const perNetwork = Math.ceil(count / FLOOD_NETWORKS);
  const net = Math.floor(i / perNetwork);
  const host = 1 + Math.floor((i % perNetwork) / PER_SOURCE);
  return `127.30.${net}.${host}`;
}

export async function h323Flood(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const limit = openFilesLimit();
  const count = limit === undefined ? FLOOD_CONNECTIONS : Math.min(FLOOD_CONNECTIONS, limit - FD_SPARE);
  if (count < FLOOD_CONNECTIONS) {
    notes.push(`flood: open-files limit ${limit} allows ${count} connections per process, not ${FLOOD_CONNECTIONS}`);
  }
  const call = recordedOoh323Call();
  const { logger, sink } = memoryLogger('info');
  const guard = createGuard({ log: { level: 'silent' }, dataDir: null, bans: { banScore: 1_000_000 } });
  const room = await startStandInRoom();
  // The gate's defaults (maxConnections 10,000, 20 per source) but for a first-SETUP timeout longer than the run.
  const gate = attachH323Gate(
    guard,
    { host: '127.0.0.1', port: 0 },
    { upstreams: { default: { host: room.host, port: room.port } }, firstSetupTimeout: 120_000, logger },
  );
  await gate.ready;
  const addr = gate.address()!;
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, [FLOOD_FLAG]: '1' },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const next = () => new Promise<FloodReport>((resolve) => child.once('message', (m) => resolve(m as FloodReport)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const t0 = performance.now();
  const linesBefore = sink.lines().length;
  child.send({ host: addr.address, port: addr.port, count } satisfies FloodRequest);
  const opened = await next();
  const heldOpen = gate.stats().active;

  // Everything dropped and reopened at once; the legitimate callers dial while the wave comes in.
  const reopened = next();
  child.send('reopen' satisfies FloodRequest);
  const legit: Array<Promise<Socket | undefined>> = [];
  for (let i = 0; i < LEGIT_CALLS; i++) {
    legit.push(
      dial({ host: addr.address, port: addr.port, send: call.setup, localAddress: `127.40.0.${i + 1}` })
        .then((c) => c.socket)
        .catch(() => undefined),
    );
    await new Promise((r) => setTimeout(r, 25));
  }
  const legitSockets = await Promise.all(legit);
  const wave = await reopened;
  // The room has every relayed SETUP once the wave is in (or never will): a bounded wait for stragglers.
  for (let k = 0; k < 100 && room.calls.length < LEGIT_CALLS; k++) await new Promise((r) => setTimeout(r, 20));
  for (const sock of legitSockets) sock?.destroy();
  const seconds = (performance.now() - t0) / 1000;
  const s = gate.stats();
  const lines = sink.lines().slice(linesBefore);
  const floodLines = lines.filter((l) => String(l.event ?? '').startsWith('h323-') && l.event !== 'h323-call');
  const relayedLegit = room.calls.length;

  child.send('close' satisfies FloodRequest);
  await exited;
  await gate.close();
  await room.close();
  guard.close();

  notes.push(
    `${relayedLegit === LEGIT_CALLS ? 'check ok' : 'CHECK FAILED'} (flood): ${relayedLegit} of ${LEGIT_CALLS} legitimate SETUPs from 127.40.0.0/24 reached the room; flood of ${count.toLocaleString('en-US')} connections from ${FLOOD_NETWORKS} /24s (${PER_SOURCE} per source): first ${opened.connected} connected in ${opened.seconds.toFixed(1)} s, ${heldOpen} held by the gate; reopened ${wave.connected} connected, ${wave.failed} failed in ${wave.seconds.toFixed(1)} s`,
  );
  notes.push(
    `flood counters: connections ${s.connections}, evictedBeforeSetup ${s.evictedBeforeSetup}, tooManyConnections ${s.tooManyConnections}, tooManyFromSource ${s.tooManyFromSource}, closedWithoutVerdict ${s.closedWithoutVerdict}, log lines suppressed ${s.logLinesSuppressed}`,
  );
  return {
    rows: [
      {
        name: 'legitimate SETUPs relayed under a 12,000-connection flood',
        value: relayedLegit,
        unit: `of ${LEGIT_CALLS}`,
        goal: { kind: 'min', value: LEGIT_CALLS },
        note: `while ${FLOOD_NETWORKS} /24s held every slot and reopened at once`,
      },
      {
        name: 'gate log lines about the flood, per second',
        value: floodLines.length / seconds,
        unit: 'lines/s',
        goal: { kind: 'max', value: 5, label: 'a few' },
        note: `${floodLines.length} lines in ${seconds.toFixed(1)} s (${[...new Set(floodLines.map((l) => l.event))].join(', ')})`,
      },
    ],
    notes,
  };
}

/** The flood child: opens `count` connections without sending anything, holds them, drops and reopens them. */
function runFlood(): void {
  let target: { host: string; port: number; count: number } | undefined;
  let sockets: Socket[] = [];
  const openAll = (): void => {
    const t = target!;
    const t0 = performance.now();
    let started = 0;
    let settled = 0;
    let connected = 0;
    let failed = 0;
    sockets = [];
    const openOne = (): void => {
      if (started >= t.count) return;
      const i = started++;
      const s = connect({ host: t.host, port: t.port, localAddress: floodAddress(i, t.count) });
      sockets.push(s);
      let done = false;
      const settle = (ok: boolean): void => {
        if (done) return;
        done = true;
        if (ok) connected++;
        else failed++;
        if (++settled === t.count) {
          process.send?.({ connected, failed, seconds: (performance.now() - t0) / 1000 } satisfies FloodReport);
        } else openOne();
      };
      s.on('error', () => settle(false));
      s.once('close', () => settle(false));
      s.once('connect', () => settle(true));
    };
    for (let k = 0; k < IN_FLIGHT; k++) openOne();
  };
  process.on('message', (m: FloodRequest) => {
    if (m === 'close') {
      for (const s of sockets) s.destroy();
      process.disconnect();
      return;
    }
    if (m === 'reopen') {
      for (const s of sockets) s.destroy();
      openAll();
      return;
    }
    target = m;
    openAll();
  });
}

if (process.env[FLOOD_FLAG] === '1') runFlood();
