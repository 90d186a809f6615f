import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspector, isUp, roomCall, scannerAttempt, startNode } from './test-support/nodes.js';
import { startRedisServer, type TestRedisServer, waitUntil } from './testing.js';

let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** Each test uses its own key prefix, so tests never see each other's bans. */
let n = 0;
const prefix = () => `t${++n}:`;

describe('bans shared between two nodes', () => {
  it('a scanner banned on node A is refused by node B, which never saw it', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');

    const scanner = '198.51.100.66';
    expect(b.guard.judge(roomCall(scanner)).action).toBe('allow');
    const verdict = a.guard.judge(scannerAttempt(scanner));
    expect(verdict.ban?.ip).toBe(scanner);

    await waitUntil(() => b.guard.bans.get(scanner) !== undefined, 5_000, 'the ban on node B');
    const onB = b.guard.judge(roomCall(scanner));
    expect(onB.action).not.toBe('allow');
    expect(onB.reasons.map((r) => r.rule)).toContain('known-bad.banned');
    expect(b.guard.bans.get(scanner)).toMatchObject({ until: verdict.ban!.until, offense: 1 });
    expect(b.events('ban').at(-1)).toMatchObject({ ip: scanner, origin: 'replica' });

    const r = inspector(redis.url);
    const stored = JSON.parse((await r.get(`${keyPrefix}ban:${scanner}`)) ?? 'null');
    expect(stored).toMatchObject({ ip: scanner, until: verdict.ban!.until });
    const pttl = await r.pttl(`${keyPrefix}ban:${scanner}`);
    expect(pttl).toBeGreaterThan(0);
    expect(pttl).toBeLessThanOrEqual(verdict.ban!.until - verdict.ban!.since);
    // B merged it without re-publishing: only A counted a publication.
    await waitUntil(() => a.shared.health().published === 1, 5_000, "A's write answered");
    expect(b.shared.health()).toMatchObject({ published: 0, merged: 1 });
  });

  it('a ban lifted by hand on one node is lifted on the other and in the store', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const ip = '203.0.113.77';
    a.guard.bans.add(ip, { reason: 'by hand' });
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the ban on B');

    expect(b.guard.bans.remove(ip)).toBe(true);
    await waitUntil(() => a.guard.bans.get(ip) === undefined, 5_000, 'the lift on A');
    expect(a.events('unban').at(-1)).toMatchObject({ ip, cause: 'replica' });
    expect(a.guard.judge(roomCall(ip)).action).toBe('allow');
    const r = inspector(redis.url);
    await waitUntil(() => b.shared.health().lifted === 1, 5_000, 'B to count the lift');
    expect(await r.exists(`${keyPrefix}ban:${ip}`)).toBe(0);
    // The lift is remembered, so a node that still holds the old ban cannot push it back.
    expect(Number(await r.get(`${keyPrefix}lifted:${ip}`))).toBeGreaterThan(0);
  });

  it('racing nodes never shorten a ban: the store keeps the one that ends last', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const ip = '192.0.2.200';
    const long = a.guard.bans.add(ip, { reason: 'long', ttl: 3_600_000 });
    b.guard.bans.add(ip, { reason: 'short', ttl: 60_000 });
    const r = inspector(redis.url);
    await waitUntil(() => a.shared.health().inFlight === 0 && b.shared.health().inFlight === 0, 5_000, 'writes done');
    const stored = JSON.parse((await r.get(`${keyPrefix}ban:${ip}`)) ?? 'null');
    expect(stored).toMatchObject({ until: long.until, reason: 'long' });
    expect(await r.pttl(`${keyPrefix}ban:${ip}`)).toBeGreaterThan(600_000);
    // B takes A's longer ban whichever write landed first; A never takes B's shorter one.
    await waitUntil(() => b.guard.bans.get(ip)?.until === long.until, 5_000, 'the longer ban on B');
    expect(a.guard.bans.get(ip)?.until).toBe(long.until);
  });

  it('a node that starts later pulls every ban already in the store, and skips invalid keys', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix, batchSize: 7 });
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const ips = Array.from({ length: 40 }, (_, i) => `198.51.100.${i + 1}`);
    for (const ip of ips) a.guard.bans.add(ip, { reason: 'sweep' });
    await waitUntil(() => a.shared.health().published === ips.length, 5_000, 'A to publish');
    const r = inspector(redis.url);
    await r.set(`${keyPrefix}ban:198.51.100.250`, 'not json', 'PX', 60_000);
    await r.set(
      `${keyPrefix}ban:198.51.100.251`,
      JSON.stringify({ ip: '10.9.9.9', reason: 'mismatch', since: 1, until: Date.now() + 60_000, offense: 1 }),
      'PX',
      60_000,
    );

    const c = startNode(redis.url, 'node-c', {}, { keyPrefix, batchSize: 7 });
    await waitUntil(() => c.shared.health().reconciles >= 1, 10_000, 'C to reconcile');
    expect(
      c.guard.bans
        .list()
        .map((b) => b.ip)
        .sort(),
    ).toEqual([...ips].sort());
    expect(c.shared.health().lastReconcile).toMatchObject({ merged: ips.length, invalid: 2, pushed: 0 });
    expect(c.guard.bans.get('10.9.9.9')).toBeUndefined();
  });

  it('never queues: writes past maxPendingWrites are skipped and a reconcile pushes them', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix, maxPendingWrites: 2 });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');
    const reconcilesBefore = a.shared.health().reconciles;
    const ips = Array.from({ length: 50 }, (_, i) => `198.51.100.${100 + i}`);
    // One synchronous burst: at most 2 writes can be in flight, the rest are not sent.
    for (const ip of ips) a.guard.bans.add(ip, { reason: 'burst' });
    const h = a.shared.health();
    expect(h.inFlight).toBeLessThanOrEqual(2);
    expect(h.skippedWrites).toBe(ips.length - 2);
    await waitUntil(() => ips.every((ip) => b.guard.bans.get(ip) !== undefined), 10_000, 'every ban on B');
    // B can hold every ban (published by the reconcile's push) a moment before that reconcile counts as done.
    await waitUntil(() => a.shared.health().reconciles > reconcilesBefore, 10_000, 'the reconcile that pushed them');
  });

  it('ignores its own messages', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const r = inspector(redis.url);
    const ban = { ip: '203.0.113.5', reason: 'echo', since: Date.now(), until: Date.now() + 60_000, offense: 1 };
    await r.publish(`${keyPrefix}bans`, JSON.stringify({ op: 'ban', node: 'node-a', ban }));
    await r.publish(
      `${keyPrefix}bans`,
      JSON.stringify({ op: 'ban', node: 'node-z', ban: { ...ban, ip: '203.0.113.6' } }),
    );
    await waitUntil(() => a.guard.bans.get('203.0.113.6') !== undefined, 5_000, 'the other node’s ban');
    expect(a.guard.bans.get('203.0.113.5')).toBeUndefined();
    expect(a.shared.health()).toMatchObject({ received: 2, merged: 1 });
  });

  it('a guard in monitor mode merges bans from the store and writes none', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    const m = startNode(redis.url, 'node-m', { mode: 'monitor' }, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(m), 10_000, 'both nodes up');
    m.guard.judge(scannerAttempt('198.51.100.70'));
    expect(m.guard.bans.get('198.51.100.70')).toBeDefined();
    a.guard.bans.add('198.51.100.71', { reason: 'enforcing node' });
    await waitUntil(() => m.guard.bans.get('198.51.100.71') !== undefined, 5_000, 'the ban on the monitor node');
    const r = inspector(redis.url);
    expect(await r.exists(`${keyPrefix}ban:198.51.100.70`)).toBe(0);
    expect(a.guard.bans.get('198.51.100.70')).toBeUndefined();
    expect(m.shared.health()).toMatchObject({ published: 0, skippedWrites: 0 });
  });

  it('close() detaches from the guard and is idempotent', async () => {
    const keyPrefix = prefix();
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    await waitUntil(() => isUp(a), 10_000, 'A up');
    await a.shared.close();
    await a.shared.close();
    expect(a.shared.health().state).toBe('closed');
    a.guard.bans.add('198.51.100.90', { reason: 'after close' });
    const r = inspector(redis.url);
    expect(await r.exists(`${keyPrefix}ban:198.51.100.90`)).toBe(0);
    expect(a.shared.health().skippedWrites).toBe(0);
  });
});
