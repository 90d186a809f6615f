import { describe, expect, it } from 'vitest';
import { parseRegListing, registrationOfEvent, xmlUnescape } from './sofia-registrations.js';
import { headerLookup } from './testing.js';

/** A two-row answer of `sofia xmlstatus profile internal reg` in mod_sofia.c's layout. */
const LISTING =
  '<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n' +
  '    <registration>\n' +
  '        <call-id>a84b4c76e66710</call-id>\n' +
  '        <user>room-boardroom@video.example.com</user>\n' +
  '        <contact>&quot;Boardroom&quot; &lt;sip:room-boardroom@10.0.0.21:5060;transport=tcp&gt;</contact>\n' +
  '        <agent>Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5</agent>\n' +
  '        <status>Registered(TCP)(unknown) exp(2026-11-21 21:38:08) expsecs(3587)</status>\n' +
  '        <ping-status>Reachable</ping-status>\n' +
  '        <host>vm</host>\n' +
  '        <network-ip>10.0.0.21</network-ip>\n' +
  '        <network-port>40512</network-port>\n' +
  '        <sip-auth-user>room-boardroom</sip-auth-user>\n' +
  '        <sip-auth-realm>video.example.com</sip-auth-realm>\n' +
  '        <mwi-account>room-boardroom@video.example.com</mwi-account>\n' +
  '    </registration>\n' +
  '    <registration>\n' +
  '        <call-id>x</call-id>\n' +
  '        <user>no-at-sign</user>\n' +
  '        <contact>&lt;sip:x@10.0.0.9&gt;</contact>\n' +
  '        <status>Registered(UDP)(unknown) exp(2026-11-21 21:38:08) expsecs(60)</status>\n' +
  '    </registration>\n' +
  '  </registrations>\n</profile>\n';

describe('sofia registrations: listing and events', () => {
  it('reads xmlstatus rows: AOR, unescaped contact, network address, seconds left', () => {
    expect(parseRegListing(LISTING, 'internal', 100)).toEqual({
      ok: true,
      invalid: 1,
      bindings: [
        {
          profile: 'internal',
          user: 'room-boardroom',
          host: 'video.example.com',
          contact: '"Boardroom" <sip:room-boardroom@10.0.0.21:5060;transport=tcp>',
          callId: 'a84b4c76e66710',
          source: { ip: '10.0.0.21', port: 40512 },
          expires: 3587,
          userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5',
        },
      ],
    });
  });

  it('treats anything but a whole xmlstatus document as a failed listing', () => {
    expect(parseRegListing('Invalid Profile!\n', 'nope', 10)).toEqual({ ok: false, problem: 'Invalid Profile!' });
    expect(parseRegListing('-ERR sofia Command not found!\n', 'internal', 10).ok).toBe(false);
    expect(parseRegListing(LISTING.slice(0, 300), 'internal', 10)).toMatchObject({ ok: false });
    expect(parseRegListing(LISTING, 'internal', 1)).toMatchObject({ ok: false, tooMany: true });
    expect(parseRegListing('', 'internal', 10)).toEqual({ ok: false, problem: 'empty answer' });
  });

  it('unescapes switch_amp_encode entities and numeric ones, leaves unknown ones', () => {
    expect(xmlUnescape('&quot;a&apos;&lt;b&gt;&amp;&#64;&#x41;&bogus;')).toBe('"a\'<b>&@A&bogus;');
  });

  it('reads sofia::register with its real header names and sofia::expire with its absolute expiry', () => {
    const reg = headerLookup({
      'Event-Subclass': 'sofia::register',
      'Event-Name': 'CUSTOM',
      'profile-name': 'internal',
      'from-user': '1000',
      'from-host': '192.0.2.2',
      'presence-hosts': 'n/a',
      contact: '"1000" <sip:1000@198.51.100.7:5062;fs_nat=yes>',
      'call-id': 'abc@198.51.100.7',
      rpid: 'unknown',
      status: 'Registered(UDP-NAT)',
      expires: '300',
      'to-user': '1000',
      'to-host': '192.0.2.2',
      'network-ip': '198.51.100.7',
      'network-port': '5062',
      username: '1000',
      realm: '192.0.2.2',
      'user-agent': 'Poly/RealPresence',
    });
    expect(registrationOfEvent(reg, 0)).toEqual({
      kind: 'register',
      binding: {
        profile: 'internal',
        user: '1000',
        host: '192.0.2.2',
        contact: '"1000" <sip:1000@198.51.100.7:5062;fs_nat=yes>',
        callId: 'abc@198.51.100.7',
        source: { ip: '198.51.100.7', port: 5062 },
        // 300 asked + sofia's 60 s late margin: what the listing's expsecs says for the same binding.
        expires: 360,
        userAgent: 'Poly/RealPresence',
      },
    });
    expect(registrationOfEvent(reg, 0, 0)?.binding.expires).toBe(300);
    const expire = headerLookup({
      'Event-Subclass': 'sofia::expire',
      'Event-Name': 'CUSTOM',
      'profile-name': 'internal',
      'call-id': 'abc',
      user: '1000',
      host: '192.0.2.2',
      contact: '"1000" <sip:1000@198.51.100.7:5062>',
      expires: '1795293000',
      'user-agent': 'x',
      realm: '192.0.2.2',
    });
    expect(registrationOfEvent(expire, 1795293600)).toMatchObject({
      kind: 'expire',
      binding: { user: '1000', host: '192.0.2.2', callId: 'abc', expires: 0, source: undefined },
    });
  });

  it('ignores other events and registrations without a usable user, host or contact', () => {
    const base = { 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::register', contact: '<sip:a@b>' };
    expect(registrationOfEvent(headerLookup({ ...base, 'from-user': 'a b', 'from-host': 'h' }), 0)).toBeUndefined();
    expect(registrationOfEvent(headerLookup({ ...base, 'from-user': 'a' }), 0)).toBeUndefined();
    expect(
      registrationOfEvent(headerLookup({ ...base, 'Event-Subclass': 'sofia::pre_register', 'from-user': 'a' }), 0),
    ).toBeUndefined();
    expect(registrationOfEvent(headerLookup({ 'Event-Name': 'CHANNEL_HANGUP_COMPLETE' }), 0)).toBeUndefined();
    const hostile = registrationOfEvent(
      headerLookup({ ...base, 'from-user': 'a', 'from-host': 'h', 'network-ip': 'not-an-ip', expires: 'soon' }),
      0,
    );
    expect(hostile).toMatchObject({ kind: 'register', binding: { source: undefined, expires: undefined } });
  });
});
