import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  inspector,
  isUp,
  onCleanup,
  roomCall,
  scannerAttempt,
  startNode,
  type TestNode,
} from './test-support/nodes.js';
import { startRedisServer, type TestRedisServer, waitUntil } from './testing.js';

let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const isDown = (n: TestNode) => n.shared.health().state === 'down';

describe('when Redis goes away and comes back', () => {
  it('both nodes keep deciding on local state, warn once each, and converge both ways when it is back', async () => {
    const a = startNode(redis.url, 'node-a');
    const b = startNode(redis.url, 'node-b');
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const before = '198.51.100.10';
    a.guard.judge(scannerAttempt(before));
    await waitUntil(() => b.guard.bans.get(before) !== undefined, 5_000, 'the first ban on B');

    await redis.kill();
    await waitUntil(() => isDown(a) && isDown(b), 10_000, 'both nodes to notice');
    // Let both retry several times: the warning must still be a single line per node.
    await waitUntil(
      () => a.shared.health().reconnects >= 6 && b.shared.health().reconnects >= 6,
      15_000,
      'reconnect attempts',
    );

    // Still deciding: the replicated ban holds on B, and new bans still happen locally on both.
    expect(b.guard.judge(roomCall(before)).action).not.toBe('allow');
    const onA = '198.51.100.11';
    const onB = '198.51.100.12';
    expect(a.guard.judge(scannerAttempt(onA)).ban?.ip).toBe(onA);
    expect(b.guard.judge(scannerAttempt(onB)).ban?.ip).toBe(onB);
    expect(a.guard.judge(roomCall('198.51.100.13')).action).toBe('allow');
    // A ban that runs out during the outage must not come back.
    const brief = '198.51.100.14';
    a.guard.bans.add(brief, { reason: 'short', ttl: 200 });
    await waitUntil(() => a.guard.bans.get(brief) === undefined, 5_000, 'the short ban to expire');
    expect(a.shared.health().skippedWrites).toBeGreaterThan(0);

    for (const node of [a, b]) {
      const down = node.events('shared-store-down');
      expect(down).toHaveLength(1);
      expect(down[0]).toMatchObject({
        level: 40,
        failMode: 'open',
        msg: 'shared store unreachable: deciding on local state',
      });
    }

    await redis.restart(); // empty: nothing was persisted
    await waitUntil(() => isUp(a) && isUp(b), 15_000, 'both nodes back');
    await waitUntil(() => b.guard.bans.get(onA) !== undefined, 10_000, "A's outage ban on B");
    await waitUntil(() => a.guard.bans.get(onB) !== undefined, 10_000, "B's outage ban on A");
    expect(a.guard.judge(roomCall(onB)).action).not.toBe('allow');
    expect(b.guard.judge(roomCall(onA)).action).not.toBe('allow');
    expect(b.guard.bans.get(brief)).toBeUndefined();

    const r = inspector(redis.url);
    await waitUntil(() => a.shared.health().reconciles >= 2 && b.shared.health().reconciles >= 2, 10_000, 'reconciles');
    expect((await r.keys('ghostguard:ban:*')).sort()).toEqual(
      [before, onA, onB].map((ip) => `ghostguard:ban:${ip}`).sort(),
    );
    for (const node of [a, b]) {
      expect(node.events('shared-store-down')).toHaveLength(1);
      expect(node.events('shared-store-up')).toHaveLength(1);
      expect(node.events('shared-store-up')[0]).toMatchObject({ level: 30 });
    }
  });

  it('a ban lifted by hand while Redis is down stays lifted on every node when it is back', async () => {
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix: 'lift:' });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix: 'lift:' });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const ip = '203.0.113.40';
    a.guard.bans.add(ip, { reason: 'by hand' });
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the ban on B');

    await redis.kill();
    await waitUntil(() => isDown(a) && isDown(b), 10_000, 'both nodes to notice');
    expect(b.guard.bans.remove(ip)).toBe(true);
    expect(b.shared.health().pendingRemovals).toBe(1);

    await redis.restart();
    await waitUntil(() => isUp(a) && isUp(b), 15_000, 'both nodes back');
    // Whichever node reconciles first, A (which still held the ban) ends without it, and so does B.
    await waitUntil(() => a.guard.bans.get(ip) === undefined, 10_000, 'the lift on A');
    await waitUntil(
      () =>
        a.shared.health().reconciles >= 2 &&
        b.shared.health().reconciles >= 2 &&
        b.shared.health().pendingRemovals === 0,
      10_000,
      'reconciles',
    );
    expect(b.guard.bans.get(ip)).toBeUndefined();
    const r = inspector(redis.url);
    expect(await r.exists(`lift:ban:${ip}`)).toBe(0);
  });

  it('a node that was away when a ban was lifted drops it instead of pushing it back', async () => {
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix: 'away:' });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix: 'away:' });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const ip = '203.0.113.41';
    a.guard.bans.add(ip, { reason: 'by hand' });
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the ban on B');

    // A's link is gone (detached) while B lifts the ban; A still holds it locally.
    await a.shared.close();
    expect(b.guard.bans.remove(ip)).toBe(true);
    await waitUntil(() => b.shared.health().lifted === 1, 5_000, 'the lift written');
    expect(a.guard.bans.get(ip)).toBeDefined();

    const { attachRedisBans } = await import('./index.js');
    const again = attachRedisBans(a.guard, { url: redis.url, nodeId: 'node-a', keyPrefix: 'away:' });
    onCleanup(() => again.close());
    await waitUntil(() => again.health().reconciles >= 1, 10_000, 'A reconciled');
    expect(again.health().lastReconcile).toMatchObject({ pushed: 0, liftedElsewhere: 1 });
    expect(a.guard.bans.get(ip)).toBeUndefined();
    const r = inspector(redis.url);
    expect(await r.exists(`away:ban:${ip}`)).toBe(0);
    expect(b.guard.bans.get(ip)).toBeUndefined();
  });

  it('loses no ban across a guard restart (data directory + Redis)', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'ghostguard-redis-test-'));
    onCleanup(() => rmSync(dataDir, { recursive: true, force: true }));
    const keyPrefix = 'restart:';
    const a = startNode(redis.url, 'node-a', { dataDir }, { keyPrefix });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    a.guard.bans.add('198.51.100.50', { reason: 'before restart' });
    await waitUntil(() => b.guard.bans.get('198.51.100.50') !== undefined, 5_000, 'the ban on B');

    // A stops; meanwhile Redis loses everything and B bans a new source.
    await a.stop();
    await redis.restart();
    await waitUntil(() => isUp(b), 15_000, 'B back');
    b.guard.bans.add('198.51.100.51', { reason: 'while A was down' });

    const a2 = startNode(redis.url, 'node-a', { dataDir }, { keyPrefix });
    await waitUntil(() => isUp(a2) && a2.shared.health().reconciles >= 1, 10_000, 'A back and reconciled');
    expect(a2.guard.bans.get('198.51.100.50')).toBeDefined(); // from its data directory
    await waitUntil(() => a2.guard.bans.get('198.51.100.51') !== undefined, 5_000, "B's ban on the new A");
    const r = inspector(redis.url);
    // A pushed its restored ban back into the emptied store.
    await waitUntil(() => b.shared.health().reconciles >= 1, 5_000, 'B reconciled');
    expect(await r.exists(`${keyPrefix}ban:198.51.100.50`)).toBe(1);
  });

  it('starts without Redis: decides locally, warns once, and catches up when Redis appears', async () => {
    await redis.kill();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix: 'late:' });
    await waitUntil(() => isDown(a), 10_000, 'A to give up the first attempt');
    expect(a.guard.judge(scannerAttempt('198.51.100.60')).ban).toBeDefined();
    await redis.restart();
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix: 'late:' });
    await waitUntil(() => isUp(a) && isUp(b), 15_000, 'both up');
    await waitUntil(() => b.guard.bans.get('198.51.100.60') !== undefined, 10_000, "A's early ban on B");
    expect(a.events('shared-store-down')).toHaveLength(1);
  });
});
