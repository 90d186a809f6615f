import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { GhostguardError } from '../errors.js';
import { parseSipMessage, type SipMessage, type SipRequest } from './message.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
const enc = (s: string) => new TextEncoder().encode(s);
const crlf = (...lines: string[]) => lines.join('\r\n');

function request(input: Uint8Array | string): SipRequest {
  const msg = parseSipMessage(input);
  if (msg.kind !== 'request') throw new Error(`expected a request, got ${msg.kind}`);
  return msg;
}

function parseFailure(input: Uint8Array | string, options?: Parameters<typeof parseSipMessage>[1]): GhostguardError {
  try {
    parseSipMessage(input, options);
  } catch (err) {
    if (err instanceof GhostguardError) return err;
    throw err;
  }
  throw new Error('expected parseSipMessage to throw');
}

const MINIMAL = crlf(
  'OPTIONS sip:100@10.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK1',
  'Call-ID: a',
  '',
  '',
);

describe('parseSipMessage on recorded messages', () => {
  it('reads svwar REGISTER start line, headers in wire order and an empty body', () => {
    const msg = request(fixture('svwar-register.sip'));
    expect(msg.method).toBe('REGISTER');
    expect(msg.requestUri).toBe('sip:127.0.0.1');
    expect(msg.version).toBe('SIP/2.0');
    expect(msg.headers.get('via')).toBe('SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-2100381865;rport');
    expect(msg.headers.get('From')).toBe(
      '"589659964"<sip:589659964@127.0.0.1>;tag=3538393635393936340134313830383231383334',
    );
    expect(msg.headers.get('USER-AGENT')).toBe('friendly-scanner');
    expect(msg.headers.names()).toEqual([
      'Via',
      'Max-Forwards',
      'To',
      'From',
      'User-Agent',
      'Call-ID',
      'Contact',
      'CSeq',
      'Accept',
      'Content-Length',
    ]);
    expect(msg.body.length).toBe(0);
    expect(msg.truncated).toBe(false);
  });

  it('reads the SDP body of an INVITE, bounded by Content-Length', () => {
    const bytes = fixture('room-invite-sdp.sip');
    const msg = request(bytes);
    expect(msg.method).toBe('INVITE');
    expect(msg.body.length).toBe(88);
    expect(new TextDecoder().decode(msg.body)).toMatch(/^v=0\r\no=- 1 1 IN IP4 127\.0\.0\.1\r\ns=-\r\n/);
    expect(msg.truncated).toBe(false);
  });

  it('parses a Kamailio reply as a response with status and reason', () => {
    const msg = parseSipMessage(fixture('kamailio-404-response.sip'));
    expect(msg.kind).toBe('response');
    if (msg.kind !== 'response') return;
    expect(msg.status).toBe(404);
    expect(msg.reason).toBe('Not Found');
    expect(msg.headers.get('server')).toBe('kamailio (5.6.3 (x86_64/linux))');
  });

  it('gives the same message for text input as for its UTF-8 bytes', () => {
    const bytes = fixture('svmap-options.sip');
    const fromText = parseSipMessage(bytes.toString('utf8'));
    const fromBytes = parseSipMessage(bytes);
    expect([...fromText.headers]).toEqual([...fromBytes.headers]);
    expect((fromText as SipRequest).requestUri).toBe('sip:100@127.0.0.1');
  });
});

