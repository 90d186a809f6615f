import { describe, expect, it } from 'vitest';
import { isIpv4, parseSipUri } from './uri.js';

describe('parseSipUri', () => {
  it('reads user, password, host, port, params and headers', () => {
    const uri = parseSipUri('sip:alice:secret@Example.COM:5070;transport=TCP;lr?subject=hi&priority=urgent');
    expect(uri).toMatchObject({
      scheme: 'sip',
      user: 'alice',
      password: 'secret',
      host: 'example.com',
      hostKind: 'domain',
      port: 5070,
      headers: 'subject=hi&priority=urgent',
    });
    expect(uri?.params).toEqual(
      new Map([
        ['transport', 'TCP'],
        ['lr', ''],
      ]),
    );
  });

  it('reads a bare host without user as an IPv4 literal', () => {
    expect(parseSipUri('sip:127.0.0.1')).toEqual({
      scheme: 'sip',
      host: '127.0.0.1',
      hostKind: 'ipv4',
      params: new Map(),
    });
  });

  it('reads an IPv6 reference, without its brackets, and its port', () => {
    expect(parseSipUri('sip:100@[2001:DB8::1]:5060;transport=udp')).toMatchObject({
      user: '100',
      host: '2001:db8::1',
      hostKind: 'ipv6',
      port: 5060,
    });
    expect(parseSipUri('sips:[::ffff:10.0.0.1]')).toMatchObject({ scheme: 'sips', host: '::ffff:10.0.0.1' });
  });

  it('treats the scheme case-insensitively and resolves %-escapes in the user', () => {
    expect(parseSipUri('SIP:%2B4930%20x@h')).toMatchObject({ scheme: 'sip', user: '+4930 x', host: 'h' });
    expect(parseSipUri('sip:bad%ZZ@h')?.user).toBe('bad%ZZ');
    expect(parseSipUri('sip:bad%ff@h')?.user).toBe('bad%ff');
  });

  it('keeps ; and ? that belong to the user part when an @ follows', () => {
    expect(parseSipUri('sip:alice;day=tue?x@h;lr')).toMatchObject({ user: 'alice;day=tue?x', host: 'h' });
  });

  it('reads tel URIs: the number as user, no host', () => {
    const uri = parseSipUri('tel:+1-201-555-0123;phone-context=example.com');
    expect(uri).toMatchObject({ scheme: 'tel', user: '+1-201-555-0123' });
    expect(uri?.host).toBeUndefined();
    expect(uri?.params.get('phone-context')).toBe('example.com');
  });

  it('returns undefined for other schemes and broken host or port', () => {
    for (const text of [
      'http://example.com',
      'urn:service:sos',
      'sip:',
      'sip:alice@',
      'sip:h:99999',
      'sip:h:',
      'sip:h:5060x',
      'sip:[::1',
      'sip:[zz::1]',
      'sip:ho st',
      'sip:h"x',
      'tel:',
      '',
      'sip',
    ]) {
      expect(parseSipUri(text), text).toBeUndefined();
    }
  });
});

describe('isIpv4', () => {
  it('accepts dotted quads up to 255 and nothing else', () => {
    expect(['0.0.0.0', '127.0.0.1', '255.255.255.255'].every(isIpv4)).toBe(true);
    expect(['256.0.0.1', '1.2.3', '1.2.3.4.5', '1..2.3', '01234.1.1.1', 'a.b.c.d', ''].some(isIpv4)).toBe(false);
  });
});
