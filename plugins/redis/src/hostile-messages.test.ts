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

describe('hostile pub/sub payloads', () => {
  it('are ignored, counted and logged (throttled), and later valid messages still apply', async () => {
    const a = startNode(redis.url, 'node-a', { trust: { cidrs: ['192.0.2.0/24'] } });
    await waitUntil(() => isUp(a), 10_000, 'A up');
    const r = inspector(redis.url);
    const now = Date.now();
    const ban = (over: Record<string, unknown>) => ({
      op: 'ban',
      node: 'evil',
      ban: { ip: '198.51.100.9', reason: 'x', since: now, until: now + 60_000, offense: 1, ...over },
    });
    const payloads: string[] = [
      'not json at all',
      '{"op":"ban"',
      'null',
      '[]',
      '42',
      JSON.stringify({ op: 'drop-table', node: 'evil' }),
      JSON.stringify({ op: 'ban', node: 'evil' }),
      JSON.stringify(ban({ ip: 'not-an-ip' })),
      JSON.stringify(ban({ until: 'tomorrow' })),
      JSON.stringify(ban({ offense: -1 })),
      JSON.stringify(ban({ reason: 'r'.repeat(600) })),
      JSON.stringify({ ...ban({}), node: '' }),
      JSON.stringify({ op: 'unban', node: 'evil', ip: 5 }),
      JSON.stringify(ban({ ip: 'x'.repeat(10_000) })), // too large: never parsed
      '{"__proto__":{"polluted":true},"op":"ban","node":"evil"}',
    ];
    for (const p of payloads) await r.publish('ghostguard:bans', p);
    // Valid for the schema but refused by the guard: an allowlisted source, an already expired ban.
    await r.publish('ghostguard:bans', JSON.stringify(ban({ ip: '192.0.2.7' })));
    await r.publish('ghostguard:bans', JSON.stringify(ban({ ip: '198.51.100.8', until: now - 1 })));
    await r.publish('ghostguard:bans', JSON.stringify(ban({ ip: '198.51.100.250' })));
    await waitUntil(() => a.guard.bans.get('198.51.100.250') !== undefined, 5_000, 'the valid ban');

    const h = a.shared.health();
    expect(h.received).toBe(payloads.length + 3);
    expect(h.ignored).toEqual({ 'too-large': 1, 'not-json': 2, 'bad-shape': payloads.length - 3 });
    expect(h.merged).toBe(1);
    expect(a.guard.bans.list().map((b) => b.ip)).toEqual(['198.51.100.250']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // One warn line for the burst (throttled), naming the kind.
    const bad = a.events('shared-store-bad-message');
    expect(bad).toHaveLength(1);
    expect(bad[0]).toMatchObject({ level: 40, kind: 'not-json' });
    expect(a.events('ban-refused')).toHaveLength(1);
    expect(isUp(a)).toBe(true);
  });

  it('invalid values under ban keys are skipped at reconcile, never merged', async () => {
    const r = inspector(redis.url);
    const now = Date.now();
    await r.set('hk:ban:198.51.100.40', '{"ip":"198.51.100.40","reason":1}', 'PX', 60_000);
    await r.set('hk:ban:198.51.100.41', 'x'.repeat(20_000), 'PX', 60_000);
    await r.set(
      'hk:ban:198.51.100.42',
      JSON.stringify({ ip: '198.51.100.42', reason: 'expired', since: now - 10_000, until: now - 1, offense: 1 }),
      'PX',
      60_000,
    );
    await r.set(
      'hk:ban:198.51.100.43',
      JSON.stringify({ ip: '198.51.100.43', reason: 'ok', since: now, until: now + 60_000, offense: 2 }),
      'PX',
      60_000,
    );
    const a = startNode(redis.url, 'node-a', {}, { keyPrefix: 'hk:' });
    await waitUntil(() => a.shared.health().reconciles >= 1, 10_000, 'reconcile');
    expect(a.shared.health().lastReconcile).toMatchObject({ scanned: 4, invalid: 2, expiredSkipped: 1, merged: 1 });
    expect(a.guard.bans.list().map((b) => b.ip)).toEqual(['198.51.100.43']);
  });
});
