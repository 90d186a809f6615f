import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspector, isUp, startNode } from './test-support/nodes.js';
import { startRedisServer, type TestRedisServer, waitUntil } from './testing.js';

let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

const SET = 'drachtio:blacklist';

describe("drachtio-server's blacklist set", () => {
  it('holds exactly the banned addresses: bans on either node, lifts, expiry, and stale members pruned', async () => {
    const r = inspector(redis.url);
    // Left from an earlier run: no ban behind it, so the first reconcile removes it.
    await r.sadd(SET, '192.0.2.99');
    const options = { drachtioBlacklistKey: SET };
    const a = startNode(redis.url, 'node-a', {}, options);
    const b = startNode(redis.url, 'node-b', {}, options);
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    await waitUntil(() => a.shared.health().reconciles >= 1 && b.shared.health().reconciles >= 1, 10_000, 'reconciles');
    const members = async () => (await r.smembers(SET)).sort();
    expect(await members()).toEqual([]);

    a.guard.bans.add('198.51.100.1', { reason: 'a' });
    b.guard.bans.add('198.51.100.2', { reason: 'b' });
    const short = a.guard.bans.add('198.51.100.3', { reason: 'short', ttl: 300 });
    await waitUntil(() => a.guard.bans.list().length === 3 && b.guard.bans.list().length === 3, 5_000, 'bans shared');
    expect(await members()).toEqual(['198.51.100.1', '198.51.100.2', '198.51.100.3']);

    expect(b.guard.bans.remove('198.51.100.1')).toBe(true);
    await waitUntil(() => b.shared.health().lifted === 1, 5_000, 'the lift');
    expect(await members()).toEqual(['198.51.100.2', '198.51.100.3']);

    // Expiry: the key times out in Redis and the guard's expiry event takes the member out.
    await waitUntil(() => Date.now() > short.until, 5_000, 'the short ban to end');
    expect(a.guard.bans.get('198.51.100.3')).toBeUndefined(); // fires the expiry
    expect(b.guard.bans.get('198.51.100.3')).toBeUndefined();
    await waitUntil(() => a.shared.health().inFlight === 0 && b.shared.health().inFlight === 0, 5_000, 'writes done');
    expect(await members()).toEqual(['198.51.100.2']);

    // A member added behind ghostguard's back with no ban goes at the next reconcile; banned ones stay.
    await r.sadd(SET, '203.0.113.200');
    const report = await a.shared.reconcile();
    expect(report?.blacklistChanged).toBe(1);
    expect(await members()).toEqual(['198.51.100.2']);
  });

  it('an expiry on one node leaves the member while another node holds a longer ban', async () => {
    const r = inspector(redis.url);
    const options = { drachtioBlacklistKey: 'bl2', keyPrefix: 'bl2:' };
    const a = startNode(redis.url, 'node-a', {}, options);
    const b = startNode(redis.url, 'node-b', {}, options);
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const ip = '198.51.100.30';
    const short = a.guard.bans.add(ip, { reason: 'short', ttl: 300 });
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the short ban on B');
    b.guard.bans.add(ip, { reason: 'long', ttl: 600_000 });
    await waitUntil(() => (a.guard.bans.get(ip)?.until ?? 0) > short.until, 5_000, 'the long ban on A');
    await waitUntil(() => Date.now() > short.until, 5_000, 'the short one to end');
    expect(a.guard.bans.get(ip)).toBeDefined();
    expect(await r.smembers('bl2')).toEqual([ip]);
  });
});
