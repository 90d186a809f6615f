import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from './config.js';
import { createGuard, type Guard } from './guard.js';
import { sipAttempt } from './testing.js';

const T0 = 1_700_000_000_000;
let guards: Guard[] = [];
function guard(config: ConfigInput): Guard {
  const g = createGuard(parseConfig({ log: { level: 'silent' }, ...config }), { now: () => T0 });
  guards.push(g);
  return g;
}
afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
});

const call = (ip: string, user = 'room-1', time = T0) =>
  sipAttempt({
    source: { ip, port: 5060, transport: 'udp' },
    target: { user, host: 'video.example.com' },
    time,
    sip: { requestUri: `sip:${user}@video.example.com`, toUri: `sip:${user}@video.example.com` },
  });

describe('guard.reconfigure (SIGHUP)', () => {
  it('applies new rules and policy while bans, rooms and tarpit slots carry over', () => {
    const g = guard({ dialShape: { knownTargets: ['room-*'] } });
    g.bans.add('203.0.113.5', { reason: 'by hand' });
    g.rooms.register({ aor: 'lobby@video.example.com', contact: 'sip:lobby@10.0.0.7', expires: 3600 });
    const slot = g.tarpits.tryAcquire();
    expect(g.judge(call('198.51.100.1', 'helpdesk')).reasons.map((r) => r.rule)).toContain('dial.unknown-target');

    const result = g.reconfigure({
      log: { level: 'silent' },
      dialShape: { knownTargets: ['room-*', 'helpdesk'] },
      trust: { cidrs: ['198.51.100.2/32'] },
      tarpit: { maxConcurrent: 1 },
    });
    expect(result.kept).toEqual(expect.arrayContaining(['bans', 'rooms', 'behaviour counters']));
    expect(g.judge(call('198.51.100.1', 'helpdesk')).reasons.map((r) => r.rule)).not.toContain('dial.unknown-target');
    expect(g.judge(call('198.51.100.2', 'nobody')).reasons[0]?.rule).toBe('trust.allowlist');
    expect(g.bans.get('203.0.113.5')).toBeDefined();
    expect(g.rooms.isRoom('lobby')).toBe(true);
    expect(g.tarpits.inUse).toBe(1);
    expect(g.tarpits.tryAcquire()).toBeUndefined();
    slot?.release();
    expect(g.config.tarpit.maxConcurrent).toBe(1);
  });

  it('keeps behaviour counters under the same window, and restarts them when the window changes', () => {
    const g = guard({ behaviour: { ratePerSource: 5 } });
    for (let i = 0; i < 6; i++) g.judge(call('203.0.113.9', 'room-1', T0 + i));
    g.reconfigure({ log: { level: 'silent' }, behaviour: { ratePerSource: 5 } });
    expect(g.judge(call('203.0.113.9', 'room-1', T0 + 10)).reasons.map((r) => r.rule)).toContain('behaviour.rate');
    const r = g.reconfigure({ log: { level: 'silent' }, behaviour: { ratePerSource: 5, window: '20s' } });
    expect(r.kept).not.toContain('behaviour counters');
    expect(g.judge(call('203.0.113.9', 'room-1', T0 + 20)).reasons.map((x) => x.rule)).not.toContain('behaviour.rate');
  });

  it('replaces the static rooms of the config and says which settings need a restart', () => {
    const g = guard({ rooms: { static: [{ name: 'old-room' }] } });
    const r = g.reconfigure({
      log: { level: 'silent' },
      dataDir: '/tmp/elsewhere',
      rooms: { static: [{ name: 'new-room' }] },
    });
    expect(g.rooms.isRoom('old-room')).toBe(false);
    expect(g.rooms.isRoom('new-room')).toBe(true);
    expect(r.needsRestart).toEqual(['dataDir']);
  });

  it('changes nothing when the new configuration is invalid', () => {
    const g = guard({ dialShape: { knownTargets: ['room-*'] } });
    expect(() => g.reconfigure({ policy: { failMode: 'sideways' } } as never)).toThrow(/policy\.failMode/);
    expect(g.config.dialShape.knownTargets).toEqual(['room-*']);
  });

  it('lifts bans on addresses the new allowlist trusts (the banned fast path runs before trust)', () => {
    const g = guard({});
    g.bans.add('198.51.100.9', { reason: 'by hand' });
    g.bans.add('203.0.113.9', { reason: 'by hand' });
    g.reconfigure({ log: { level: 'silent' }, trust: { cidrs: ['198.51.100.0/24'] } });
    expect(g.bans.list().map((b) => b.ip)).toEqual(['203.0.113.9']);
    expect(g.judge(call('198.51.100.9')).reasons[0]?.rule).toBe('trust.allowlist');
  });
});
