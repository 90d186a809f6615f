import { describe, expect, it } from 'vitest';
import { MemoryBanHub } from './memory-hub.js';
import { banLift, banWrite, type StoreListener } from './store.js';
import { attachNode, isUp, startMemoryNode } from './test-support/nodes.js';
import { waitUntil } from './testing.js';

const now = Date.now();
const ban = (ip: string, since: number, until: number) => ({ ip, reason: 'test', since, until, offense: 1 });

/** A store of `hub` opened with a listener that records what it is told. */
function openStore(hub: MemoryBanHub, blacklistKey?: string) {
  const told: string[] = [];
  const messages: string[] = [];
  const listener: StoreListener = {
    up: () => told.push('up'),
    down: (c) => told.push(`down ${c}`),
    error: () => {},
    reconnecting: () => told.push('reconnecting'),
    message: (m) => messages.push(m),
  };
  const store = hub.store(blacklistKey === undefined ? {} : { blacklistKey });
  store.open(listener);
  return { store, told, messages };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('the in-memory store', () => {
  it('keeps the longer ban, refuses one that began before a lift, and lets a conditional lift spare a newer ban', async () => {
    const hub = new MemoryBanHub();
    const { store } = openStore(hub);
    await flush();
    const ip = '198.51.100.1';
    expect(await store.writeBan(banWrite('a', ban(ip, now, now + 60_000), now)!)).toBe('written');
    expect(await store.writeBan(banWrite('b', ban(ip, now, now + 30_000), now)!)).toBe('kept-longer');
    expect(hub.get(ip)?.until).toBe(now + 60_000);

    expect(await store.liftBan(banLift('a', ip, now + 10, false, 3_600_000))).toBe('lifted');
    expect(hub.get(ip)).toBeUndefined();
    expect(hub.liftedAt(ip)).toBe(now + 10);
    // A node that still held the old ban cannot push it back; a ban that began after the lift is new.
    expect(await store.writeBan(banWrite('b', ban(ip, now, now + 90_000), now)!)).toBe('lifted');
    expect(await store.writeBan(banWrite('b', ban(ip, now + 20, now + 90_000), now)!)).toBe('written');
    expect(await store.liftBans([banLift('a', ip, now + 15, true, 3_600_000)])).toEqual(['kept-newer']);
    expect(hub.get(ip)).toBeDefined();
  });

  it('expires a ban after its ttl and a lift after it is no longer remembered', async () => {
    const hub = new MemoryBanHub();
    const { store } = openStore(hub);
    await flush();
    const t = Date.now();
    await store.writeBan({ ban: ban('198.51.100.2', t, t + 40), ttl: 40, announce: '{}' });
    await store.liftBan(banLift('a', '198.51.100.3', t, false, 40));
    expect(hub.get('198.51.100.2')).toBeDefined();
    expect(hub.get('198.51.100.2', t + 40)).toBeUndefined();
    expect(hub.liftedAt('198.51.100.3', t + 40)).toBeUndefined();
    const pages: unknown[] = [];
    for await (const page of store.scanBans(10)) pages.push(page);
    expect(pages).toEqual([[]]);
  });

  it('announces to every open node, the writer included, and nothing to a node whose link is down', async () => {
    const hub = new MemoryBanHub();
    const a = openStore(hub);
    const b = openStore(hub);
    const c = openStore(hub);
    await flush();
    c.store.down();
    await a.store.writeBan(banWrite('a', ban('198.51.100.4', now, now + 60_000), now)!);
    await a.store.publish('hello');
    await flush();
    expect(a.messages).toHaveLength(2);
    expect(b.messages).toEqual(a.messages);
    expect(c.messages).toEqual([]);
    expect(c.told).toEqual(['up', 'down hub']);
    await expect(c.store.publish('x')).rejects.toMatchObject({ code: 'GG_REDIS_UNREACHABLE' });
    c.store.up();
    expect(c.told).toEqual(['up', 'down hub', 'up']);
  });

  it('takes every node down with the hub, rejecting at once, and back up with it', async () => {
    const hub = new MemoryBanHub();
    const a = openStore(hub);
    await flush();
    hub.down();
    await expect(a.store.writeBan(banWrite('a', ban('198.51.100.5', now, now + 1_000), now)!)).rejects.toMatchObject({
      name: 'RedisBansError',
      code: 'GG_REDIS_UNREACHABLE',
    });
    hub.up();
    expect(a.told).toEqual(['up', 'down hub', 'up']);
    await a.store.close();
    hub.down();
    expect(a.told).toHaveLength(3);
  });

  it('keeps a blacklist set in step: added with a ban, out with a lift, synced against the stored bans', async () => {
    const hub = new MemoryBanHub();
    const { store } = openStore(hub, 'bl');
    await flush();
    await store.writeBan(banWrite('a', ban('198.51.100.6', now, now + 60_000), now)!);
    await store.writeBan(banWrite('a', ban('198.51.100.7', now, now + 60_000), now)!);
    await store.liftBan(banLift('a', '198.51.100.7', now, false, 60_000));
    expect(hub.members('bl')).toEqual(['198.51.100.6']);
    expect(await store.blacklist!.sync(['198.51.100.6', '198.51.100.8'], now)).toBe(0);
    expect(await store.blacklist!.sync(['198.51.100.6'], now + 60_000)).toBe(1);
    expect(hub.members('bl')).toEqual([]);
  });

  it('one node whose link drops keeps deciding, misses what is said meanwhile, and catches up when it returns', async () => {
    const hub = new MemoryBanHub();
    const a = startMemoryNode(hub, 'node-a');
    const link = hub.store();
    const b = attachNode('node-b', {}, {}, link);
    hub.store(); // a store never opened is no node: it is told nothing and hears nothing
    await Promise.all([a.shared.ready, b.shared.ready]);

    link.down();
    await waitUntil(() => b.shared.stats().state === 'down', 5_000, 'B down');
    expect(a.shared.stats().state).toBe('up');
    a.guard.bans.add('198.51.100.9', { reason: 'while B was away' });
    b.guard.bans.add('198.51.100.10', { reason: 'B alone' });
    await waitUntil(() => a.shared.stats().inFlight === 0, 5_000, "A's write");
    expect(b.guard.bans.get('198.51.100.9')).toBeUndefined();
    expect(b.shared.stats()).toMatchObject({ skippedWrites: 1, lastError: 'link down' });

    link.up();
    await waitUntil(() => b.guard.bans.get('198.51.100.9') !== undefined, 5_000, "A's ban on B");
    await waitUntil(() => a.guard.bans.get('198.51.100.10') !== undefined, 5_000, "B's ban on A");
    expect(b.events('shared-store-down')).toHaveLength(1);
    expect(b.events('shared-store-up')).toHaveLength(1);
    expect(isUp(b)).toBe(true);
  });

  it('ignores and counts hostile payloads published on the hub', async () => {
    const hub = new MemoryBanHub();
    const a = startMemoryNode(hub, 'node-a');
    await a.shared.ready;
    for (const p of ['not json', '{"op":"ban","node":"evil"}', 'x'.repeat(10_000)]) hub.publish(p);
    hub.publish(JSON.stringify({ op: 'ban', node: 'evil', ban: ban('198.51.100.11', now, now + 60_000) }));
    await waitUntil(() => a.guard.bans.get('198.51.100.11') !== undefined, 5_000, 'the valid ban');
    expect(a.shared.stats().ignored).toEqual({ 'too-large': 1, 'not-json': 1, 'bad-shape': 1 });
    expect(a.events('shared-store-bad-message')[0]).toMatchObject({ code: 'GG_REDIS_BAD_MESSAGE' });
  });
});
