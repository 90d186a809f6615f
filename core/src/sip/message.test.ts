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

  it('rejects conflicting or non-numeric Content-Length at the field', () => {
    const conflicting = crlf('MESSAGE sip:a@b SIP/2.0', 'Content-Length: 2', 'l: 3', '', 'hey');
    expect(parseFailure(conflicting)).toMatchObject({ code: 'GG_SIP_PARSE', offset: conflicting.indexOf('l: 3') });
    for (const length of ['-1', 'abc', '1e3', '', '0x10']) {
      expect(parseFailure(withLength(length, '')).code).toBe('GG_SIP_PARSE');
    }
  });
});

describe('parseSipMessage rejects malformed messages with the offset where it stopped', () => {
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
    ['a header line without colon', 'OPTIONS sip:a@b SIP/2.0\r\nCall-ID x\r\n\r\n', 25],
    ['a header name with a space', 'OPTIONS sip:a@b SIP/2.0\r\nCall ID: x\r\n\r\n', 25],
    ['an empty header name', 'OPTIONS sip:a@b SIP/2.0\r\n: x\r\n\r\n', 25],
    ['a continuation line before any header', 'OPTIONS sip:a@b SIP/2.0\r\n folded\r\n\r\n', 25],
    ['a NUL byte in a header', 'OPTIONS sip:a@b SIP/2.0\r\nTo: a\0b\r\n\r\n', 30],
    ['a bare CR inside a line', 'OPTIONS sip:a@b SIP/2.0\r\nTo: a\rb\r\n\r\n', 30],
    ['a DEL byte in the start line', 'OPTIONS sip:a@b\x7f SIP/2.0\r\n\r\n', 15],
    ['an escape sequence in the head', 'OPTIONS sip:a@b SIP/2.0\r\nTo: \x1b[31m\r\n\r\n', 29],
  ];
  for (const [what, input, offset] of cases) {
    it(`throws GG_SIP_PARSE for ${what}`, () => {
      expect(parseFailure(input)).toMatchObject({ code: 'GG_SIP_PARSE', offset });
    });
  }

  it('counts the offset in bytes, not characters', () => {
    const bytes = enc('OPTIONS sip:a@b SIP/2.0\r\nFrom: "é"\0\r\n\r\n');
    expect(parseFailure(bytes).offset).toBe(bytes.indexOf(0));
  });

  it('throws on random binary data in the head', () => {
    expect(parseFailure(Uint8Array.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01])).code).toBe('GG_SIP_PARSE');
  });
});

describe('parseSipMessage caps', () => {
  const headerLines = (n: number) => Array.from({ length: n }, (_, i) => `X-H${i}: ${i}`);

  it('throws GG_SIP_TOO_LARGE above 64 KiB, for bytes and for text', () => {
    const big = `${MINIMAL}${'a'.repeat(64 * 1024)}`;
    expect(parseFailure(big).code).toBe('GG_SIP_TOO_LARGE');
    expect(parseFailure(enc(big)).code).toBe('GG_SIP_TOO_LARGE');
    // 3-byte characters: short as text, over the cap once encoded.
    expect(parseFailure(`${MINIMAL}${'€'.repeat(22 * 1024)}`).code).toBe('GG_SIP_TOO_LARGE');
    expect(() => parseSipMessage(`${MINIMAL}${'a'.repeat(60 * 1024)}`)).not.toThrow();
  });

  it('honours a smaller message cap from the options', () => {
    expect(parseFailure(MINIMAL, { maxMessageBytes: 40 }).code).toBe('GG_SIP_TOO_LARGE');
  });

  it('accepts 128 header fields and throws GG_SIP_TOO_LARGE at the 129th', () => {
    expect(request(crlf('OPTIONS sip:a@b SIP/2.0', ...headerLines(128), '', '')).headers.size).toBe(128);
    const over = crlf('OPTIONS sip:a@b SIP/2.0', ...headerLines(129), '', '');
    expect(parseFailure(over)).toMatchObject({ code: 'GG_SIP_TOO_LARGE', offset: over.indexOf('X-H128') });
  });

  it('throws GG_SIP_TOO_LARGE for a header line over 8 KiB, also when built by folding', () => {
    expect(parseFailure(crlf('OPTIONS sip:a@b SIP/2.0', `X-Long: ${'a'.repeat(8 * 1024)}`, '', '')).code).toBe(
      'GG_SIP_TOO_LARGE',
    );
    const folds = Array.from({ length: 5 }, () => ` ${'b'.repeat(2000)}`);
    expect(parseFailure(crlf('OPTIONS sip:a@b SIP/2.0', 'X-Folded: a', ...folds, '', '')).code).toBe(
      'GG_SIP_TOO_LARGE',
    );
    expect(parseFailure(`OPTIONS sip:${'a'.repeat(8 * 1024)}@b SIP/2.0\r\n\r\n`).code).toBe('GG_SIP_TOO_LARGE');
  });
});

describe('SipMessage shape', () => {
  it('is a discriminated union on kind', () => {
    const kinds = [MINIMAL, 'SIP/2.0 486 Busy Here\r\n\r\n'].map((m) => parseSipMessage(m).kind);
    expect(kinds).toEqual(['request', 'response'] satisfies SipMessage['kind'][]);
  });
});
