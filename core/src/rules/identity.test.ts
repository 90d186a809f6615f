import { describe, expect, it } from 'vitest';
import type { SipAttempt } from '../attempt.js';
import { createGuard } from '../guard.js';
import { parseSipRequestAttempt } from '../sip/to-attempt.js';

const SITE = {
  log: { level: 'silent' as const },
  dialShape: { domains: ['video.example.com'], localAddresses: ['203.0.113.10'], knownTargets: ['room-*'] },
};

const AUDIO =
  'v=0\r\no=- 1 1 IN IP4 {media}\r\ns=-\r\nc=IN IP4 {media}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 18 101\r\na=rtpmap:101 telephone-event/8000\r\n';
const VIDEO =
  'v=0\r\no=- 1 1 IN IP4 {media}\r\ns=-\r\nc=IN IP4 {media}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 0\r\na=rtpmap:96 opus/48000/2\r\n' +
  'm=video 4002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\nm=application 5070 TCP/BFCP *\r\n';

interface Call {
  src?: string;
  from?: string;
  ruriHost?: string;
  via?: string;
  contact?: string;
  sdp?: string | null;
  media?: string;
  extra?: string[];
  callId?: string;
  target?: string;
}

function invite(c: Call = {}, time = 1_000_000): SipAttempt {
  const src = c.src ?? '198.51.100.66';
  const target = c.target ?? 'room-boardroom';
  const body = c.sdp === null ? '' : (c.sdp ?? AUDIO).replaceAll('{media}', c.media ?? src);
  const text = [
    `INVITE sip:${target}@${c.ruriHost ?? 'video.example.com'} SIP/2.0`,
    `Via: SIP/2.0/UDP ${c.via ?? src}:5060;branch=z9hG4bKPj${time}`,
    `From: "Caller" <sip:${c.from ?? `alice@partner.example.net`}>;tag=1`,
    `To: <sip:${target}@video.example.com>`,
    `Call-ID: ${c.callId ?? `call-${time}`}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:x@${c.contact ?? src}:5060>`,
    'User-Agent: MicroSIP/3.21.3',
    ...(c.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
  return parseSipRequestAttempt(text, { source: { ip: src, port: 5060 }, local: { ip: '203.0.113.10' }, time });
}

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
