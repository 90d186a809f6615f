import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { createGuard, type Guard } from '../guard.js';
import { sipAttempt } from '../testing.js';

let guards: Guard[] = [];
function guard(): Guard {
  const g = createGuard(parseConfig({ log: { level: 'silent' }, trust: { cidrs: ['192.0.2.0/24'] } }));
  guards.push(g);
  return g;
}
afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
});

const from = (ip: string) => sipAttempt({ source: { ip, port: 5060, transport: 'udp' } });

describe('guard.feeds (reputation lists)', () => {
  it('refuses sources a feed lists, names the feed, and does not ban them for it', () => {
    const g = guard();
    const update = g.feeds.set('apiban', ['203.0.113.7', '198.51.100.0/24', 'garbage', '2001:db8:bad::/48']);
    expect(update).toMatchObject({ accepted: 3, invalid: 1, invalidSamples: ['garbage'] });
    const v = g.judge(from('198.51.100.77'));
    expect(v.action).toBe('drop');
    expect(v.reasons[0]).toMatchObject({ rule: 'known-bad.feed', detail: 'listed by feed apiban: 198.51.100.0/24' });
    expect(g.judge(from('2001:db8:bad::1')).action).toBe('drop');
    expect(g.bans.list()).toEqual([]);
    expect(g.bans.explain('203.0.113.7').feed).toBe('apiban: 203.0.113.7');
    expect(g.judge(from('203.0.113.8')).action).toBe('allow');
  });

  it('replaces a feed as a whole on update and forgets it on clear; trusted peers stay trusted', () => {
    const g = guard();
    g.feeds.set('blocklist', ['203.0.113.7', '192.0.2.5']);
    expect(g.judge(from('192.0.2.5')).action).toBe('allow');
    g.feeds.set('blocklist', ['203.0.113.9']);
    expect(g.judge(from('203.0.113.7')).action).toBe('allow');
    expect(g.judge(from('203.0.113.9')).action).toBe('drop');
    expect(g.feeds.list()).toMatchObject([{ name: 'blocklist', entries: 1 }]);
    expect(g.feeds.clear('blocklist')).toBe(true);
    expect(g.judge(from('203.0.113.9')).action).toBe('allow');
  });
});
