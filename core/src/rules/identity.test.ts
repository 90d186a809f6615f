import { describe, expect, it } from 'vitest';
import type { SipAttempt } from '../attempt.js';
import { createGuard } from '../guard.js';
import { ROOM_VIDEO_SDP, type RoomCall, roomCall, SITE } from '../test-support/room-call.js';

const VIDEO = ROOM_VIDEO_SDP;
const invite = (c: RoomCall = {}, time = 1_000_000): SipAttempt => roomCall({ ...c, time });

const rules = (a: SipAttempt) => {
  const guard = createGuard(SITE);
  const v = guard.judge(a);
  guard.close();
  return Object.fromEntries(v.reasons.map((r) => [r.rule, r.weight]));
};

describe('identity rules', () => {
  it('an outsider whose From names our domain and a short extension is refused on its first INVITE', () => {
    const guard = createGuard(SITE);
    const v = guard.judge(invite({ from: '1001@video.example.com' }));
    expect(v.reasons.map((r) => r.rule)).toEqual(
      expect.arrayContaining(['identity.own-domain-caller', 'identity.short-number-caller']),
    );
    expect(v.action).not.toBe('allow');
    guard.close();
  });

  it('P-Asserted-Identity and Remote-Party-ID naming our address count like From', () => {
    expect(rules(invite({ extra: ['P-Asserted-Identity: <sip:100@203.0.113.10>'] }))).toHaveProperty(
      'identity.own-domain-caller',
      40,
    );
    expect(rules(invite({ extra: ['Remote-Party-ID: <sip:100@video.example.com>;party=calling'] }))).toHaveProperty(
      'identity.own-domain-caller',
      40,
    );
  });

  it('the address the INVITE arrived on counts as ours even without a site config', () => {
    const guard = createGuard({ log: { level: 'silent' } });
    const v = guard.judge(invite({ from: '1001@203.0.113.10', ruriHost: '203.0.113.10' }));
    expect(v.reasons.map((r) => r.rule)).toContain('identity.own-domain-caller');
    guard.close();
  });

  it('a From host that is the source itself names the caller, not us', () => {
    expect(rules(invite({ src: '203.0.113.77', from: '1001@203.0.113.77' }))).not.toHaveProperty(
      'identity.own-domain-caller',
    );
  });

  it('a Via, Contact or c= naming this server from elsewhere is forged', () => {
    const r = rules(invite({ via: '203.0.113.10', contact: '203.0.113.10', media: '203.0.113.10' }));
    expect(r['identity.names-this-server']).toBe(30);
  });

  it('a NAT writes private addresses: not a signal; another public address is a weak one', () => {
    expect(rules(invite({ via: '192.168.1.20', contact: '10.0.0.5', media: '172.16.4.4' }))).toEqual({
      'media.audio-only-to-video-room': 20,
    });
    const r = rules(invite({ via: '198.51.100.99', contact: '198.51.100.99', media: '198.51.100.99' }));
    expect(r).toMatchObject({
      'identity.foreign-via': 15,
      'identity.foreign-contact': 10,
      'identity.foreign-media-address': 5,
    });
  });

  it('an own-domain claim that offers video to a known room weighs nothing (our bridges and rooms)', () => {
    const r = rules(invite({ from: 'bridge@video.example.com', sdp: VIDEO }));
    expect(r['identity.own-domain-caller']).toBe(0);
  });

  it('a caller the platform authenticated, or a room on file calling from its address, is not checked', () => {
    expect(rules({ ...invite({ from: '1001@video.example.com' }), authenticated: true })).not.toHaveProperty(
      'identity.own-domain-caller',
    );
    const guard = createGuard(SITE);
    guard.rooms.register({
      aor: 'room-huddle@video.example.com',
      contact: 'sip:room-huddle@198.51.100.66',
      source: { ip: '198.51.100.66' },
      expires: 3600,
    });
    const v = guard.judge(invite({ from: '1001@video.example.com' }));
    expect(v.reasons.filter((r) => r.rule.startsWith('identity.'))).toEqual([]);
    expect(guard.bans.explain('198.51.100.66').roomAddress).toBe(true);
    guard.close();
  });
});

describe('media rules', () => {
  it('an audio-only phone offer to a video room is a weak signal; a video offer is none', () => {
    expect(rules(invite())).toEqual({ 'media.audio-only-to-video-room': 20 });
    expect(rules(invite({ sdp: VIDEO }))).toEqual({});
  });

  it('an audio room is not a video room', () => {
    const guard = createGuard({ ...SITE, rooms: { static: [{ name: 'room-boardroom', kind: 'audio' }] } });
    expect(guard.judge(invite()).reasons).toEqual([]);
    guard.close();
  });

  it('an INVITE without SDP from an unknown caller is weak; a listed partner is not scored for it', () => {
    expect(rules(invite({ sdp: null }))).toEqual({ 'media.no-offer': 10 });
    const guard = createGuard({ ...SITE, rooms: { callers: { allow: { cidrs: ['198.51.100.0/24'] } } } });
    expect(guard.judge(invite({ sdp: null })).reasons.map((r) => r.rule)).toEqual(['callers.listed']);
    guard.close();
  });
});
