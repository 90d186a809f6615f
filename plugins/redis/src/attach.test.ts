import { createGuard } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { attachRedisBans, MemoryBanHub, RedisBansError } from './index.js';
import { attachNode, onCleanup, startMemoryNode } from './test-support/nodes.js';
import { waitUntil } from './testing.js';

describe('the attachment (adapter contract)', () => {
  it('ready resolves once the first connect has reconciled, not before', async () => {
    const hub = new MemoryBanHub();
    hub.down();
    const a = startMemoryNode(hub, 'node-a');
    let ready = false;
    void a.shared.ready.then(() => {
      ready = true;
    });
    await waitUntil(() => a.shared.stats().state === 'down', 5_000, 'A down');
    await new Promise((r) => setTimeout(r, 20));
    expect(ready).toBe(false);
    hub.up();
    await a.shared.ready;
    expect(a.shared.stats()).toMatchObject({ state: 'up', reconciles: 1 });
  });

  it('ready rejects with GG_REDIS_CLOSED when closed before the store was reached, and is never unhandled', async () => {
    const hub = new MemoryBanHub();
    hub.down();
    const guard = createGuard({ dataDir: null, log: { level: 'silent' } });
    onCleanup(() => guard.close());
    const shared = attachRedisBans(guard, { nodeId: 'node-a' }, hub.store());
    await shared.close();
    const err = await shared.ready.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(RedisBansError);
    expect(err).toMatchObject({ code: 'GG_REDIS_CLOSED' });
    expect(shared.stats().state).toBe('closed');
    // A second attachment, closed and never awaited: an unhandled rejection would fail the run.
    await attachRedisBans(guard, { nodeId: 'node-b' }, hub.store()).close();
  });

  it('stats() is the snapshot health() always gave, and names the store it uses', async () => {
    const hub = new MemoryBanHub();
    const a = attachNode('node-a', {}, {}, hub.store());
    await a.shared.ready;
    expect(a.shared.health()).toEqual(a.shared.stats());
    expect(a.shared.stats()).toMatchObject({
      nodeId: 'node-a',
      target: 'memory hub',
      state: 'up',
      lastError: undefined,
      reports: { enabled: true, publishing: true },
    });
  });

  it('close() detaches from the guard, closes the store, and is idempotent', async () => {
    const hub = new MemoryBanHub();
    const a = startMemoryNode(hub, 'node-a');
    const b = startMemoryNode(hub, 'node-b');
    await Promise.all([a.shared.ready, b.shared.ready]);
    await a.shared.close();
    await a.shared.close();
    a.guard.bans.add('198.51.100.90', { reason: 'after close' });
    b.guard.bans.add('198.51.100.91', { reason: 'to a closed node' });
    await waitUntil(() => b.shared.stats().published === 1, 5_000, "B's write");
    expect(hub.get('198.51.100.90')).toBeUndefined();
    expect(a.guard.bans.get('198.51.100.91')).toBeUndefined();
    expect(a.shared.stats()).toMatchObject({ state: 'closed', skippedWrites: 0, received: 0 });
  });
});
