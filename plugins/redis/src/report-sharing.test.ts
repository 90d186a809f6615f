import type { Outcome } from '@ghostguard/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspector, isUp, onCleanup, roomCall, startNode, type TestNode } from './test-support/nodes.js';
import { startRedisServer, type TestRedisServer, waitUntil } from './testing.js';

let redis: TestRedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

/** Each test uses its own key prefix (and so its own channel). */
let n = 0;
const prefix = () => `rp${++n}:`;

const authFailure = (ip: string, i = 0): Outcome => ({
  kind: 'auth-failure',
  source: { ip, port: 5060 },
  target: `10${i}`,
  detail: 'InvalidPassword',
  adapter: 'asterisk',
});

const failuresHere = (node: TestNode, ip: string): number =>
  node.guard.bans.explain(ip).activity?.failuresInWindow ?? 0;

/** Every message published on a channel, parsed, in the order Redis delivered them. */
async function listen(channel: string): Promise<Array<Record<string, unknown>>> {
  const sub = inspector(redis.url);
  const seen: Array<Record<string, unknown>> = [];
  sub.on('message', (ch: string, payload: string) => {
    if (ch === channel) seen.push(JSON.parse(payload) as Record<string, unknown>);
  });
  await sub.subscribe(channel);
  return seen;
}

