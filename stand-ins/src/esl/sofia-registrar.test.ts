import { describe, expect, it } from 'vitest';
import { type EslHeader, plainEvent } from './messages.js';
import { readEslSamples } from './samples.js';
import { type EventClock, SofiaRegistrar } from './sofia-registrar.js';

const samples = readEslSamples();

function fixedClock(us: number, sequence: number): EventClock {
  let seq = sequence;
  return { nowUs: () => us, nextSequence: () => seq++ };
}

function registrar(clock: EventClock, multi = false) {
  const events: EslHeader[][] = [];
  const r = new SofiaRegistrar(
    ['internal', 'internal-test'],
    clock,
    (h) => {
      events.push([...h]);
      return 1;
    },
    multi,
  );
  const value = (e: EslHeader[] | undefined, name: string) => e?.find(([n]) => n === name)?.[1];
  return { r, events, value };
}

describe('sofia registrar stand-in', () => {
  it('fires sofia::pre_register and sofia::register_failure byte for byte as FreeSWITCH 1.10.12 recorded them', () => {
    const pre = registrar(fixedClock(1795293554531724, 550));
    expect(
      pre.r.register({
        profile: 'internal-test',
        user: '3832198724',
        host: '127.0.0.1',
        contactUri: 'sip:3832198724@127.0.0.1',
        networkIp: '127.0.0.1',
        networkPort: 5060,
        expires: 300,
        callId: '3093927180',
        userAgent: 'friendly-scanner',
        auth: 'none',
      }),
    ).toBe(401);
    expect(plainEvent(pre.events[0]!)).toBe(samples.get('7b')!.parts[0]);

    const fail = registrar(fixedClock(1795293595111734, 563));
    expect(
      fail.r.register({
        profile: 'internal-test',
        user: '1000',
        contactUri: 'sip:1000@127.0.0.1',
        networkIp: '127.0.0.1',
        networkPort: 5072,
        userAgent: 'friendly-scanner',
        auth: 'wrong',
      }),
    ).toBe(403);
    expect(plainEvent(fail.events[0]!)).toBe(samples.get('7a')!.parts[0]);
    expect(pre.r.list()).toEqual([]);
    expect(fail.r.list()).toEqual([]);
  });

  it('stores a good REGISTER, replaces the binding without multiple-registrations, and lists it as xmlstatus does', () => {
    const now = 1795293600;
    const { r, events, value } = registrar(fixedClock(now * 1e6, 1));
    r.register({
      user: 'room-1',
      host: 'video.example.com',
      contactUri: 'sip:room-1@10.0.0.21:5060',
      display: '"Room & One"',
      networkIp: '10.0.0.21',
      callId: 'c1',
      userAgent: 'Cisco/CE',
      expires: 600,
      auth: 'ok',
    });
    expect(value(events[0], 'Event-Subclass')).toBe('sofia::register');
    expect(value(events[0], 'contact')).toBe('"Room & One" <sip:room-1@10.0.0.21:5060>');
    expect(events[0]!.map(([n]) => n).slice(14)).toEqual([
      'profile-name',
      'from-user',
      'from-host',
      'presence-hosts',
      'contact',
      'call-id',
      'rpid',
      'status',
      'expires',
      'to-user',
      'to-host',
      'network-ip',
      'network-port',
      'username',
      'realm',
      'user-agent',
    ]);
    r.register({
      user: 'room-1',
      host: 'video.example.com',
      contactUri: 'sip:room-1@10.0.0.99',
      networkIp: '10.0.0.99',
      callId: 'c2',
      auth: 'ok',
    });
    expect(r.list().map((x) => x.callId)).toEqual(['c2']);
    expect(r.xmlStatus('internal')).toBe(
      '<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n' +
        '    <registration>\n' +
        '        <call-id>c2</call-id>\n' +
        '        <user>room-1@video.example.com</user>\n' +
        '        <contact>&quot;room-1&quot; &lt;sip:room-1@10.0.0.99&gt;</contact>\n' +
        '        <agent></agent>\n' +
        // 3600 asked + sofia's 60 s late margin, as the recorded listing says (expsecs(3660)).
        '        <status>Registered(UDP)(unknown) exp(2026-11-21 21:41:00) expsecs(3660)</status>\n' +
        '        <ping-status>Reachable</ping-status>\n' +
        '        <host>vm</host>\n' +
        '        <network-ip>10.0.0.99</network-ip>\n' +
        '        <network-port>5060</network-port>\n' +
        '        <sip-auth-user>room-1</sip-auth-user>\n' +
        '        <sip-auth-realm>video.example.com</sip-auth-realm>\n' +
        '        <mwi-account>room-1@video.example.com</mwi-account>\n' +
        '    </registration>\n' +
        '  </registrations>\n</profile>\n',
    );
    expect(r.xmlStatus('nope')).toBe('Invalid Profile!\n');
  });

  it('flush_inbound_reg removes by Call-ID or user@host and fires sofia::expire; expires 0 fires sofia::unregister', () => {
    const { r, events, value } = registrar(fixedClock(1795293600e6, 1), true);
    for (const [user, callId] of [
      ['a', 'x1'],
      ['a', 'x2'],
      ['b', 'x3'],
    ] as const) {
      r.register({ user, contactUri: `sip:${user}@10.0.0.1`, networkIp: '10.0.0.1', callId, auth: 'ok' });
    }
    expect(r.list()).toHaveLength(3);
    events.length = 0;
    expect(r.flush('internal', 'x2')).toBe('+OK flushing all registrations matching specified call_id\n');
    expect(events.map((e) => [value(e, 'Event-Subclass'), value(e, 'call-id')])).toEqual([['sofia::expire', 'x2']]);
    expect(r.flush('internal', 'b@127.0.0.1')).toMatch(/^\+OK/);
    expect(r.list().map((x) => x.callId)).toEqual(['x1']);
    r.register({
      user: 'a',
      contactUri: 'sip:a@10.0.0.1',
      networkIp: '10.0.0.1',
      callId: 'x1',
      expires: 0,
      auth: 'ok',
    });
    expect(value(events.at(-1), 'Event-Subclass')).toBe('sofia::unregister');
    expect(value(events.at(-1), 'expires')).toBe('0');
    expect(r.list()).toEqual([]);
    expect(r.flush('other', undefined)).toBe('Invalid Profile [other]');
  });

  it("keeps a binding its Expires plus sofia's 60 s late margin, as recorded for room7 (Expires 5)", () => {
    // freeswitch-1.10.12-live/registry: room7 registered at 1796546818 with Expires 5; its sofia::register said
    // `expires: 5`, its sofia::expire (sofia_reg_del_callback) `expires: 1796546883`.
    let us = 1796546818113729;
    let seq = 13200;
    const { r, events, value } = registrar({ nowUs: () => us, nextSequence: () => seq++ });
    r.register({
      user: 'room7',
      host: 'rooms.example.com',
      contactUri: 'sip:room7@127.0.0.2:6107',
      networkIp: '127.0.5.2',
      callId: 'reg-room7@127.0.5.2',
      expires: 5,
      auth: 'ok',
    });
    expect(value(events.at(-1), 'expires')).toBe('5');
    expect(r.xmlStatus('internal')).toContain('expsecs(65)');
    us = 1796546886536901;
    expect(r.expire((x) => x.expiresAt <= Math.floor(us / 1e6))).toBe(1);
    expect(value(events.at(-1), 'Event-Subclass')).toBe('sofia::expire');
    expect(value(events.at(-1), 'expires')).toBe('1796546883');
  });
});