describe('parseSipMessage leniency real stacks share', () => {
  it('accepts bare LF line ends like CRLF', () => {
    const withCrlf = fixture('svwar-register.sip').toString('latin1');
    const lf = request(withCrlf.replaceAll('\r\n', '\n'));
    expect([...lf.headers]).toEqual([...request(withCrlf).headers]);
    expect(lf.truncated).toBe(false);
  });

  it('unfolds continuation lines into one value separated by a single space', () => {
    const msg = request(
      crlf(
        'MESSAGE sip:a@b SIP/2.0',
        'Subject: I know you are there,  ',
        ' \t pick up',
        '\tthe phone',
        'To: <sip:a@b>',
        '',
        '',
      ),
    );
    expect(msg.headers.get('subject')).toBe('I know you are there, pick up the phone');
    expect(msg.headers.get('to')).toBe('<sip:a@b>');
  });

  it('resolves compact header names both ways', () => {
    const msg = request(
      crlf(
        'INVITE sip:100@10.0.0.1 SIP/2.0',
        'v: SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKc',
        'f: "x" <sip:x@h>;tag=1',
        't: <sip:100@10.0.0.1>',
        'i: compact@h',
        'm: <sip:x@10.0.0.2>',
        'c: application/sdp',
        'k: timer',
        's: hi',
        'e: gzip',
        'o: presence',
        'l: 4',
        '',
        'v=0\n',
      ),
    );
    const h = msg.headers;
    expect(h.get('Via')).toBe('SIP/2.0/UDP 10.0.0.2:5060;branch=z9hG4bKc');
    expect(h.get('from')).toBe('"x" <sip:x@h>;tag=1');
    expect(h.get('TO')).toBe('<sip:100@10.0.0.1>');
    expect(h.get('call-id')).toBe('compact@h');
    expect(h.get('contact')).toBe('<sip:x@10.0.0.2>');
    expect(h.get('content-type')).toBe('application/sdp');
    expect(h.get('supported')).toBe('timer');
    expect(h.get('subject')).toBe('hi');
    expect(h.get('content-encoding')).toBe('gzip');
    expect(h.get('event')).toBe('presence');
    expect(h.get('V')).toBe(h.get('via'));
    expect(new TextDecoder().decode(msg.body)).toBe('v=0\n');
  });

  it('keeps every Via, from separate lines and comma-joined values, topmost first', () => {
    const msg = request(
      crlf(
        'INVITE sip:a@b SIP/2.0',
        'Via: SIP/2.0/UDP p1;branch=z9hG4bK1, SIP/2.0/TCP p2;branch=z9hG4bK2',
        'v: SIP/2.0/UDP p3;branch=z9hG4bK3',
        '',
        '',
      ),
    );
    expect(msg.headers.get('via')).toBe('SIP/2.0/UDP p1;branch=z9hG4bK1');
    expect(msg.headers.getAll('via')).toEqual([
      'SIP/2.0/UDP p1;branch=z9hG4bK1',
      'SIP/2.0/TCP p2;branch=z9hG4bK2',
      'SIP/2.0/UDP p3;branch=z9hG4bK3',
    ]);
    expect(msg.headers.getLines('via')).toHaveLength(2);
  });

  it('ignores CRLFs before the start line', () => {
    expect(request(`\r\n\r\n${MINIMAL}`).method).toBe('OPTIONS');
  });

  it('accepts a request with no header fields', () => {
    const msg = request('OPTIONS sip:a@b SIP/2.0\r\n\r\n');
    expect(msg.headers.size).toBe(0);
    expect(msg.truncated).toBe(false);
  });

  it('accepts a status line without a reason phrase and LWS around the start-line parts', () => {
    const msg = parseSipMessage('SIP/2.0 200\r\n\r\n');
    expect(msg.kind === 'response' && msg.status === 200 && msg.reason === '').toBe(true);
    expect(request('OPTIONS  sip:a@b\tSIP/2.0 \r\n\r\n').requestUri).toBe('sip:a@b');
  });

  it('keeps the head when the empty line is missing, flagged truncated', () => {
    const msg = request(crlf('OPTIONS sip:a@b SIP/2.0', 'Call-ID: x', 'To: <sip:a@b>'));
    expect(msg.headers.get('to')).toBe('<sip:a@b>');
    expect(msg.body.length).toBe(0);
    expect(msg.truncated).toBe(true);
    expect(request(crlf('OPTIONS sip:a@b SIP/2.0', 'Call-ID: x', '')).truncated).toBe(true);
    expect(request('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r').headers.get('call-id')).toBe('x');
  });

  it('decodes UTF-8 in the head and replaces invalid UTF-8 instead of throwing', () => {
    const good = request(enc(crlf('INVITE sip:a@b SIP/2.0', 'From: "Zoë Ωmega" <sip:z@h>', '', '')));
    expect(good.headers.get('from')).toBe('"Zoë Ωmega" <sip:z@h>');
    const bad = Uint8Array.from([
      ...enc('INVITE sip:a@b SIP/2.0\r\nFrom: "'),
      0xff,
      0xc3,
      ...enc('" <sip:z@h>\r\n\r\n'),
    ]);
    expect(request(bad).headers.get('from')).toBe('"\ufffd\ufffd" <sip:z@h>');
  });

  it('allows any bytes in the body, NUL included', () => {
    const msg = request(Uint8Array.from([...enc('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: 3\r\n\r\n'), 0, 1, 0xff]));
    expect([...msg.body]).toEqual([0, 1, 0xff]);
  });
});