describe('failures reported by the PBX, shared between nodes', () => {
  it('a guesser spreading 5 + 5 tries over two nodes is banned on both, and the ban reaches a third', async () => {
    const keyPrefix = prefix();
    const config = { bans: { failuresToBan: 10 } };
    const a = startNode(redis.url, 'node-a', config, { keyPrefix });
    const b = startNode(redis.url, 'node-b', config, { keyPrefix });
    // C counts no report: it can only learn of the guesser through the ban one of the others makes.
    const c = startNode(redis.url, 'node-c', config, { keyPrefix, shareReports: false });
    await waitUntil(() => isUp(a) && isUp(b) && isUp(c), 10_000, 'three nodes up');

    const guesser = '198.51.100.21';
    for (let i = 0; i < 5; i++) expect(a.guard.report(authFailure(guesser, i))).toBeUndefined();
    await waitUntil(() => b.shared.health().reports.applied === 5, 5_000, "A's 5 reports counted on B");
    expect(failuresHere(b, guesser)).toBe(5);
    expect(b.guard.bans.get(guesser)).toBeUndefined();

    for (let i = 0; i < 4; i++) expect(b.guard.report(authFailure(guesser, 5 + i))).toBeUndefined();
    const ban = b.guard.report(authFailure(guesser, 9));
    expect(ban).toMatchObject({ ip: guesser, reason: expect.stringContaining('10 failures reported by the PBX') });

    await waitUntil(
      () => a.guard.bans.get(guesser) !== undefined && c.guard.bans.get(guesser) !== undefined,
      5_000,
      'the guesser banned on A and C',
    );
    expect(a.guard.judge(roomCall(guesser)).reasons.map((r) => r.rule)).toContain('known-bad.banned');
    expect(c.events('ban').find((l) => l.ip === guesser)).toMatchObject({ origin: 'replica' });
    expect(c.shared.health().reports).toMatchObject({ enabled: false, applied: 0, published: 0 });
    expect(failuresHere(c, guesser)).toBe(0);
    await waitUntil(() => a.shared.health().reports.published === 5, 5_000, "A's publications answered");
    expect(a.shared.health().reports).toMatchObject({ skipped: 0, failed: 0, coalesced: 0 });
  });

  it('replica reports are never re-published, completed calls never shared', async () => {
    const keyPrefix = prefix();
    const seen = await listen(`${keyPrefix}bans`);
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    const b = startNode(redis.url, 'node-b', {}, { keyPrefix });
    const c = startNode(redis.url, 'node-c', {}, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(b) && isUp(c), 10_000, 'three nodes up');

    const ip = '203.0.113.31';
    a.guard.report({ kind: 'completed-call', source: { ip } });
    for (let i = 0; i < 3; i++) a.guard.report(authFailure(ip, i));
    a.guard.report({ kind: 'unknown-target', source: { ip }, target: '999' });
    await waitUntil(
      () => b.shared.health().reports.applied === 4 && c.shared.health().reports.applied === 4,
      5_000,
      "A's 4 failures counted on B and C",
    );
    // A re-publication would have left B's connection before this report of its own: the channel shows it first.
    b.guard.report({ kind: 'acl-failure', source: { ip: '203.0.113.32' } });
    await waitUntil(() => seen.length >= 5, 5_000, "B's own report on the channel");
    expect(seen.map((m) => [m.op, m.node, (m.outcome as Outcome).kind])).toEqual([
      ['report', 'node-a', 'auth-failure'],
      ['report', 'node-a', 'auth-failure'],
      ['report', 'node-a', 'auth-failure'],
      ['report', 'node-a', 'unknown-target'],
      ['report', 'node-b', 'acl-failure'],
    ]);
    expect(seen[0]?.outcome).toEqual({
      kind: 'auth-failure',
      source: { ip, port: 5060 },
      target: '100',
      detail: 'InvalidPassword',
      adapter: 'asterisk',
      time: expect.any(Number),
    });
    await waitUntil(() => b.shared.health().inFlight === 0, 5_000, "B's write answered");
    expect(b.shared.health().reports).toMatchObject({ published: 1, received: 4, applied: 4 });
    expect(c.shared.health().reports).toMatchObject({ published: 0, skipped: 0, coalesced: 0 });
    // A ignores its own messages; it counted each failure once, when its PBX reported it.
    await waitUntil(() => a.shared.health().reports.received === 1, 5_000, "B's report on A");
    expect(failuresHere(a, ip)).toBe(4);
  });

  it('hostile report payloads are ignored and counted; skewed clocks are clamped', async () => {
    const keyPrefix = prefix();
    const channel = `${keyPrefix}bans`;
    const a = startNode(
      redis.url,
      'node-a',
      { trust: { cidrs: ['192.0.2.0/24'] }, bans: { failuresToBan: 3 } },
      { keyPrefix, reportClockSkew: 2_000 },
    );
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const r = inspector(redis.url);
    const ip = '198.51.100.44';
    const report = (outcome: Record<string, unknown>, node = 'evil') =>
      JSON.stringify({
        op: 'report',
        node,
        outcome: { kind: 'auth-failure', source: { ip }, time: Date.now(), ...outcome },
      });
    const hostile = [
      JSON.stringify({ op: 'report', node: 'evil' }),
      JSON.stringify({ op: 'report', node: 'evil', outcome: 'auth-failure' }),
      report({ kind: 'completed-call' }), // trust is per node: never earned through the channel
      report({ kind: 'rm -rf' }),
      report({ source: { ip: 'localhost' } }),
      report({ source: { ip, port: 70_000 } }),
      report({ source: undefined }),
      report({ time: undefined }),
      report({ time: -1 }),
      report({ time: 'now' }),
      report({ target: 't'.repeat(300) }),
      report({ detail: 'd'.repeat(600) }),
      report({ adapter: 'a'.repeat(40) }),
      report({}, ''),
      report({ detail: 'x'.repeat(9_000) }), // too large: never parsed
      `{"op":"report","node":"evil","outcome":{"__proto__":{"polluted":true},"kind":"auth-failure"}}`,
    ];
    for (const p of hostile) await r.publish(channel, p);
    // Valid, but not counted: a trusted source, and this node's own name.
    await r.publish(channel, report({ source: { ip: '192.0.2.8' } }));
    await r.publish(channel, report({}, 'node-a'));
    // Valid, from clocks a day behind and a day ahead: both count, now.
    const before = Date.now();
    await r.publish(channel, report({ time: 0 }));
    await r.publish(channel, report({ time: Date.now() + 86_400_000 }));
    await r.publish(channel, report({ kind: 'bad-request' }));
    await waitUntil(() => a.guard.bans.get(ip) !== undefined, 5_000, 'the ban from three valid reports');
    const after = Date.now();
    // The ban this node made from shared reports is its own: written and published like any local ban (and its
    // own message comes back to it, ignored).
    await waitUntil(
      () => a.shared.health().received === hostile.length + 6 && a.shared.health().published === 1,
      5_000,
      'the ban published, and its message back',
    );

    const h = a.shared.health();
    expect(h.ignored).toEqual({ 'too-large': 1, 'not-json': 0, 'bad-shape': hostile.length - 1 });
    expect(h.reports).toMatchObject({ received: 4, applied: 3, refused: 1, published: 0 });
    const ban = a.guard.bans.get(ip)!;
    expect(ban.since).toBeGreaterThanOrEqual(before - 2_000);
    expect(ban.since).toBeLessThanOrEqual(after);
    expect(ban.until).toBeGreaterThan(after);
    expect(failuresHere(a, '192.0.2.8')).toBe(0);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(a.events('shared-store-bad-message')).toHaveLength(1);
    expect(isUp(a)).toBe(true);
  });

  it('shareReports false publishes nothing and counts nothing from the others', async () => {
    const keyPrefix = prefix();
    const seen = await listen(`${keyPrefix}bans`);
    const off = startNode(redis.url, 'node-off', {}, { keyPrefix, shareReports: false });
    const on = startNode(redis.url, 'node-on', {}, { keyPrefix });
    await waitUntil(() => isUp(off) && isUp(on), 10_000, 'both nodes up');

    const ip = '198.51.100.55';
    for (let i = 0; i < 5; i++) off.guard.report(authFailure(ip, i));
    on.guard.report(authFailure(ip, 5));
    // Each node's later ban leaves its connection after anything it published before.
    off.guard.bans.add('198.51.100.56', { reason: 'marker' });
    on.guard.bans.add('198.51.100.57', { reason: 'marker' });
    await waitUntil(() => seen.filter((m) => m.op === 'ban').length === 2, 5_000, 'both markers');
    expect(seen.filter((m) => m.node === 'node-off').map((m) => m.op)).toEqual(['ban']);
    expect(seen.filter((m) => m.node === 'node-on').map((m) => m.op)).toEqual(['report', 'ban']);
    await waitUntil(() => off.shared.health().reports.received === 1, 5_000, "on's report received by off");
    expect(off.shared.health().reports).toMatchObject({ enabled: false, published: 0, applied: 0, refused: 1 });
    expect(failuresHere(off, ip)).toBe(5);
    expect(on.shared.health().reports.received).toBe(0);
    expect(failuresHere(on, ip)).toBe(1);
  });

  it('a guard in monitor mode counts the others’ reports and publishes none of its own', async () => {
    const keyPrefix = prefix();
    const seen = await listen(`${keyPrefix}bans`);
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix });
    const m = startNode(redis.url, 'node-m', { mode: 'monitor' }, { keyPrefix });
    await waitUntil(() => isUp(a) && isUp(m), 10_000, 'both nodes up');
    const ip = '198.51.100.66';
    a.guard.report(authFailure(ip));
    m.guard.report(authFailure(ip, 1));
    await waitUntil(() => m.shared.health().reports.applied === 1, 5_000, "A's report counted on M");
    a.guard.bans.add('198.51.100.67', { reason: 'marker' });
    await waitUntil(() => seen.some((x) => x.op === 'ban'), 5_000, 'the marker');
    expect(seen.map((x) => x.node)).toEqual(['node-a', 'node-a']);
    expect(m.shared.health().reports).toMatchObject({ enabled: true, publishing: false, published: 0, skipped: 0 });
    expect(failuresHere(m, ip)).toBe(2);
  });

  it('bursts are bounded: per source per second, banned sources not re-sent, in-flight cap shared with bans', async () => {
    const keyPrefix = prefix();
    const a = startNode(
      redis.url,
      'node-a',
      { bans: { failuresToBan: 1_000 } },
      { keyPrefix, maxReportsPerSource: 3, maxPendingWrites: 5 },
    );
    await waitUntil(() => isUp(a), 10_000, 'A up');

    // One source, 10 tries in one synchronous burst: 3 sent (6 if a second boundary falls inside), the rest coalesced.
    for (let i = 0; i < 10; i++) a.guard.report(authFailure('198.51.100.77', i));
    const first = a.shared.health().reports;
    expect(first.coalesced).toBeGreaterThanOrEqual(4);
    expect(first.coalesced + first.skipped + a.shared.health().inFlight).toBe(10);

    await waitUntil(() => a.shared.health().inFlight === 0, 5_000, 'writes answered');
    const banned = '198.51.100.78';
    a.guard.bans.add(banned, { reason: 'already banned' });
    const coalescedBefore = a.shared.health().reports.coalesced;
    a.guard.report(authFailure(banned));
    expect(a.shared.health().reports.coalesced).toBe(coalescedBefore + 1);

    // Many sources at once: at most maxPendingWrites in flight (the ban write above may hold one), the rest skipped.
    await waitUntil(() => a.shared.health().inFlight === 0, 5_000, 'writes answered');
    const skippedBefore = a.shared.health().reports.skipped;
    for (let i = 0; i < 20; i++) a.guard.report(authFailure(`203.0.113.${100 + i}`));
    expect(a.shared.health().inFlight).toBe(5);
    expect(a.shared.health().reports.skipped - skippedBefore).toBe(15);
    // Skipped reports are lost, not owed: no reconcile is scheduled for them.
    expect(a.shared.health().skippedWrites).toBe(0);
  });

  it('fire-and-forget: reports made while Redis is down are counted locally, skipped, and never replayed', async () => {
    // Its own server: this test kills it.
    const own = await startRedisServer();
    onCleanup(() => own.stop());
    const a = startNode(own.url, 'node-a');
    const b = startNode(own.url, 'node-b');
    // Up and reconciled once: a first reconcile still running at the kill is aborted and never counted.
    await waitUntil(
      () => isUp(a) && isUp(b) && a.shared.health().reconciles >= 1 && b.shared.health().reconciles >= 1,
      10_000,
      'both nodes up and reconciled',
    );
    const before = { a: a.shared.health().reconciles, b: b.shared.health().reconciles };
    const ip = '198.51.100.88';

    await own.kill();
    await waitUntil(() => a.shared.health().state === 'down', 10_000, 'A to notice');
    for (let i = 0; i < 3; i++) a.guard.report(authFailure(ip, i));
    expect(a.shared.health().reports).toMatchObject({ skipped: 3, published: 0 });
    expect(failuresHere(a, ip)).toBe(3);
    expect(a.events('shared-store-report-failed')).toHaveLength(0);

    await own.restart();
    await waitUntil(
      () => isUp(a) && isUp(b) && a.shared.health().reconciles > before.a && b.shared.health().reconciles > before.b,
      15_000,
      'both nodes back and reconciled',
    );
    a.guard.report(authFailure(ip, 3));
    await waitUntil(() => b.shared.health().reports.applied === 1, 5_000, 'the report made after the outage');
    // The three made during the outage were lost for B: only the later one counts there.
    expect(failuresHere(b, ip)).toBe(1);
    expect(a.shared.health().reports).toMatchObject({ skipped: 3, published: 1 });
  });
});
