import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConfigInput, createGuard, type Logger } from '@ghostguard/core';
import { encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import { memoryLogger as coreMemoryLogger, type LogSink } from '@ghostguard/core/testing';
import { type Caller, dial, type StandInRoom, startStandInRoom, waitUntil } from '@ghostguard/h323-gate/testing';
import { afterEach } from 'vitest';
import type { ListenAddress } from '../component.js';
import { type Daemon, type DaemonOptions, startDaemon } from '../daemon.js';

export const TOKEN = 'test-admin-token-0123456789';
/** The number the room shape dials, routed by the gate to the stand-in room. */
export const ROOM_NUMBER = '4001';
/** Generous bound on every wait: the CI box is a loaded 2-core machine. */
export const WAIT_MS = 10_000;

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'gg-daemon-'));
}

/** JSON is YAML: the daemon reads it like any configuration file. */
export function writeConfig(path: string, config: Record<string, unknown>): string {
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** A daemon configuration on loopback with random ports: the gate in front of `room`, admin and metrics. */
export function daemonConfig(dir: string, room: StandInRoom, over: ConfigInput = {}): Record<string, unknown> {
  return {
    log: { level: 'info' },
    dataDir: join(dir, 'data'),
    ...over,
    adapters: {
      h323Gate: {
        listen: { host: '127.0.0.1', port: 0 },
        upstreams: { byAlias: { [ROOM_NUMBER]: { host: room.host, port: room.port } } },
        firstSetupTimeout: '5s',
      },
      ...over.adapters,
    },
    daemon: {
      admin: { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN },
      metrics: { listen: { host: '127.0.0.1', port: 0 } },
      ...(over.daemon as object | undefined),
    },
  };
}

/** JSON log lines written by the guard, the daemon and its components (at info, as the daemon runs). */
export function memoryLogger(): { logger: Logger; sink: LogSink } {
  return coreMemoryLogger('info');
}

export type { LogSink };

export interface TestDaemon {
  daemon: Daemon;
  log: LogSink;
}

/** Starts a daemon (stopped after the test) with a memory logger and an empty environment. */
export async function startTestDaemon(configPath: string, options: Partial<DaemonOptions> = {}): Promise<TestDaemon> {
  const { logger, sink } = memoryLogger();
  const daemon = await startDaemon({ configPath, logger, env: {}, ...options });
  onCleanup(() => daemon.stop());
  return { daemon, log: sink };
}

export async function startRoom(): Promise<StandInRoom> {
  const room = await startStandInRoom();
  onCleanup(() => room.close());
  return room;
}

export function urlOf(a: ListenAddress | undefined, path = ''): string {
  if (!a) throw new Error('component not listening');
  return `http://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}${path}`;
}

export interface AdminCall {
  status: number;
  body: Record<string, unknown>;
}

/** One admin request; `token: null` sends none. */
export async function admin(
  daemon: Daemon,
  method: string,
  path: string,
  opts: { token?: string | null; body?: unknown; rawBody?: string } = {},
): Promise<AdminCall> {
  const token = opts.token === undefined ? TOKEN : opts.token;
  const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const res = await fetch(urlOf(daemon.addresses.admin, path), {
    method,
    headers: token === null ? {} : { authorization: `Bearer ${token}` },
    ...(body === undefined ? {} : { body }),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function scrape(daemon: Daemon): Promise<string> {
  const res = await fetch(urlOf(daemon.addresses.metrics, '/metrics'), { signal: AbortSignal.timeout(WAIT_MS) });
  if (res.status !== 200) throw new Error(`metrics answered ${res.status}`);
  return res.text();
}

/** The value of one exposition line (`name{labels} value`), or undefined when absent. */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A Polycom-like room system's SETUP dialling the room behind the gate. */
export function roomSetup(seed = 1): Uint8Array {
  return encodeSetup(setupShapeSpec({ shape: 'room', seed, callReference: 100 + seed }));
}

/**
 * Places a call through the gate from `localAddress` and waits until the gate decided: the room got the SETUP
 * (relayed), or the gate closed or answered (refused). Returns whether the SETUP reached the room.
 */
export async function callThroughGate(
  daemon: Daemon,
  room: StandInRoom,
  localAddress: string,
  seed = 1,
): Promise<{ reachedRoom: boolean; caller: Caller }> {
  const gate = daemon.addresses.h323Gate;
  if (!gate) throw new Error('gate not listening');
  const before = room.frameCount();
  const caller = await dial({ host: gate.host, port: gate.port, localAddress, send: roomSetup(seed) });
  onCleanup(() => caller.socket.destroy());
  await waitUntil(
    () => room.frameCount() > before || caller.isClosed || caller.frames.length > 0,
    WAIT_MS,
    `the gate's decision on a SETUP from ${localAddress}`,
  );
  return { reachedRoom: room.frameCount() > before, caller };
}

/** The addresses a guard restarted on `dataDir` finds banned (what a restart of the daemon would read back). */
export function bansOnDisk(dataDir: string): string[] {
  const guard = createGuard({ dataDir, log: { level: 'silent' } });
  try {
    return guard.bans.list().map((b) => b.ip);
  } finally {
    guard.close();
  }
}
