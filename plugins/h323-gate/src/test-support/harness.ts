import { type ConfigInput, createGuard, type Guard } from '@ghostguard/core';
import { type LogSink, memoryLogger } from '@ghostguard/core/testing';
import { afterEach } from 'vitest';
import {
  attachH323Gate,
  type GateAddress,
  type H323GateAttachment,
  type H323GateListen,
  type H323GateOptions,
} from '../index.js';
import {
  type Caller,
  type DialOptions,
  dial,
  type StandInRoom,
  type StandInRoomOptions,
  startStandInRoom,
} from '../testing.js';

/** Closed after each test, newest first. */
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export function onCleanup(fn: () => unknown): void {
  cleanups.push(fn);
}

/**
 * Guard config for the gate's tests: every SETUP gets `action` (policy tier at score 0), so the tests of
 * enforcement do not depend on which detection rules fire. No bans (all tests share 127.0.0.1).
 */
export function everySetup(action: 'allow' | 'reject' | 'drop' | 'tarpit', over: ConfigInput = {}): ConfigInput {
  return {
    log: { level: 'silent' },
    dataDir: null,
    bans: { banScore: 1_000_000 },
    ...over,
    policy: {
      tiers: action === 'allow' ? [{ minScore: 1_000_000, action: 'drop' }] : [{ minScore: 0, action }],
      ...over.policy,
    },
  };
}

/** JSON log lines the gate and the guard wrote. */
export { type LogSink, memoryLogger };

export interface Setup {
  guard: Guard;
  gate: H323GateAttachment;
  addr: GateAddress;
  room: StandInRoom;
  log: LogSink;
  /** Dials the gate from 127.0.0.1 (or `localAddress`), writing `send` once connected. */
  call(send?: Uint8Array, opts?: Partial<DialOptions>): Promise<Caller>;
}

/** The gate's options, and where it listens (default 127.0.0.1, an ephemeral port). */
type GateOptionsFor = H323GateOptions & { listen?: H323GateListen };

/** A guard, a stand-in room system and a gate in front of it (default upstream = the room), all closed after the test. */
export async function startGate(
  config: ConfigInput,
  gateOptions: GateOptionsFor | ((room: StandInRoom) => GateOptionsFor) = {},
  roomOptions: StandInRoomOptions = {},
): Promise<Setup> {
  const { logger, sink } = memoryLogger();
  const guard = createGuard(config, { logger });
  onCleanup(() => guard.close());
  const room = await startStandInRoom(roomOptions);
  onCleanup(() => room.close());
  const { listen = { host: '127.0.0.1', port: 0 }, ...options } =
    typeof gateOptions === 'function' ? gateOptions(room) : gateOptions;
  const gate = attachH323Gate(guard, listen, {
    upstreams: { default: { host: room.host, port: room.port } },
    ...options,
  });
  onCleanup(() => gate.close());
  await gate.ready;
  const addr = gate.address()!;
  const callers: Caller[] = [];
  onCleanup(() => {
    for (const c of callers) c.socket.destroy();
  });
  return {
    guard,
    gate,
    addr,
    room,
    log: sink,
    call: async (send, opts = {}) => {
      const c = await dial({ host: addr.address, port: addr.port, ...(send ? { send } : {}), ...opts });
      callers.push(c);
      return c;
    },
  };
}
