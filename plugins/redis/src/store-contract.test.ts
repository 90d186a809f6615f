import type { Outcome } from '@ghostguard/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Backend, memoryBackend, redisBackend } from './test-support/backends.js';
import { isUp, roomCall, scannerAttempt, type TestNode } from './test-support/nodes.js';
import { waitUntil } from './testing.js';

const isDown = (n: TestNode) => n.shared.stats().state === 'down';
const bothUp = (a: TestNode, b: TestNode) => waitUntil(() => isUp(a) && isUp(b), 10_000, 'both nodes up');

/** The same behaviour on every backend: what replication, report sharing and reconcile promise, whatever the store. */
describe.each([redisBackend(), memoryBackend()])('shared bans on the $name store', (store: Backend) => {
  beforeAll(() => store.setup());
  afterAll(() => store.teardown());
  beforeEach(() => store.fresh());

  it('a scanner banned on node A is refused by node B, which never saw it', async () => {
    const a = store.node('node-a');
    const b = store.node('node-b');
    await bothUp(a, b);
    const scanner = '198.51.100.66';
    expect(b.guard.judge(roomCall(scanner)).action).toBe('allow');
    const verdict = a.guard.judge(scannerAttempt(scanner));
    expect(verdict.ban?.ip).toBe(scanner);

    await waitUntil(() => b.guard.bans.get(scanner) !== undefined, 5_000, 'the ban on node B');
    expect(b.guard.judge(roomCall(scanner)).reasons.map((r) => r.rule)).toContain('known-bad.banned');
    expect(b.guard.bans.get(scanner)).toMatchObject({ until: verdict.ban!.until, offense: 1 });
    expect(b.events('ban').at(-1)).toMatchObject({ ip: scanner, origin: 'replica' });
    expect(await store.stored(scanner)).toMatchObject({ ip: scanner, until: verdict.ban!.until });
    // B merged it without writing it back: only A counted a publication.
    await waitUntil(() => a.shared.stats().published === 1, 5_000, "A's write answered");
    expect(b.shared.stats()).toMatchObject({ published: 0, merged: 1 });
  });

  it('a ban lifted by hand on one node is lifted on the other, and the store remembers the lift', async () => {
    const a = store.node('node-a');
    const b = store.node('node-b');
    await bothUp(a, b);
    const ip = '203.0.113.77';
    a.guard.bans.add(ip, { reason: 'by hand' });
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the ban on B');

    expect(b.guard.bans.remove(ip)).toBe(true);
    await waitUntil(() => a.guard.bans.get(ip) === undefined, 5_000, 'the lift on A');
    expect(a.events('unban').at(-1)).toMatchObject({ ip, cause: 'replica' });
    await waitUntil(() => b.shared.stats().lifted === 1, 5_000, 'B to count the lift');
    expect(await store.stored(ip)).toBeUndefined();
    expect(await store.liftedAt(ip)).toBeGreaterThan(0);
    expect(a.shared.stats().removed).toBe(1);
  });

  it('racing nodes never shorten a ban: the store and both nodes keep the one that ends last', async () => {
    const a = store.node('node-a');
    const b = store.node('node-b');
    await bothUp(a, b);
    const ip = '192.0.2.200';
    const long = a.guard.bans.add(ip, { reason: 'long', ttl: 3_600_000 });
    b.guard.bans.add(ip, { reason: 'short', ttl: 60_000 });
    await waitUntil(() => a.shared.stats().inFlight === 0 && b.shared.stats().inFlight === 0, 5_000, 'writes done');
    expect(await store.stored(ip)).toMatchObject({ until: long.until, reason: 'long' });
    await waitUntil(() => b.guard.bans.get(ip)?.until === long.until, 5_000, 'the longer ban on B');
    expect(a.guard.bans.get(ip)?.until).toBe(long.until);
  });

  it('a node ignores its own messages and merges the others', async () => {
    const a = store.node('node-a');
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const ban = { ip: '203.0.113.5', reason: 'echo', since: Date.now(), until: Date.now() + 60_000, offense: 1 };
    await store.publish(JSON.stringify({ op: 'ban', node: 'node-a', ban }));
    await store.publish(JSON.stringify({ op: 'ban', node: 'node-z', ban: { ...ban, ip: '203.0.113.6' } }));
    await waitUntil(() => a.guard.bans.get('203.0.113.6') !== undefined, 5_000, 'the other node’s ban');
    expect(a.guard.bans.get('203.0.113.5')).toBeUndefined();
    expect(a.shared.stats()).toMatchObject({ received: 2, merged: 1 });
  });

  it('a node that starts later pulls every ban already in the store', async () => {
    const a = store.node('node-a', {}, { batchSize: 7 });
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const ips = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
    for (const ip of ips) a.guard.bans.add(ip, { reason: 'sweep' });
    await waitUntil(() => a.shared.stats().published === ips.length, 5_000, 'A to publish');

    const c = store.node('node-c', {}, { batchSize: 7 });
    await c.shared.ready;
    expect(c.guard.bans.list().map((b) => b.ip)).toEqual(expect.arrayContaining(ips));
    expect(c.shared.stats().lastReconcile).toMatchObject({ merged: ips.length, invalid: 0, pushed: 0 });
  });

  it('a ban ends in the store when it ends on the node', async () => {
    const a = store.node('node-a');
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const short = a.guard.bans.add('198.51.100.31', { reason: 'short', ttl: 150 });
    await waitUntil(() => a.shared.stats().published === 1, 5_000, 'the write');
    expect(await store.stored(short.ip)).toBeDefined();
    await waitUntil(() => Date.now() > short.until + 5, 5_000, 'the ban to end');
    expect(await store.stored(short.ip)).toBeUndefined();
  });

  it('a monitor-mode node merges the others’ bans and writes none of its own', async () => {
    const a = store.node('node-a');
    const m = store.node('node-m', { mode: 'monitor' });
    await bothUp(a, m);
    m.guard.judge(scannerAttempt('198.51.100.70'));
    a.guard.bans.add('198.51.100.71', { reason: 'enforcing node' });
    await waitUntil(() => m.guard.bans.get('198.51.100.71') !== undefined, 5_000, 'the ban on the monitor node');
    expect(await store.stored('198.51.100.70')).toBeUndefined();
    expect(a.guard.bans.get('198.51.100.70')).toBeUndefined();
    expect(m.shared.stats()).toMatchObject({ published: 0, skippedWrites: 0 });
  });

  it('a failure reported to node A counts on node B, once', async () => {
    const a = store.node('node-a');
    const b = store.node('node-b');
    await bothUp(a, b);
    const ip = '198.51.100.21';
    const failure: Outcome = { kind: 'auth-failure', source: { ip, port: 5060 }, detail: 'InvalidPassword' };
    a.guard.report(failure);
    a.guard.report({ kind: 'completed-call', source: { ip } });
    await waitUntil(() => b.shared.stats().reports.applied === 1, 5_000, "A's report counted on B");
    expect(b.guard.bans.explain(ip).activity?.failuresInWindow).toBe(1);
    await waitUntil(() => a.shared.stats().reports.published === 1, 5_000, "A's publication answered");
    expect(a.shared.stats().reports.received).toBe(0);
  });

  it('keeps the blacklist set to exactly the banned addresses', async () => {
    const a = store.node('node-a', {}, {}, 'blacklist');
    const b = store.node('node-b', {}, {}, 'blacklist');
    await bothUp(a, b);
    await Promise.all([a.shared.ready, b.shared.ready]);
    a.guard.bans.add('198.51.100.1', { reason: 'a' });
    b.guard.bans.add('198.51.100.2', { reason: 'b' });
    await waitUntil(() => a.guard.bans.list().length === 2 && b.guard.bans.list().length === 2, 5_000, 'shared');
    expect(await store.members('blacklist')).toEqual(['198.51.100.1', '198.51.100.2']);
    b.guard.bans.remove('198.51.100.1');
    await waitUntil(() => b.shared.stats().lifted === 1, 5_000, 'the lift');
    expect(await store.members('blacklist')).toEqual(['198.51.100.2']);
  });

  it('while the store is away both nodes decide locally, warn once, and converge both ways when it is back', async () => {
    const a = store.node('node-a');
    const b = store.node('node-b');
    await bothUp(a, b);
    const before = '198.51.100.10';
    a.guard.judge(scannerAttempt(before));
    await waitUntil(() => b.guard.bans.get(before) !== undefined, 5_000, 'the first ban on B');

    await store.outage();
    await waitUntil(() => isDown(a) && isDown(b), 10_000, 'both nodes to notice');
    expect(b.guard.judge(roomCall(before)).action).not.toBe('allow');
    const onA = '198.51.100.11';
    const onB = '198.51.100.12';
    expect(a.guard.judge(scannerAttempt(onA)).ban?.ip).toBe(onA);
    expect(b.guard.judge(scannerAttempt(onB)).ban?.ip).toBe(onB);
    expect(a.guard.judge(roomCall('198.51.100.13')).action).toBe('allow');
    expect(a.shared.stats().skippedWrites).toBeGreaterThan(0);
    for (const node of [a, b]) {
      expect(node.events('shared-store-down')).toHaveLength(1);
      expect(node.events('shared-store-down')[0]).toMatchObject({
        level: 40,
        failMode: 'open',
        code: 'GG_REDIS_UNREACHABLE',
      });
    }

    await store.restore(); // empty
    await bothUp(a, b);
    await waitUntil(() => b.guard.bans.get(onA) !== undefined, 10_000, "A's outage ban on B");
    await waitUntil(() => a.guard.bans.get(onB) !== undefined, 10_000, "B's outage ban on A");
    await waitUntil(() => a.shared.stats().reconciles >= 2 && b.shared.stats().reconciles >= 2, 10_000, 'reconciles');
    for (const ip of [before, onA, onB]) expect(await store.stored(ip)).toBeDefined();
    for (const node of [a, b]) expect(node.events('shared-store-up')).toHaveLength(1);
  });

  it('a ban lifted by hand during an outage stays lifted on every node when the store is back', async () => {
    const a = store.node('node-a');
    const b = store.node('node-b');
    await bothUp(a, b);
    const ip = '203.0.113.40';
    a.guard.bans.add(ip, { reason: 'by hand' });
    await waitUntil(() => b.guard.bans.get(ip) !== undefined, 5_000, 'the ban on B');

    await store.outage();
    await waitUntil(() => isDown(a) && isDown(b), 10_000, 'both nodes to notice');
    expect(b.guard.bans.remove(ip)).toBe(true);
    expect(b.shared.stats().pendingRemovals).toBe(1);

    await store.restore();
    await bothUp(a, b);
    await waitUntil(() => a.guard.bans.get(ip) === undefined, 10_000, 'the lift on A');
    await waitUntil(() => b.shared.stats().pendingRemovals === 0, 10_000, 'the removal replayed');
    expect(b.guard.bans.get(ip)).toBeUndefined();
    expect(await store.stored(ip)).toBeUndefined();
  });
});
