import { describe, expect, it } from 'vitest';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();

describe('connection limits', () => {
  it('closes a source’s connections beyond maxConnectionsPerSource at once, other sources unaffected', async () => {
    const t = await startGate(everySetup('allow'), { maxConnectionsPerSource: 3, firstSetupTimeout: 10_000 });
    const open = [];
    for (let i = 0; i < 3; i++) {
      open.push(await t.call());
      await waitUntil(() => t.gate.stats().active === i + 1);
    }
    const fourth = await t.call(call.setup);
    expect((await fourth.closed).bytes).toBe(0);
    expect(t.gate.stats()).toMatchObject({ tooManyFromSource: 1, active: 3 });
    // Another source (another loopback address) still gets through.
    const other = await t.call(call.setup, { localAddress: '127.0.0.9' });
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.remote.ip).toBe('127.0.0.1'); // the gate's own side of the relay
    expect(t.log.find('h323-call')[0]).toMatchObject({ source: '127.0.0.9', action: 'allow' });
    // One of the three leaves: the source may connect again.
    open[0]!.socket.destroy();
    await waitUntil(() => t.gate.stats().active === 3);
    const again = await t.call(call.setup);
    await waitUntil(() => t.room.frameCount() === 2);
    expect(t.gate.stats().tooManyFromSource).toBe(1);
    other.socket.destroy();
    again.socket.destroy();
  });

  it('closes connections beyond maxConnections at once', async () => {
    const t = await startGate(everySetup('allow'), { maxConnections: 2, firstSetupTimeout: 10_000 });
    await t.call(undefined, { localAddress: '127.0.0.2' });
    await t.call(undefined, { localAddress: '127.0.0.3' });
    await waitUntil(() => t.gate.stats().active === 2);
    const third = await t.call(call.setup, { localAddress: '127.0.0.4' });
    expect((await third.closed).bytes).toBe(0);
    expect(t.gate.stats()).toMatchObject({ tooManyConnections: 1, active: 2 });
  });
});
