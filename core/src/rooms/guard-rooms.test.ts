import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '../config.js';
import { createGuard, type Guard } from '../guard.js';
import { h323Attempt, sipAttempt } from '../testing.js';

const T0 = 1_700_000_000_000;
let clock = T0;
let guards: Guard[] = [];

function guard(config: ConfigInput = {}): Guard {
  const g = createGuard(parseConfig({ log: { level: 'silent' }, ...config }), { now: () => clock });
  guards.push(g);
  return g;
}

afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
  clock = T0;
});

const invite = (user: string, ip = '198.51.100.20', time = clock) =>
  sipAttempt({
    source: { ip, port: 5060, transport: 'udp' },
    target: { user, host: 'video.example.com' },
    time,
    sip: { requestUri: `sip:${user}@video.example.com`, toUri: `sip:${user}@video.example.com` },
  });
const rules = (g: Guard, a: Parameters<Guard['judge']>[0]) => g.judge(a).reasons.map((r) => r.rule);

describe('guard.rooms', () => {
  it('makes a call to a target that is not a registered room a dial-shape signal, and one to a room not', () => {
    const g = guard();
    g.rooms.register({ aor: 'room-boardroom@video.example.com', contact: 'sip:room@10.0.0.5', expires: 3600 });
    expect(rules(g, invite('room-boardroom'))).not.toContain('dial.unknown-target');
    expect(rules(g, invite('room-nowhere'))).toContain('dial.unknown-target');
  });

  it('forgets an expired registration: the same target becomes unknown', () => {
    const g = guard();
    g.rooms.register({ aor: 'room-a@video.example.com', contact: 'sip:room@10.0.0.5', expires: 60 });
    g.rooms.register({ aor: 'room-b@video.example.com', contact: 'sip:room@10.0.0.6', expires: 3600 });
    clock = T0 + 61_000;
    expect(g.rooms.isRoom('room-a')).toBe(false);
    expect(rules(g, invite('room-a', '198.51.100.20', clock))).toContain('dial.unknown-target');
  });

  it('matches H.323 aliases of static rooms from the config (h323-ID and dialledDigits)', () => {
    const g = guard({ rooms: { static: [{ name: 'boardroom', aliases: ['5551234'], address: '10.0.0.9' }] } });
    const call = (alias: string) =>
      h323Attempt({ target: { user: alias }, h323: { destinationAliases: [{ type: 'dialedDigits', value: alias }] } });
    expect(rules(g, call('5551234'))).not.toContain('dial.unknown-target');
    expect(rules(g, call('5559999'))).toContain('dial.unknown-target');
    expect(g.rooms.list()).toMatchObject([{ aor: 'boardroom', static: true, contact: '10.0.0.9' }]);
  });

  it('refuses a call to a room from a source that has just been enumerating', () => {
    const g = guard();
    g.rooms.register({ aor: 'room-boardroom@video.example.com', contact: 'sip:room@10.0.0.5', expires: 3600 });
    const scanner = '203.0.113.50';
    for (let i = 0; i < 12; i++) g.judge(invite(String(100 + i), scanner, T0 + i * 100));
    const v = g.judge(invite('room-boardroom', scanner, T0 + 1_300));
    expect(v.action).not.toBe('allow');
    expect(g.judge(invite('room-boardroom', '198.51.100.21', T0 + 1_300)).action).toBe('allow');
  });

  it('reports a REGISTER that would move a room without credentials as a hijack and bans its source', () => {
    const g = guard();
    g.rooms.register({ aor: 'room-1@video.example.com', contact: 'sip:room-1@10.0.0.5:5060', expires: 3600 });
    const refresh = g.rooms.checkRegister({
      aor: 'room-1@video.example.com',
      contact: 'sip:room-1@10.0.0.5:5060',
      source: { ip: '10.0.0.5' },
      authenticated: false,
    });
    expect(refresh).toEqual({ change: 'refresh', accept: true });
    const hijack = g.rooms.checkRegister({
      aor: 'room-1@video.example.com',
      contact: 'sip:room-1@127.0.0.1:5060',
      source: { ip: '203.0.113.66', port: 5061 },
      authenticated: false,
    });
    expect(hijack).toMatchObject({ change: 'hijack', accept: false, ban: { ip: '203.0.113.66' } });
    expect(g.judge(invite('room-1', '203.0.113.66')).action).not.toBe('allow');
    expect(g.rooms.get('room-1')?.contact).toBe('sip:room-1@10.0.0.5:5060');
  });

  it('never throws on hostile input: invalid registrations are ignored, an undecodable check is refused', () => {
    const g = guard();
    const bad = [null, 42, { aor: '', contact: 'x', expires: 1 }, { aor: 'a', contact: 'x', expires: -1 }];
    for (const b of bad) expect(g.rooms.register(b as never)).toBeUndefined();
    expect(g.rooms.checkRegister({ aor: 7 } as never)).toEqual({ change: 'hijack', accept: false });
    expect(g.rooms.isRoom(undefined as never)).toBe(false);
    expect(g.rooms.size).toBe(0);
  });

  it('keeps rooms an adapter declares from its own routing table for the guard lifetime', () => {
    const g = guard();
    expect(g.rooms.declare({ name: 'boardroom', aliases: ['5551234'], address: '10.0.0.20:1720' })?.static).toBe(true);
    clock = T0 + 30 * 86_400_000;
    expect(g.rooms.isRoom('5551234')).toBe(true);
    expect(g.rooms.unregister('boardroom')).toBe(false);
    expect(g.rooms.declare({ name: '' })).toBeUndefined();
  });

  it('treats valid credentials from a source that was just guessing passwords as a hijack (svcrack success)', () => {
    const g = guard();
    g.rooms.register({ aor: '101@pbx', contact: 'sip:101@10.0.0.5:5060', expires: 3600 });
    const cracker = { ip: '127.0.0.1', port: 5060 };
    for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: cracker, target: '101' });
    const result = g.rooms.checkRegister({
      aor: '101@pbx',
      contact: 'sip:101@127.0.0.1:5060',
      source: cracker,
      authenticated: true,
    });
    expect(result).toMatchObject({ change: 'hijack', accept: false, ban: { ip: '127.0.0.1' } });
    // A room that moves with its credentials and no failures behind it is a move.
    const moved = g.rooms.checkRegister({
      aor: '101@pbx',
      contact: 'sip:101@10.0.0.6',
      source: { ip: '10.0.0.6' },
      authenticated: true,
    });
    expect(moved).toEqual({ change: 'move', accept: true });
    // An account with no binding yet, registered with credentials the source just cracked: not stored either.
    const other = { ip: '203.0.113.80' };
    for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: other, target: '102' });
    expect(
      g.rooms.checkRegister({ aor: '102@pbx', contact: 'sip:102@203.0.113.80', source: other, authenticated: true }),
    ).toMatchObject({ change: 'hijack', accept: false });
  });
});