describe('parseSipMessage body and Content-Length', () => {
  const withLength = (length: string, body: string) =>
    crlf('MESSAGE sip:a@b SIP/2.0', `Content-Length: ${length}`, '', body);

  it('cuts the body at Content-Length and ignores what follows (UDP)', () => {
    const msg = request(withLength('5', 'hello, trailing junk'));
    expect(new TextDecoder().decode(msg.body)).toBe('hello');
    expect(msg.truncated).toBe(false);
  });

  it('takes the rest of the datagram when Content-Length is absent', () => {
    const msg = request(crlf('MESSAGE sip:a@b SIP/2.0', 'To: <sip:a@b>', '', 'all of it'));
    expect(new TextDecoder().decode(msg.body)).toBe('all of it');
    expect(msg.truncated).toBe(false);
  });

  it('truncates and flags a body shorter than Content-Length, whatever the number says', () => {
    for (const length of ['10', String(2 ** 53), '9'.repeat(400)]) {
      const msg = request(withLength(length, 'short'));
      expect(new TextDecoder().decode(msg.body)).toBe('short');
      expect(msg.truncated).toBe(true);
    }
  });

  it('accepts a repeated Content-Length that agrees', () => {
    const msg = request(crlf('MESSAGE sip:a@b SIP/2.0', 'Content-Length: 2', 'l: 2', '', 'hi'));
    expect(msg.body.length).toBe(2);
  });

  it('keeps the first of two Content-Length values that disagree, and notes it', () => {
    // Before issue 13 this threw; a real stack reads such a datagram, so it must cost the sender, not escape.
    const msg = request(crlf('MESSAGE sip:a@b SIP/2.0', 'Content-Length: 2', 'l: 3', '', 'hey'));
    expect(new TextDecoder().decode(msg.body)).toBe('he');
    expect(msg.anomalies).toEqual(['conflicting Content-Length: kept the first']);
    expect(msg.headers.getLines('content-length')).toEqual(['2', '3']);
  });

  it('ignores a Content-Length that is not a number (the body is the rest), and notes it', () => {
    for (const length of ['-1', 'abc', '1e3', '', '0x10']) {
      const msg = request(withLength(length, 'body'));
      expect(new TextDecoder().decode(msg.body)).toBe('body');
      expect(msg.truncated).toBe(false);
      expect(msg.anomalies).toEqual(['invalid Content-Length ignored']);
    }
  });

  it('has no anomalies for a clean message', () => {
    for (const name of ['svwar-register.sip', 'room-invite-sdp.sip', 'kamailio-404-response.sip']) {
      expect(parseSipMessage(fixture(name)).anomalies).toEqual([]);
    }
    expect(request(crlf('MESSAGE sip:a@b SIP/2.0', 'Content-Length: 2', 'l: 2', '', 'hi')).anomalies).toEqual([]);
  });
});

