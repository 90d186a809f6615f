/** Test nodes: a guard with captured log lines and its Redis attachment, plus cleanup after each test. */
import { Writable } from 'node:stream';
import { type ConfigInput, createGuard, createLogger, type Guard, type Logger } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { Redis } from 'ioredis';
import { afterEach } from 'vitest';
import { attachRedisBans, type MemoryBanHub, type RedisBans, type RedisBansOptions } from '../index.js';
import type { SharedBanStore } from '../store.js';

const cleanups: Array<() => unknown> = [];

/** Registers `fn` to run after the current test (last registered runs first). */
export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

afterEach(async () => {
  while (cleanups.length > 0) {
    const fn = cleanups.pop()!;
    try {
      await fn();
    } catch {
      // a failing cleanup must not hide the others
    }
  }
});

export type LogLine = Record<string, unknown> & { level: number; msg: string };

/** A pino logger that keeps every line (up to 10,000) for assertions. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const text of chunk.toString('utf8').split('\n')) {
        if (text.length > 0 && lines.length < 10_000) lines.push(JSON.parse(text) as LogLine);
      }
      done();
    },
  });
  return { logger: createLogger({ log: { level: 'debug' } }, stream), lines };
}

export interface TestNode {
  readonly guard: Guard;
  readonly shared: RedisBans;
  readonly lines: LogLine[];
  /** Log lines with this `event` field. */
  events(event: string): LogLine[];
  /** Detaches and closes the guard (also done after the test). */
  stop(): Promise<void>;
}

/** A guard (silent except to `lines`) attached to Redis with its own node id. */
export function startNode(
  url: string,
  nodeId: string,
  config: ConfigInput = {},
  options: RedisBansOptions = {},
): TestNode {
  return attachNode(nodeId, config, { url, ...options });
}

/** A guard attached to an in-memory hub (a blacklist set kept in step under `blacklistKey`, when given). */
export function startMemoryNode(
  hub: MemoryBanHub,
  nodeId: string,
  config: ConfigInput = {},
  options: RedisBansOptions = {},
  blacklistKey?: string,
): TestNode {
  return attachNode(nodeId, config, options, hub.store(blacklistKey === undefined ? {} : { blacklistKey }));
}

/** A guard attached through `store` (Redis options other than the store's still apply). */
export function attachNode(
  nodeId: string,
  config: ConfigInput = {},
  options: RedisBansOptions = {},
  store?: SharedBanStore,
): TestNode {
  const { logger, lines } = captureLogger();
  const guard = createGuard({ dataDir: null, ...config }, { logger });
  const shared = attachRedisBans(guard, { nodeId, reconnect: { min: 20, max: 200 }, ...options }, store);
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await shared.close();
    guard.close();
  };
  onCleanup(stop);
  return { guard, shared, lines, events: (event) => lines.filter((l) => l.event === event), stop };
}

/** A plain client to look into Redis and to play a hostile peer. */
export function inspector(url: string): Redis {
  const r = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1 });
  r.on('error', () => {});
  onCleanup(() => r.disconnect());
  return r;
}

/** A SIPVicious svwar INVITE from `ip`: enough for a ban on the first attempt. */
export function scannerAttempt(ip: string) {
  return sipAttempt({
    source: { ip, port: 5060, transport: 'udp' },
    userAgent: 'friendly-scanner',
    target: { user: '100', host: '203.0.113.10' },
    caller: { user: '100', host: '203.0.113.10', display: 'sipvicious' },
    time: Date.now(),
    sip: {
      requestUri: 'sip:100@203.0.113.10',
      viaBranch: 'z9hG4bK-1204955539',
      fromTag: '3130300131323334',
      fromUri: 'sip:100@203.0.113.10',
      toUri: 'sip:100@203.0.113.10',
      hasBody: false,
      contentType: undefined,
      sdpSessionName: undefined,
    },
  });
}

/** A legitimate call from `ip` to a known room (allowed unless the source is banned). */
export function roomCall(ip: string) {
  return sipAttempt({ source: { ip, port: 5060, transport: 'udp' }, time: Date.now() });
}

export function isUp(n: TestNode): boolean {
  return n.shared.health().state === 'up';
}
