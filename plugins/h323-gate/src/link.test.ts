import { createServer } from 'node:net';
import { createGuard } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { attachH323Gate, H323GateError } from './index.js';
import { onCleanup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { dial, waitUntil } from './testing.js';

const call = recordedOoh323Call();

function silentGuard() {
  const guard = createGuard({ log: { level: 'silent' } });
  onCleanup(() => guard.close());
  return guard;
}

describe('gate lifecycle', () => {
  it('close() ends held tarpits and live relays, frees the slots, and resolves once every socket is closed', async () => {
    // 127.0.0.2 is deny-listed (tarpitted), 127.0.0.3 is not (relayed).
    const t = await startGate(
      {
        log: { level: 'silent' },
        dataDir: null,
        bans: { banScore: 1_000_000 },
        deny: { cidrs: ['127.0.0.2/32'] },
        policy: { tiers: [{ minScore: 1, action: 'tarpit' }] },
      },
      { tarpit: { alertAfter: 5_000, maxHold: 60_000 } },
    );
    const held = await t.call(call.setup, { localAddress: '127.0.0.2' });
    await held.waitForFrames(1);
    const relayed = await t.call(call.setup, { localAddress: '127.0.0.3' });
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.gate.stats()).toMatchObject({ tarpitsHeld: 1, relayed: 1, active: 2 });
    await t.gate.close();
    expect(t.guard.tarpits.inUse).toBe(0);
    expect(t.gate.stats()).toMatchObject({ active: 0, tarpitsHeld: 0 });
    expect(t.gate.address()).toBeUndefined();
    await Promise.all([held.closed, relayed.closed]);
    await waitUntil(() => t.room.calls.every((c) => c.closed));
    await t.gate.close(); // idempotent
  });

  it('listens from attach on: ready resolves and address() gives the bound port', async () => {
    const gate = attachH323Gate(silentGuard(), { host: '127.0.0.1', port: 0 });
    onCleanup(() => gate.close());
    expect(gate.address()).toBeUndefined();
    await expect(gate.ready).resolves.toBeUndefined();
    const addr = gate.address()!;
    expect(addr).toMatchObject({ address: '127.0.0.1', family: 'IPv4' });
    expect(addr.port).toBeGreaterThan(0);
    const caller = await dial({ host: addr.address, port: addr.port });
    onCleanup(() => caller.socket.destroy());
    await waitUntil(() => gate.stats().connections === 1);
  });

  it('rejects ready on a port in use with GG_H323_GATE_LISTEN, the system error its cause', async () => {
    const guard = silentGuard();
    const first = attachH323Gate(guard, { host: '127.0.0.1', port: 0 });
    onCleanup(() => first.close());
    await first.ready;
    const { port } = first.address()!;
    const second = attachH323Gate(guard, { host: '127.0.0.1', port });
    onCleanup(() => second.close());
    const err = await second.ready.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(H323GateError);
    expect(err).toMatchObject({ code: 'GG_H323_GATE_LISTEN', cause: { code: 'EADDRINUSE' } });
    expect((err as Error).message).toContain(`127.0.0.1:${port}`);
    expect((err as Error).message).toContain('EADDRINUSE');
    expect(second.address()).toBeUndefined();
    await second.close();
  });

  it('close() right after attach resolves, rejects ready with GG_H323_GATE_CLOSED and leaves nothing listening', async () => {
    // Find a free port, then attach to it and close at once.
    const probe = createServer();
    const port = await new Promise<number>((resolve) =>
      probe.listen({ host: '127.0.0.1', port: 0 }, () => resolve((probe.address() as { port: number }).port)),
    );
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const gate = attachH323Gate(silentGuard(), { host: '127.0.0.1', port });
    await gate.close();
    await expect(gate.ready).rejects.toMatchObject({ code: 'GG_H323_GATE_CLOSED' });
    expect(gate.address()).toBeUndefined();
    await expect(dial({ host: '127.0.0.1', port, connectTimeoutMs: 500 })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
  });

  it('never leaves an unhandled rejection when nobody awaits ready', async () => {
    const guard = silentGuard();
    const first = attachH323Gate(guard, { host: '127.0.0.1', port: 0 });
    onCleanup(() => first.close());
    await first.ready;
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const busy = attachH323Gate(guard, { host: '127.0.0.1', port: first.address()!.port });
      const closed = attachH323Gate(guard, { host: '127.0.0.1', port: 0 });
      await closed.close();
      await new Promise((r) => setTimeout(r, 50));
      await busy.close();
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });
});
