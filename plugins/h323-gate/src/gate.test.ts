import { createGuard } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { createH323Gate } from './index.js';
import { onCleanup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();

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
    await Promise.all([held.closed, relayed.closed]);
    await waitUntil(() => t.room.calls.every((c) => c.closed));
    await t.gate.close(); // idempotent
  });

  it('rejects listen() on a port in use with the system error, and a second listen()', async () => {
    const guard = createGuard({ log: { level: 'silent' } });
    onCleanup(() => guard.close());
    const first = createH323Gate({ guard, listen: { host: '127.0.0.1', port: 0 } });
    onCleanup(() => first.close());
    const { port } = await first.listen();
    await expect(first.listen()).rejects.toThrow(/twice/);
    const second = createH323Gate({ guard, listen: { host: '127.0.0.1', port } });
    onCleanup(() => second.close());
    await expect(second.listen()).rejects.toMatchObject({ code: 'EADDRINUSE' });
  });

  it('close() before listen() resolves', async () => {
    const guard = createGuard({ log: { level: 'silent' } });
    onCleanup(() => guard.close());
    await createH323Gate({ guard }).close();
  });
});