describe('parseSipMessage rejects what has no valid start line, with the offset where it stopped', () => {
  const cases: [string, string | Uint8Array, number][] = [
    ['empty input', '', 0],
    ['only CRLFs', '\r\n\r\n', 4],
    ['a start line that is not SIP', 'GET / HTTP/1.1\r\n\r\n', 4],
    ['a status code of four digits', 'SIP/2.0 2000 OK\r\n\r\n', 8],
    ['a status code below 100', 'SIP/2.0 099 Odd\r\n\r\n', 8],
    ['a status code that is not a number', 'SIP/2.0 abc Odd\r\n\r\n', 8],
    ['a malformed SIP version', 'SIP/2 200 OK\r\n\r\n', 0],
    ['a request line without version', 'OPTIONS sip:a@b\r\n\r\n', 15],
    ['a request line with extra words', 'OPTIONS sip:a@b SIP/2.0 x\r\n\r\n', 23],
    ['a method with a separator character', 'OPT(IONS sip:a@b SIP/2.0\r\n\r\n', 0],
    ['a Request-URI without scheme', 'OPTIONS 100 SIP/2.0\r\n\r\n', 8],
    ['a DEL byte in the start line', 'OPTIONS sip:a@b\x7f SIP/2.0\r\n\r\n', 15],
    ['a NUL byte in the start line', 'OPTIONS sip:a@b\0 SIP/2.0\r\nTo: <sip:a@b>\r\n\r\n', 15],
    ['a bare CR in the start line', 'OPTIONS sip:a@b\r SIP/2.0\r\n\r\n', 15],
    ['a header line where the start line should be', 'Via: SIP/2.0/UDP h\r\n\r\n', 0],
  ];
  for (const [what, input, offset] of cases) {
    it(`throws GG_SIP_PARSE for ${what}`, () => {
      expect(parseFailure(input)).toMatchObject({ code: 'GG_SIP_PARSE', offset });
    });
  }

  it('counts the offset in bytes, not characters', () => {
    const bytes = enc('OPTIONS sip:éé@b\0 SIP/2.0\r\nFrom: "é"\r\n\r\n');
    expect(parseFailure(bytes).offset).toBe(bytes.indexOf(0));
  });

  it('throws on random binary data in the head', () => {
    expect(parseFailure(Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01])).code).toBe('GG_SIP_PARSE');
  });

  it('still reads a response as a response, whatever its headers hold', () => {
    const msg = parseSipMessage('SIP/2.0 200 OK\r\nTo: a\0b\r\nCall-ID: x\r\n\r\n');
    expect(msg.kind).toBe('response');
    expect(msg.headers.get('call-id')).toBe('x');
    expect(msg.anomalies).toEqual(['NUL in header line 2 skipped']);
  });
});

describe('parseSipMessage skips unreadable header lines and notes them (issue 13)', () => {
  // Each of these threw GG_SIP_PARSE before: the adapter then judged the request as undecodable, and a scanner
  // could pad its INVITE this way at no cost. Now the rest of the message is read and the skip is an anomaly.
  const cases: [string, string, string[]][] = [
    ['a header line without a colon', 'Call-ID x', ['header line without a colon skipped']],
    ['a header name with a space', 'Call ID: x', ['header line with an invalid name skipped']],
    ['an empty header name', ': x', ['header line with an invalid name skipped']],
    ['a NUL byte in a header', 'X-Pad: a\0b', ['NUL in header line 3 skipped']],
    ['a bare CR inside a line', 'X-Pad: a\rb', ['bare CR in header line 3 skipped']],
    ['an escape sequence', 'X-Pad: \x1b[31m', ['control character 0x1b in header line 3 skipped']],
  ];
  for (const [what, line, anomalies] of cases) {
    it(`skips ${what} and keeps the fields around it`, () => {
      const msg = request(
        crlf('OPTIONS sip:a@b SIP/2.0', 'To: <sip:a@b>', line, 'User-Agent: friendly-scanner', '', ''),
      );
      expect(msg.anomalies).toEqual(anomalies);
      expect(msg.headers.get('to')).toBe('<sip:a@b>');
      expect(msg.headers.get('user-agent')).toBe('friendly-scanner');
      expect(msg.headers.size).toBe(2);
    });
  }

  it('skips a continuation line before any header field', () => {
    const msg = request(crlf('OPTIONS sip:a@b SIP/2.0', ' folded', 'To: <sip:a@b>', '', ''));
    expect(msg.anomalies).toEqual(['continuation line before any header field skipped']);
    expect(msg.headers.names()).toEqual(['To']);
  });

  it('skips a whole folded field when one of its lines holds a control character', () => {
    const msg = request(crlf('OPTIONS sip:a@b SIP/2.0', 'Subject: a', ' b\0', ' c', 'To: <sip:a@b>', '', ''));
    expect(msg.headers.names()).toEqual(['To']);
    expect(msg.anomalies).toEqual(['NUL in header line 3 skipped']);
  });

  it('skips a field the rules read too when it holds a control character (the skip itself is the signal)', () => {
    const msg = request(crlf('OPTIONS sip:a@b SIP/2.0', 'User-Agent: friendly\0scanner', '', ''));
    expect(msg.headers.has('user-agent')).toBe(false);
    expect(msg.anomalies).toEqual(['NUL in header line 2 skipped']);
  });

  it('aggregates many skipped lines into one note per kind', () => {
    const junk = Array.from({ length: 300 }, (_, i) =>
      i % 3 === 0 ? `X-N${i}: \0` : i % 3 === 1 ? `junk ${i}` : `b@d${i}: x`,
    );
    const msg = request(crlf('OPTIONS sip:a@b SIP/2.0', ...junk, 'To: <sip:a@b>', '', ''));
    expect(msg.headers.names()).toEqual(['To']);
    expect(msg.anomalies).toEqual([
      '100 header lines with control characters skipped (first: NUL in header line 2)',
      '200 unreadable header lines skipped (100 without a colon, 100 with an invalid name)',
    ]);
  });

  it('reads a head of 64 KiB of colon-less lines in linear time', () => {
    const lines = 'a\r\n'.repeat(21_000);
    const t0 = performance.now();
    const msg = request(`OPTIONS sip:a@b SIP/2.0\r\n${lines}To: <sip:a@b>\r\n\r\n`);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(msg.anomalies).toEqual(['21000 unreadable header lines skipped (21000 without a colon)']);
  });
});