describe('valid credentials count as cracked only after failed authentication', () => {
  const sweep = (g: Guard, ip: string) => {
    for (let i = 0; i < 12; i++) g.judge(invite(`nobody-${i}`, ip));
  };
  const register = (g: Guard, ip: string) =>
    g.rooms.checkRegister({ aor: 'boardroom', contact: `sip:boardroom@${ip}`, source: { ip }, authenticated: true });

  it('an enumeration ban is no failed authentication: a room behind that address registers', () => {
    const g = guard({ dialShape: { knownTargets: ['room-*'] } });
    sweep(g, '203.0.113.30');
    expect(g.bans.get('203.0.113.30')?.reason).toMatch(/^score \d+: .*behaviour\.enumeration/);
    expect(register(g, '203.0.113.30')).toEqual({ change: 'new', accept: true });
  });

  it('a monitor-mode "would ban" is no failed authentication either, nor even a would-ban for failures', () => {
    const g = guard({ mode: 'monitor', dialShape: { knownTargets: ['room-*'] } });
    sweep(g, '203.0.113.31');
    expect(g.bans.get('203.0.113.31')).toBeDefined();
    expect(register(g, '203.0.113.31')).toEqual({ change: 'new', accept: true });
  });

  it('a ban for calls to targets that do not exist is no failed authentication either', () => {
    // Recent failures alone stay below behaviour.failures here: only the bans decide.
    const g = guard({ behaviour: { failures: 50 }, bans: { failuresToBan: 10 } });
    for (let i = 0; i < 10; i++)
      g.report({ kind: 'unknown-target', source: { ip: '203.0.113.34' }, target: `missing-${i}` });
    expect(g.bans.get('203.0.113.34')?.reason).toMatch(/last: unknown-target/);
    for (let i = 0; i < 10; i++) g.report({ kind: 'auth-failure', source: { ip: '203.0.113.35' } });
    expect(g.bans.get('203.0.113.35')?.reason).toMatch(/last: auth-failure/);
    expect(register(g, '203.0.113.34')).toEqual({ change: 'new', accept: true });
    expect(register(g, '203.0.113.35')).toMatchObject({ change: 'hijack', accept: false });
  });

  it('a ban from reported failures, a hijack or an operator still counts, and so do recent failures', () => {
    const g = guard();
    g.bans.add('203.0.113.32', { reason: 'by hand' });
    expect(register(g, '203.0.113.32')).toMatchObject({ change: 'hijack', accept: false });
    for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: { ip: '203.0.113.33' } });
    expect(register(g, '203.0.113.33')).toMatchObject({ change: 'hijack', accept: false });
  });
});
