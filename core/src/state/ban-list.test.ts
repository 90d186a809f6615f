import { describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { parseIp } from '../net/ip.js';
import type { BanInfo } from '../verdict.js';
import { BanList, type BanPolicy } from './ban-list.js';

const T0 = 1_700_000_000_000;
const POLICY: BanPolicy = {
  ttl: 600_000,
  escalation: 4,
  maxTtl: 7 * 86_400_000,
  offenseMemory: 30 * 86_400_000,
  maxBans: 1000,
  aggregate: { after: 0, v4: [24, 16], v6: [64, 48] },
};

function list(over: Partial<BanPolicy> = {}) {
  const events: string[] = [];
  const bans = new BanList(
    { ...POLICY, ...over },
    {
      onBan: (b, origin) => events.push(`ban ${b.ip} ${origin}`),
      onUnban: (ip, cause) => events.push(`unban ${ip} ${cause}`),
    },
  );
  return { bans, events };
}

/** One address in each of many /24s: 10.a.b.7 for i = a*256 + b. */
const spread = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.7`;

describe('BanList at its cap', () => {
  it("keeps a repeat offender's ban and offence record through a flood of 10x the cap of one-shot bans from other prefixes", () => {
    const { bans } = list();
    bans.add('198.51.100.9', 'first', T0);
    bans.add('198.51.100.9', 'again', T0 + 1000);
    expect(bans.get('198.51.100.9', T0 + 1000)?.offense).toBe(2);
    for (let i = 0; i < 10 * POLICY.maxBans; i++) bans.add(spread(i), 'one-shot', T0 + 2000 + i);
    const now = T0 + 2000 + 10 * POLICY.maxBans;
    expect(bans.size).toBe(POLICY.maxBans);
    expect(bans.get('198.51.100.9', now)).toMatchObject({ offense: 2 });
    expect(bans.offenseOf('198.51.100.9')?.count).toBe(2);
  });

  it('evicts the least severe ban that ends soonest, quietly as expired, and admits an equal newcomer', () => {
    const { bans, events } = list({ maxBans: 3 });
    bans.add('192.0.2.1', 'a', T0, 60_000);
    bans.add('192.0.2.2', 'b', T0, 30_000);
    bans.add('192.0.2.3', 'c', T0, 90_000);
    bans.add('192.0.2.4', 'd', T0 + 1, 90_000);
    expect(bans.get('192.0.2.2', T0 + 2)).toBeUndefined();
    expect(events).toContain('unban 192.0.2.2 expired');
    expect(bans.size).toBe(3);
  });

  it('does not admit an automatic one-shot ban when every ban on file has more offences; an operator ban always gets in', () => {
    const { bans } = list({ maxBans: 2 });
    for (const ip of ['192.0.2.1', '192.0.2.2']) {
      bans.add(ip, 'x', T0);
      bans.add(ip, 'x', T0 + 1);
    }
    const refused = bans.add('203.0.113.5', 'one-shot', T0 + 2);
    expect(refused.offense).toBe(1);
    expect(bans.get('203.0.113.5', T0 + 3)).toBeUndefined();
    expect(bans.refusedAtCap).toBe(1);
    bans.add('203.0.113.6', 'by hand', T0 + 3, undefined, true);
    expect(bans.get('203.0.113.6', T0 + 4)).toBeDefined();
    expect(bans.size).toBe(2);
  });

  it('bounds offence records, dropping one-shot records before repeat ones', () => {
    const { bans } = list({ maxBans: 10_000, maxOffenses: 50 });
    bans.add('198.51.100.9', 'x', T0);
    bans.add('198.51.100.9', 'x', T0 + 1);
    for (let i = 0; i < 500; i++) bans.add(spread(i), 'x', T0 + 10 + i);
    expect(bans.offenseCount).toBe(50);
    expect(bans.offenseOf('198.51.100.9')?.count).toBe(2);
  });

  it('expires with the sweep only what ended, within its budget', () => {
    const { bans, events } = list();
    for (let i = 0; i < 10; i++) bans.add(spread(i), 'x', T0, 1000 * (i + 1));
    bans.sweep(T0 + 3500, 2);
    expect(bans.size).toBe(8);
    bans.sweep(T0 + 3500);
    expect(bans.size).toBe(7);
    expect(events.filter((e) => e.startsWith('unban'))).toHaveLength(3);
  });
});

describe('BanList prefix aggregation', () => {
  it('holds one /24 entry once `after` addresses of it are banned, and bans the rest of the /24 through lookup()', () => {
    const { bans, events } = list({ aggregate: { after: 8, v4: [24, 16], v6: [64, 48] } });
    for (let i = 1; i <= 8; i++) bans.add(`198.51.100.${i}`, 'scan', T0 + i);
    expect(bans.size).toBe(1);
    expect(bans.prefixCount).toBe(1);
    expect(bans.list(T0 + 10).map((b) => b.ip)).toEqual(['198.51.100.0/24']);
    // get() is exact (it runs before the trust layer); lookup() sees the prefix
    expect(bans.get('198.51.100.200', T0 + 10)).toBeUndefined();
    expect(bans.lookup(parseIp('198.51.100.200')!, T0 + 10)?.ip).toBe('198.51.100.0/24');
    expect(bans.lookup(parseIp('198.51.101.1')!, T0 + 10)).toBeUndefined();
    // folding raised no unban: those addresses are still banned
    expect(events.filter((e) => e.startsWith('unban'))).toEqual([]);
    // a new ban inside the prefix extends it instead of adding an entry
    bans.add('198.51.100.99', 'scan', T0 + 60_000);
    expect(bans.size).toBe(1);
    expect(bans.lookup(parseIp('198.51.100.1')!, T0 + 60_000)?.until).toBe(T0 + 60_000 + 600_000);
  });

  it('escalates to the /16 once `after` of its /24s are banned, so memory follows networks, not addresses', () => {
    const { bans } = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    for (let net = 0; net < 4; net++) for (let h = 1; h <= 4; h++) bans.add(`203.0.${net}.${h}`, 'x', T0);
    expect(bans.size).toBe(1);
    expect(bans.list(T0).map((b) => b.ip)).toEqual(['203.0.0.0/16']);
    for (let i = 0; i < 10_000; i++) bans.add(`203.0.${(i >> 8) & 255}.${i & 255}`, 'x', T0 + 1);
    expect(bans.size).toBe(1);
    expect(bans.lookup(parseIp('203.0.77.77')!, T0 + 2)).toBeDefined();
  });

  it('folds IPv6 addresses by /64 and then /48', () => {
    const { bans } = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    for (let net = 0; net < 4; net++) for (let h = 1; h <= 4; h++) bans.add(`2001:db8:7:${net}::${h}`, 'x', T0);
    expect(bans.list(T0).map((b) => b.ip)).toEqual(['2001:db8:7::/48']);
    expect(bans.lookup(parseIp('2001:db8:7:ffff::1')!, T0)).toBeDefined();
    expect(bans.lookup(parseIp('2001:db8:8::1')!, T0)).toBeUndefined();
  });

  it('lifting one address inside a prefix ban exempts it; lifting the prefix by its text lifts all', () => {
    const { bans, events } = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    for (let h = 1; h <= 4; h++) bans.add(`198.51.100.${h}`, 'x', T0);
    expect(bans.remove('198.51.100.2')).toBe(true);
    expect(events).toContain('unban 198.51.100.2 removed');
    expect(bans.lookup(parseIp('198.51.100.2')!, T0)).toBeUndefined();
    expect(bans.lookup(parseIp('198.51.100.3')!, T0)).toBeDefined();
    expect(bans.remove('198.51.100.0/24')).toBe(true);
    expect(bans.lookup(parseIp('198.51.100.3')!, T0)).toBeUndefined();
    expect(bans.size).toBe(0);
  });

  it('restores and merges prefix bans by their text', () => {
    const a = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    for (let h = 1; h <= 4; h++) a.bans.add(`198.51.100.${h}`, 'x', T0);
    const snap = a.bans.snapshot();
    const b = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    b.bans.restore(snap, T0 + 1);
    expect(b.bans.lookup(parseIp('198.51.100.50')!, T0 + 1)).toBeDefined();
    const c = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    const prefix = snap.bans[0] as BanInfo;
    expect(c.bans.merge(prefix, T0 + 1)).toBe(true);
    expect(c.bans.merge(prefix, T0 + 1)).toBe(false);
    expect(c.events).toEqual(['ban 198.51.100.0/24 replica']);
    // another length is a range ban (as an operator's /22 on another node): covered while it lasts
    const d = list({ aggregate: { after: 4, v4: [24, 16], v6: [64, 48] } });
    expect(d.bans.merge({ ...prefix, ip: '198.51.100.0/25' }, T0 + 1)).toBe(true);
    expect(d.bans.lookup(parseIp('198.51.100.127')!, T0 + 1)?.ip).toBe('198.51.100.0/25');
    expect(d.bans.lookup(parseIp('198.51.100.128')!, T0 + 1)).toBeUndefined();
    expect(d.bans.merge({ ...prefix, ip: '198.51.100.1/25' }, T0 + 1)).toBe(false);
  });
});

describe('BanList ranges banned by hand', () => {
  it('bans every address of a network at any length, v4 and v6, and lifts it by its text', () => {
    const c = list();
    expect(c.bans.addRange('198.51.100.0/22', 'hoster', T0, 60_000)?.origin).toBe('operator');
    expect(c.bans.addRange('2001:db8::/33', 'hoster', T0, 60_000)?.ip).toBe('2001:db8::/33');
    expect(c.bans.addRange('198.51.100.1/22', 'host bits', T0, 60_000)).toBeUndefined();
    expect(c.bans.lookup(parseIp('198.51.103.9')!, T0)?.ip).toBe('198.51.100.0/22');
    expect(c.bans.lookup(parseIp('2001:db8:7fff::1')!, T0)?.ip).toBe('2001:db8::/33');
    expect(c.bans.lookup(parseIp('2001:db8:8000::1')!, T0)).toBeUndefined();
    expect(c.bans.size).toBe(2);
    expect(c.bans.remove('2001:db8:0::/33')).toBe(true);
    expect(c.bans.lookup(parseIp('2001:db8::1')!, T0)).toBeUndefined();
    expect(c.events).toEqual(['ban 198.51.100.0/22 local', 'ban 2001:db8::/33 local', 'unban 2001:db8::/33 removed']);
  });

  it('ends when the operator said; an address inside it lifted by hand stays reachable', () => {
    const c = list();
    c.bans.addRange('203.0.113.0/26', 'hoster', T0, 1_000);
    expect(c.bans.remove('203.0.113.5')).toBe(true);
    expect(c.bans.lookup(parseIp('203.0.113.5')!, T0)).toBeUndefined();
    expect(c.bans.lookup(parseIp('203.0.113.6')!, T0)).toBeDefined();
    // an automatic ban inside it that lasts longer is the address's own, the range still ends on time
    const own = c.bans.add('203.0.113.7', 'scanner', T0);
    expect(c.bans.lookup(parseIp('203.0.113.7')!, T0 + 2_000)?.ip).toBe(own.ip);
    expect(c.bans.lookup(parseIp('203.0.113.6')!, T0 + 2_000)).toBeUndefined();
  });

  it('answers a network inside a wider prefix ban that ends later with that ban', () => {
    const c = list();
    c.bans.merge({ ip: '198.51.0.0/16', reason: 'fold elsewhere', since: T0, until: T0 + 3_600_000, offense: 3 }, T0);
    expect(c.bans.addRange('198.51.100.0/24', 'by hand', T0, 60_000)?.ip).toBe('198.51.0.0/16');
  });

  it('survives a restart through the snapshot, origin kept', () => {
    const a = list();
    a.bans.addRange('192.0.2.0/28', 'hoster', T0, 60_000);
    const b = list();
    b.bans.restore(a.bans.snapshot(), T0 + 1);
    expect(b.bans.lookup(parseIp('192.0.2.15')!, T0 + 1)).toMatchObject({ ip: '192.0.2.0/28', origin: 'operator' });
  });
});

describe('bans and store configuration', () => {
  it('names the full key path of a bad aggregation or store setting', () => {
    expect(() => parseConfig({ bans: { aggregate: { v4: [16, 24] } } }, 'gg.yaml')).toThrow(
      /gg\.yaml[\s\S]*bans\.aggregate\.v4: two prefix lengths, the first longer/,
    );
    expect(() => parseConfig({ bans: { aggregate: { after: -1 } } })).toThrow(/bans\.aggregate\.after/);
    expect(() => parseConfig({ store: { flushEvery: '0ms' } })).toThrow(/store\.flushEvery: between 1 ms and 60 s/);
    expect(() => parseConfig({ store: { batch: 5 } })).toThrow(/store/);
    expect(parseConfig({}).bans.aggregate).toEqual({ after: 64, v4: [24, 16], v6: [64, 48] });
  });
});
