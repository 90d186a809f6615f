import { describe, expect, it } from 'vitest';
import { canonicalHeaderName } from './header-names.js';
import { SipHeaders, splitHeaderList } from './headers.js';

describe('canonicalHeaderName', () => {
  it('lowercases and expands compact forms', () => {
    expect(['Via', 'VIA', 'v', 'V'].map(canonicalHeaderName)).toEqual(['via', 'via', 'via', 'via']);
    expect(['i', 'm', 'l', 'c', 'k', 'o', 'u', 'x'].map(canonicalHeaderName)).toEqual([
      'call-id',
      'contact',
      'content-length',
      'content-type',
      'supported',
      'event',
      'allow-events',
      'session-expires',
    ]);
    expect(canonicalHeaderName('z')).toBe('z');
  });
});

describe('splitHeaderList', () => {
  it('splits at commas outside quotes and angle brackets, trimming and dropping empties', () => {
    expect(splitHeaderList('"Doe, John" <sip:j@h;a=1,2>;q=0.5 , <sip:k@h>,, *')).toEqual([
      '"Doe, John" <sip:j@h;a=1,2>;q=0.5',
      '<sip:k@h>',
      '*',
    ]);
  });

  it('honours backslash escapes in quoted strings', () => {
    expect(splitHeaderList('"a\\", b" <sip:a@b>, c')).toEqual(['"a\\", b" <sip:a@b>', 'c']);
  });

  it('lets an unclosed quote run to the end', () => {
    expect(splitHeaderList('a, "b, c')).toEqual(['a', '"b, c']);
  });
});

describe('SipHeaders', () => {
  const headers = new SipHeaders();
  headers.append('Via', 'SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2');
  headers.append('User-Agent', 'x, y');
  headers.append('v', 'SIP/2.0/UDP c;branch=3');
  headers.append('Contact', ' ,<sip:c@h>');

  it('looks names up in any case and compact form', () => {
    expect(headers.has('VIA')).toBe(true);
    expect(headers.has('route')).toBe(false);
    expect(headers.get('user-agent')).toBe('x, y');
    expect(headers.get('missing')).toBeUndefined();
  });

  it('splits list headers only', () => {
    expect(headers.get('v')).toBe('SIP/2.0/UDP a;branch=1');
    expect(headers.getAll('via')).toEqual([
      'SIP/2.0/UDP a;branch=1',
      'SIP/2.0/UDP b;branch=2',
      'SIP/2.0/UDP c;branch=3',
    ]);
    expect(headers.getAll('user-agent')).toEqual(['x, y']);
    expect(headers.get('m')).toBe('<sip:c@h>');
    expect(headers.getLines('via')).toEqual([
      'SIP/2.0/UDP a;branch=1, SIP/2.0/UDP b;branch=2',
      'SIP/2.0/UDP c;branch=3',
    ]);
    expect(headers.getAll('nothing')).toEqual([]);
  });

  it('iterates fields in wire order with wire spelling', () => {
    expect(headers.size).toBe(4);
    expect([...headers].map(([name]) => name)).toEqual(['Via', 'User-Agent', 'v', 'Contact']);
    expect(headers.names()).toEqual(['Via', 'User-Agent', 'v', 'Contact']);
  });

  it('counts the lines of a name and tells whether any of some names repeats', () => {
    expect(headers.count('VIA')).toBe(2);
    expect(headers.count('user-agent')).toBe(1);
    expect(headers.count('from')).toBe(0);
    expect(headers.hasRepeated(['user-agent', 'contact'])).toBe(false);
    expect(headers.hasRepeated(['user-agent', 'via'])).toBe(true);
    const twice = new SipHeaders();
    twice.append('User-Agent', 'a');
    twice.append('Call-ID', 'x');
    twice.append('user-agent', 'b');
    expect(twice.hasRepeated(['from', 'user-agent'])).toBe(true);
    expect(twice.hasRepeated(['from', 'call-id'])).toBe(false);
  });
});
