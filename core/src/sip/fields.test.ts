import { describe, expect, it } from 'vitest';
import { parseContentLength } from './content-length.js';
import { parseContentType } from './content-type.js';
import { credentialsUsername, parseCredentials } from './credentials.js';
import { parseCSeq } from './cseq.js';
import { parseMaxForwards } from './max-forwards.js';

describe('parseCSeq', () => {
  it('reads number and method', () => {
    expect(parseCSeq('1 REGISTER')).toEqual({ seq: 1, method: 'REGISTER' });
    expect(parseCSeq(' 4294967295\tINVITE ')).toEqual({ seq: 4294967295, method: 'INVITE' });
  });

  it('returns undefined for a missing method, a non-number or a number of 2^32 and above', () => {
    for (const value of ['1', 'INVITE', 'x INVITE', '-1 INVITE', '4294967296 INVITE', '1 IN VITE', '']) {
      expect(parseCSeq(value), value).toBeUndefined();
    }
  });
});

describe('parseMaxForwards', () => {
  it('reads 0..65535 and nothing else', () => {
    expect([parseMaxForwards('70'), parseMaxForwards(' 0 '), parseMaxForwards('65535')]).toEqual([70, 0, 65535]);
    expect([parseMaxForwards('65536'), parseMaxForwards('-1'), parseMaxForwards('7 0'), parseMaxForwards('')]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('parseContentLength', () => {
  it('reads digits only, huge values included', () => {
    expect(parseContentLength(' 88 ')).toBe(88);
    expect(parseContentLength('9'.repeat(30))).toBeGreaterThan(Number.MAX_SAFE_INTEGER);
    expect([parseContentLength('8 8'), parseContentLength('+8'), parseContentLength('')]).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});

describe('parseCredentials', () => {
  const svcrack =
    'Digest username="101",realm="127.0.0.1",nonce="awH9oGsB/HRdtxq8ZF8wX0GPp7T//xxs",uri="sip:127.0.0.1",algorithm=MD5,qop=auth,response="f6bd6852ba345ebede811df895f92048"';

  it('reads the svcrack digest response', () => {
    const credentials = parseCredentials(svcrack);
    expect(credentials?.scheme).toBe('Digest');
    expect(credentials?.params.get('username')).toBe('101');
    expect(credentials?.params.get('algorithm')).toBe('MD5');
    expect(credentials?.params.get('uri')).toBe('sip:127.0.0.1');
    expect(credentialsUsername(svcrack)).toBe('101');
  });

  it('accepts LWS around = and commas, case-insensitive names and escaped quotes', () => {
    expect(credentialsUsername('Digest  realm = "r" ,\tUserName = "a \\"b\\"" , nonce="n"')).toBe('a "b"');
    expect(credentialsUsername('Digest username=bob')).toBe('bob');
  });

  it('has no username when it is absent, empty or the value is garbage', () => {
    expect(credentialsUsername('Digest realm="r"')).toBeUndefined();
    expect(credentialsUsername('Digest username=""')).toBeUndefined();
    expect(credentialsUsername('')).toBeUndefined();
    expect(credentialsUsername('Digest username="unclosed')).toBe('unclosed');
  });
});

describe('parseContentType', () => {
  it('lowercases the media type and keeps parameters', () => {
    const type = parseContentType('Application/SDP; charset="utf-8"');
    expect(type).toMatchObject({ mediaType: 'application/sdp', type: 'application', subtype: 'sdp' });
    expect(type?.params.get('charset')).toBe('utf-8');
    expect(parseContentType('multipart/mixed;boundary=unique-boundary-1')?.params.get('boundary')).toBe(
      'unique-boundary-1',
    );
  });

  it('returns undefined without type/subtype tokens', () => {
    for (const value of ['sdp', '/sdp', 'application/', 'app lication/sdp', '']) {
      expect(parseContentType(value), value).toBeUndefined();
    }
  });
});
