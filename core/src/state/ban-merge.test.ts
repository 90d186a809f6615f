import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { createGuard, type Guard } from '../guard.js';
import type { BanInfo } from '../verdict.js';

const T0 = 1_700_000_000_000;
let clock = T0;
let guards: Guard[] = [];

function guard(): Guard {
  const g = createGuard(parseConfig({ log: { level: 'silent' }, trust: { cidrs: ['192.0.2.0/24'] } }), {
    now: () => clock,
  });
  guards.push(g);
  return g;
}

afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
  clock = T0;
});

const remoteBan = (over: Partial<BanInfo> = {}): BanInfo => ({
  ip: '203.0.113.9',
  reason: 'score 120: fp.ua.friendly-scanner',
  since: T0,
  until: T0 + 600_000,
  offense: 2,
  ...over,
});

describe('guard.bans.merge (bans decided elsewhere)', () => {
  it('keeps a ban from another node as it is, without escalating, and says it is a replica', () => {
    const g = guard();
    const events: Array<[string, string]> = [];
    g.on('ban', (b, origin) => events.push([b.ip, origin]));
    expect(g.bans.merge(remoteBan())).toBe(true);
    expect(g.bans.get('203.0.113.9')).toMatchObject({ until: T0 + 600_000, offense: 2 });
    expect(events).toEqual([['203.0.113.9', 'replica']]);
    // A local ban of the same source later escalates from the replicated offence count.
    clock = T0 + 700_000;
    expect(g.bans.add('203.0.113.9', { reason: 'again' }).offense).toBe(3);
  });

  it('changes nothing when the ban on file already lasts as long, or the merged one is over', () => {
    const g = guard();
    g.bans.merge(remoteBan());
    expect(g.bans.merge(remoteBan({ until: T0 + 300_000 }))).toBe(false);
    expect(g.bans.merge(remoteBan({ ip: '203.0.113.10', until: T0 - 1 }))).toBe(false);
    expect(g.bans.get('203.0.113.10')).toBeUndefined();
    expect(g.bans.merge(remoteBan({ until: T0 + 900_000 }))).toBe(true);
    expect(g.bans.get('203.0.113.9')?.until).toBe(T0 + 900_000);
  });

  it('refuses allowlisted sources and invalid bans without throwing', () => {
    const g = guard();
    expect(g.bans.merge(remoteBan({ ip: '192.0.2.5' }))).toBe(false);
    expect(g.bans.merge({ ...remoteBan(), ip: 'not-an-ip' })).toBe(false);
    expect(g.bans.merge({ ip: 7 } as never)).toBe(false);
    expect(g.bans.list()).toEqual([]);
  });

  it('lifts a ban lifted elsewhere with cause replica', () => {
    const g = guard();
    const causes: string[] = [];
    g.on('unban', (_ip, cause) => causes.push(cause));
    g.bans.merge(remoteBan());
    expect(g.bans.remove('203.0.113.9', { origin: 'replica' })).toBe(true);
    g.bans.add('203.0.113.11', { reason: 'by hand' });
    g.bans.remove('203.0.113.11');
    expect(causes).toEqual(['replica', 'removed']);
  });
});

describe('report events (failures shared between nodes)', () => {
  it('says which reports counted and where they came from; a replica counts towards a ban like a local one', () => {
    const g = guard();
    const seen: Array<[string, string]> = [];
    g.on('report', (o, origin) => seen.push([o.kind, origin]));
    const source = { ip: '203.0.113.40' };
    for (let i = 0; i < 5; i++) g.report({ kind: 'auth-failure', source, time: clock + i });
    let ban: BanInfo | undefined;
    for (let i = 0; i < 5 && !ban; i++)
      ban = g.report({ kind: 'auth-failure', source, time: clock + 10 + i }, { origin: 'replica' });
    expect(ban?.ip).toBe('203.0.113.40');
    expect(seen.slice(0, 6)).toEqual([...Array(5).fill(['auth-failure', 'local']), ['auth-failure', 'replica']]);
    // Trusted sources and invalid reports do not count and raise no event.
    const before = seen.length;
    g.report({ kind: 'auth-failure', source: { ip: '192.0.2.9' } });
    g.report({ kind: 'auth-failure', source: { ip: 'nope' } });
    expect(seen.length).toBe(before);
  });
});