describe('parseSipMessage caps', () => {
  const headerLines = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`);

  it('reads the first 64 KiB of a larger message and notes the rest, for bytes and for text', () => {
    const big = `${MINIMAL}${'a'.repeat(64 * 1024)}`;
    for (const input of [big, enc(big)]) {
      const msg = request(input);
      expect(msg.headers.get('call-id')).toBe('a');
      expect(msg.body.length).toBe(64 * 1024 - MINIMAL.length);
      expect(msg.truncated).toBe(true);
      expect(msg.anomalies).toHaveLength(1);
    }
    expect(request(enc(big)).anomalies).toEqual([`message of ${big.length} bytes: read the first 65536`]);
    expect(request(big).anomalies).toEqual(['message of over 65536 bytes: read the first 65536']);
    // 3-byte characters: short as text, over the cap once encoded.
    const wide = `${MINIMAL}${'€'.repeat(22 * 1024)}`;
    expect(request(wide).anomalies).toEqual([`message of ${Buffer.byteLength(wide)} bytes: read the first 65536`]);
    const fits = request(`${MINIMAL}${'a'.repeat(60 * 1024)}`);
    expect(fits.anomalies).toEqual([]);
    expect(fits.truncated).toBe(false);
  });

  it('never encodes more than the cap of a huge string', () => {
    const huge = `${MINIMAL}${'a'.repeat(8 * 1024 * 1024)}`;
    const msg = request(huge);
    expect(msg.body.length).toBe(64 * 1024 - MINIMAL.length);
    expect(msg.body.buffer.byteLength).toBeLessThan(1024 * 1024);
  });

  it('honours a smaller message cap from the options', () => {
    const msg = parseSipMessage(MINIMAL, { maxMessageBytes: 40 });
    expect(msg.anomalies).toEqual(['message of over 40 bytes: read the first 40']);
    expect(parseSipMessage(enc(MINIMAL), { maxMessageBytes: 40 }).anomalies).toEqual([
      `message of ${MINIMAL.length} bytes: read the first 40`,
    ]);
    expect(msg.truncated).toBe(true);
  });

  it('reads 128 header fields; past the cap it skips and counts the fields the rules do not read', () => {
    const at = request(crlf('OPTIONS sip:a@b SIP/2.0', ...headerLines(128), '', ''));
    expect(at.headers.size).toBe(128);
    expect(at.anomalies).toEqual([]);
    const over = request(
      crlf(
        'OPTIONS sip:a@b SIP/2.0',
        ...headerLines(130),
        'User-Agent: friendly-scanner',
        'v: SIP/2.0/UDP h',
        'X-Late: 1',
        '',
        '',
      ),
    );
    expect(over.headers.size).toBe(130);
    expect(over.headers.get('user-agent')).toBe('friendly-scanner');
    expect(over.headers.get('via')).toBe('SIP/2.0/UDP h');
    expect(over.headers.has('x-late')).toBe(false);
    expect(over.anomalies).toEqual(['133 header fields past the cap of 128: 3 skipped']);
  });

  it('keeps at most 32 fields the rules read past the field cap', () => {
    const vias = Array.from({ length: 40 }, (_, i) => `Via: SIP/2.0/UDP h${i}`);
    const msg = request(crlf('OPTIONS sip:a@b SIP/2.0', ...headerLines(128), ...vias, '', ''));
    expect(msg.headers.getLines('via')).toHaveLength(32);
    expect(msg.anomalies).toEqual(['168 header fields past the cap of 128: 8 skipped']);
  });

  it('skips a header line over 8 KiB, also when built by folding; a field the rules read is kept clipped', () => {
    const long = request(crlf('OPTIONS sip:a@b SIP/2.0', `X-Long: ${'a'.repeat(8 * 1024)}`, 'To: <sip:a@b>', '', ''));
    expect(long.headers.names()).toEqual(['To']);
    expect(long.anomalies).toEqual([`header line of ${8 + 8 * 1024} bytes skipped (X-Long)`]);

    const folds = Array.from({ length: 5 }, () => ` ${'b'.repeat(2000)}`);
    const folded = request(crlf('OPTIONS sip:a@b SIP/2.0', 'X-Folded: a', ...folds, 'To: <sip:a@b>', '', ''));
    expect(folded.headers.names()).toEqual(['To']);
    expect(folded.anomalies).toEqual([`header line of ${11 + 5 * 2003} bytes skipped (X-Folded)`]);

    const ua = request(crlf('OPTIONS sip:a@b SIP/2.0', `User-Agent: friendly-scanner ${'c'.repeat(20_000)}`, '', ''));
    expect(ua.headers.get('user-agent')).toMatch(/^friendly-scanner c+$/);
    expect(ua.headers.get('user-agent')?.length).toBe(8 * 1024 - 1);
    expect(ua.anomalies).toEqual([`header field User-Agent of ${12 + 17 + 20_000} bytes clipped to 8192`]);

    const two = request(
      crlf('OPTIONS sip:a@b SIP/2.0', `X-A: ${'a'.repeat(9000)}`, `X-B: ${'b'.repeat(9000)}`, '', ''),
    );
    expect(two.anomalies).toEqual(['2 header lines over 8192 bytes skipped (first: X-A, 9005 bytes)']);
  });

  it('still throws GG_SIP_TOO_LARGE for a start line over 8 KiB', () => {
    expect(parseFailure(`OPTIONS sip:${'a'.repeat(8 * 1024)}@b SIP/2.0\r\n\r\n`).code).toBe('GG_SIP_TOO_LARGE');
  });

  it('keeps every anomaly list within 8 texts of at most 200 characters', () => {
    const name = `X-${'n'.repeat(300)}`;
    const msg = request(
      crlf(
        'OPTIONS sip:a@b SIP/2.0',
        ' orphan',
        `${name}: \0`,
        `${name}: ${'a'.repeat(9000)}`,
        `User-Agent: ${'u'.repeat(9000)}`,
        'no colon',
        'Content-Length: 1',
        'Content-Length: 2',
        'Content-Length: x',
        ...headerLines(140),
        '',
        'b',
      ).padEnd(70_000, 'z'),
    );
    expect(msg.anomalies).toHaveLength(8);
    for (const a of msg.anomalies) expect(a.length).toBeLessThanOrEqual(200);
  });
});

describe('SipMessage shape', () => {
  it('is a discriminated union on kind', () => {
    const kinds = [MINIMAL, 'SIP/2.0 486 Busy Here\r\n\r\n'].map((m) => parseSipMessage(m).kind);
    expect(kinds).toEqual(['request', 'response'] satisfies SipMessage['kind'][]);
  });
});
