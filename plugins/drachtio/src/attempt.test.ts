import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toAttempt } from './attempt.js';
import { ROOM_INVITE, SIPSAK_OPTIONS, SVMAP_INVITE } from './test-support/recorded.js';
import { srfRequestPair } from './testing.js';

/** The request as an object without its raw text (the header-map path); drachtio-srf's fields are getters. */
function withoutRaw(req: ReturnType<typeof srfRequestPair>['req']) {
  return { ...req, raw: undefined, method: req.method, uri: req.uri, headers: req.headers, body: req.body };
}

describe('toAttempt', () => {
  it('maps the recorded svmap INVITE from a real drachtio-srf request', () => {
    const { req } = srfRequestPair(SVMAP_INVITE, { address: '127.0.0.1', port: 5060, receivedOn: '127.0.0.1:5080' });
    const r = toAttempt(req, 1_700_000_000_000);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const a = r.attempt;
    expect(a.method).toBe('INVITE');
    expect(a.source).toEqual({ ip: '127.0.0.1', port: 5060, transport: 'udp' });
    expect(a.local).toEqual({ ip: '127.0.0.1', port: 5080 });
    expect(a.userAgent).toBe('friendly-scanner');
    expect(a.caller.display).toBe('sipvicious');
    expect(a.target).toEqual({ user: '100', host: '127.0.0.1' });
    expect(a.sip.viaBranch).toBe('z9hG4bK-1213340533');
    expect(a.sip.fromTag).toBe('3766303030303031313364380131393237313739373531');
    expect(a.sip.cseq).toEqual({ seq: 1, method: 'INVITE' });
    expect(a.sip.maxForwards).toBe(70);
    expect(a.adapter).toBe('drachtio');
    expect(a.time).toBe(1_700_000_000_000);
  });

  it('reads the SDP session name and a bare addr-spec From (sipsak)', () => {
    const room = toAttempt(srfRequestPair(ROOM_INVITE, { address: '127.0.0.1', port: 5099 }).req);
    expect(room.ok && room.attempt.sip.sdpSessionName).toBe('-');
    expect(room.ok && room.attempt.sip.hasBody).toBe(true);
    const sipsak = toAttempt(srfRequestPair(SIPSAK_OPTIONS, { address: '127.0.0.1', port: 57973 }).req);
    expect(sipsak.ok && sipsak.attempt.caller.user).toBe('sipsak');
    expect(sipsak.ok && sipsak.attempt.source.port).toBe(57973);
  });

  it('takes source_port as a number at run time and as the string the bundled types promise', () => {
    const { req } = srfRequestPair(SVMAP_INVITE, { address: '127.0.0.1', port: 5060 });
    expect(typeof req.source_port).toBe('number');
    req.source_port = '5062';
    const r = toAttempt(req);
    expect(r.ok && r.attempt.source.port).toBe(5062);
    req.source_port = 'not a port';
    const r2 = toAttempt(req);
    expect(r2.ok && r2.attempt.source.port).toBeUndefined();
  });

  it('maps a request without its raw text from the header map', () => {
    const { req } = srfRequestPair(ROOM_INVITE, { address: '192.0.2.7', port: 5099 });
    const r = toAttempt(withoutRaw(req));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.attempt.userAgent).toBe('TANDBERG/529 (ce9.15)');
      expect(r.attempt.caller).toEqual({ user: 'roomA', host: 'example.com', display: 'Room A' });
    }
  });

  it.each([
    {
      name: 'summarises the room INVITE offer',
      raw: ROOM_INVITE,
      media: { offered: true, kinds: ['audio'], codecs: ['pcmu'], bfcp: false, connectionAddresses: ['127.0.0.1'] },
    },
    {
      name: 'reads the svmap INVITE without a body as no offer',
      raw: SVMAP_INVITE,
      media: { offered: false, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] },
    },
  ])('$name, from the raw message and from the header map and body alike', ({ raw, media }) => {
    const { req } = srfRequestPair(raw, { address: '192.0.2.7', port: 5099 });
    const fromRaw = toAttempt(req);
    expect(fromRaw.ok && fromRaw.attempt.media).toEqual(media);
    const fromFields = toAttempt(withoutRaw(req));
    expect(fromFields.ok && fromFields.attempt.media).toEqual(media);
  });

  it('leaves media unknown from the header map when the body is missing but Content-Length says there is one', () => {
    const { req } = srfRequestPair(ROOM_INVITE, { address: '192.0.2.7', port: 5099 });
    const missing = toAttempt({ ...withoutRaw(req), body: undefined });
    expect(missing.ok).toBe(true);
    expect(missing.ok && missing.attempt).not.toHaveProperty('media');
    const bytes = toAttempt({ ...withoutRaw(req), body: Buffer.from(String(req.body), 'utf8') });
    expect(bytes.ok && bytes.attempt.media?.codecs).toEqual(['pcmu']);
  });

  it('turns an undecodable request into a MalformedRequest for judgeMalformed', () => {
    const r = toAttempt(
      { method: 'INVITE', raw: 'INVITE\r\n\r\n', source_address: '203.0.113.9', source_port: 5060 },
      5,
    );
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.malformed).toMatchObject({
        protocol: 'sip',
        method: 'INVITE',
        source: { ip: '203.0.113.9', port: 5060 },
        time: 5,
      });
      expect(r.malformed.detail.length).toBeGreaterThan(0);
    }
  });

  it('reads a padded request leniently: what was skipped is in attempt.anomalies (issue 13)', () => {
    const pad = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`).join('\r\n');
    const raw = SVMAP_INVITE.replace('\r\nUser-Agent:', `\r\n${pad}\r\nX-Nul: a\0b\r\nUser-Agent:`);
    const r = toAttempt(srfRequestPair(raw, { address: '203.0.113.9', port: 5060 }).req);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.attempt.userAgent).toBe('friendly-scanner');
    expect(r.attempt.anomalies).toEqual([
      'NUL in header line 206 skipped',
      '210 header fields past the cap of 128: 77 skipped',
    ]);
  });

  it('judges what drachtio-srf read of a request whose start line the core cannot read (the partial)', () => {
    // drachtio-srf's request-line regex takes a Request-URI without a scheme and words after the version.
    for (const startLine of ['INVITE 100 SIP/2.0', 'INVITE sip:100@127.0.0.1 SIP/2.0 trailing']) {
      const raw = SVMAP_INVITE.replace('INVITE sip:100@127.0.0.1 SIP/2.0', startLine);
      const { req } = srfRequestPair(raw, { address: '203.0.113.9', port: 5060, receivedOn: '127.0.0.1:5080' });
      const r = toAttempt(req, 7);
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.malformed).toMatchObject({
        protocol: 'sip',
        method: 'INVITE',
        source: { ip: '203.0.113.9', port: 5060, transport: 'udp' },
        local: { ip: '127.0.0.1', port: 5080 },
        time: 7,
        adapter: 'drachtio',
      });
      expect(r.malformed.partial).toMatchObject({
        protocol: 'sip',
        method: 'INVITE',
        source: { ip: '203.0.113.9', port: 5060, transport: 'udp' },
        userAgent: 'friendly-scanner',
        caller: { display: 'sipvicious' },
        sip: { viaBranch: 'z9hG4bK-1213340533' },
        time: 7,
      });
    }
  });

  it('gives no partial when drachtio-srf has no request line either, or a hostile header map', () => {
    const r = toAttempt({
      method: 'INVITE',
      raw: 'INVITE\r\n\r\n',
      uri: 'sip:a@b',
      headers: 5,
      source_address: '203.0.113.9',
    });
    expect(r.ok === false && r.malformed.partial?.method).toBe('INVITE');
    const hostile = {
      method: 'INVITE',
      raw: 'INVITE\r\n\r\n',
      uri: 'sip:a@b',
      source_address: '203.0.113.9',
      get headers() {
        throw new Error('no headers');
      },
    };
    const h = toAttempt(hostile);
    expect(h.ok === false && h.malformed.partial).toBeUndefined();
    const other = toAttempt({
      method: 'OPTIONS',
      raw: 'INVITE\r\n\r\n',
      uri: 'sip:a@b',
      source_address: '203.0.113.9',
    });
    expect(other.ok === false && other.malformed.partial?.method).toBe('OPTIONS');
  });

  it('parses IPv6 receivedOn, bracketed or not', () => {
    const base = {
      method: 'OPTIONS',
      raw: SIPSAK_OPTIONS.replace(/^OPTIONS/, 'OPTIONS'),
      source_address: '::1',
      source_port: 5060,
    };
    const a = toAttempt({ ...base, receivedOn: '[::1]:5080' });
    expect(a.ok && a.attempt.local).toEqual({ ip: '::1', port: 5080 });
    const b = toAttempt({ ...base, receivedOn: 'garbage' });
    expect(b.ok && b.attempt.local).toEqual({ ip: 'garbage' });
  });

  it('never converts a hostile source_port object to text (fast-check found one whose toString is not a function)', () => {
    const hostile = [
      [{ toString: '' }],
      {
        toString() {
          throw new Error('boom');
        },
      },
      Symbol('port'),
    ];
    for (const source_port of hostile) {
      const r = toAttempt({ method: 'INVITE', source_address: '203.0.113.5', source_port, get: () => '' } as never);
      expect(typeof r.ok).toBe('boolean');
    }
    expect(toAttempt({ method: 'INVITE', source_address: '203.0.113.5', source_port: '5062' } as never)).toBeDefined();
  });

  it('never throws, whatever the request object holds', () => {
    const hostileGet = () => {
      throw new Error('header not available');
    };
    fc.assert(
      fc.property(
        fc.record({
          method: fc.anything(),
          raw: fc.oneof(fc.string(), fc.anything()),
          uri: fc.anything(),
          headers: fc.anything(),
          body: fc.anything(),
          source_address: fc.anything(),
          source_port: fc.anything(),
          protocol: fc.anything(),
          receivedOn: fc.anything(),
        }),
        (req) => {
          const r = toAttempt({ ...req, get: hostileGet } as never);
          expect(typeof r.ok).toBe('boolean');
        },
      ),
      { numRuns: 500 },
    );
  });
});
