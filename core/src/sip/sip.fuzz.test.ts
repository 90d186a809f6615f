import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SipAttemptSchema } from '../attempt.js';
import { GhostguardError } from '../errors.js';
import { byteMutation, mutateBytes } from '../test-support/byte-mutations.js';
import { concatBytes } from '../test-support/typed-error.js';
import { parseContentType } from './content-type.js';
import { parseCredentials } from './credentials.js';
import { parseCSeq } from './cseq.js';
import { splitHeaderList } from './headers.js';
import { parseMaxForwards } from './max-forwards.js';
import {
  parseSipMessage,
  SIP_MAX_ANOMALIES,
  SIP_MAX_HEADER_LINE_BYTES,
  SIP_MAX_MESSAGE_BYTES,
  type SipMessage,
} from './message.js';
import { parseNameAddr } from './name-addr.js';
import { sdpSessionName } from './sdp.js';
import { type SipAttemptContext, sipRequestToAttempt } from './to-attempt.js';
import { parseSipUri } from './uri.js';
import { parseVia } from './via.js';

const fixturesDir = new URL('./__fixtures__/', import.meta.url);
const recorded = readdirSync(fixturesDir)
  .filter((name) => name.endsWith('.sip'))
  .map((name) => new Uint8Array(readFileSync(new URL(name, fixturesDir))));
const ctx: SipAttemptContext = { source: { ip: '192.0.2.7', port: 5060 }, time: 0, adapter: 'fuzz' };

/** Returns or throws GhostguardError with a parse code and an in-range offset; requests map to valid attempts. */
function expectWellBehaved(input: Uint8Array | string): SipMessage | undefined {
  let msg: SipMessage;
  try {
    msg = parseSipMessage(input);
  } catch (err) {
    expect(err).toBeInstanceOf(GhostguardError);
    const { code, offset } = err as GhostguardError;
    expect(['GG_SIP_PARSE', 'GG_SIP_TOO_LARGE']).toContain(code);
    expect(Number.isInteger(offset) && (offset ?? -1) >= 0 && (offset ?? 0) <= SIP_MAX_MESSAGE_BYTES * 3).toBe(true);
    return undefined;
  }
  expect(msg.body.length).toBeLessThanOrEqual(Math.min(input.length * 3, SIP_MAX_MESSAGE_BYTES));
  // What was skipped is noted within the schema's limits, however much was skipped.
  expect(msg.anomalies.length).toBeLessThanOrEqual(SIP_MAX_ANOMALIES);
  for (const a of msg.anomalies) expect(a.length > 0 && a.length <= 200).toBe(true);
  if (msg.kind === 'request') {
    const result = SipAttemptSchema.safeParse(sipRequestToAttempt(msg, ctx));
    expect(result.success, result.error?.message).toBe(true);
  }
  return msg;
}

// Bytes that matter to the grammar, so mutations hit the interesting branches more often than chance.
const interesting = fc.constantFrom(
  ...['\r\n', '\n', '\r', ':', ';', ',', '"', '\\', '<', '>', '@', '[', ']', ' ', '\t', '\0', '=', '%', '?', '/'].map(
    (s) => new TextEncoder().encode(s),
  ),
  new TextEncoder().encode('\r\nContent-Length: 99999999999999999999\r\n'),
  new TextEncoder().encode('\r\n l: 5'),
  Uint8Array.of(0xc3),
  Uint8Array.of(0xff, 0xfe),
);

const mutation = byteMutation({ interesting });

describe('parseSipMessage under fuzzing', () => {
  it('returns or throws GhostguardError for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        expectWellBehaved(bytes);
      }),
      { numRuns: 2000 },
    );
  });

  it('returns or throws GhostguardError for random text after a valid or empty start line', () => {
    const startLine = fc.constantFrom('', 'INVITE sip:100@192.0.2.1 SIP/2.0\r\n', 'SIP/2.0 200 OK\r\n');
    // UTF-16 code units, lone surrogates included (fc.string's 'binary' unit is ~20x slower to generate).
    const ascii = fc.integer({ min: 0, max: 0x7f });
    const text = fc
      .array(fc.oneof(ascii, ascii, fc.integer({ min: 0, max: 0xffff })), { maxLength: 300 })
      .map((codes) => String.fromCharCode(...codes));
    let parsed = 0;
    fc.assert(
      fc.property(startLine, text, (start, rest) => {
        if (expectWellBehaved(start + rest) !== undefined) parsed++;
      }),
      { numRuns: 2000 },
    );
    expect(parsed).toBeGreaterThan(50);
  });

  it('returns or throws GhostguardError for truncated, flipped and spliced real messages', () => {
    let parsed = 0;
    fc.assert(
      fc.property(
        fc.constantFrom(...recorded),
        fc.array(mutation, { minLength: 1, maxLength: 6 }),
        (message, mutations) => {
          if (expectWellBehaved(mutateBytes(message, mutations)) !== undefined) parsed++;
        },
      ),
      { numRuns: 2000 },
    );
    // The mutations must leave many messages parseable, or the attempt mapping would go untested.
    expect(parsed).toBeGreaterThan(200);
  });

  it('maps every request built from arbitrary field values to a valid attempt', () => {
    // Short arbitrary text, or text long enough that the mapping must cut it, astral chars at the
    // cut included. Built from a repeat count so a failure shrinks in a few steps, not thousands.
    const short = fc.string({ unit: 'grapheme', maxLength: 40 });
    const long = fc
      .tuple(short, fc.constantFrom('a', 'é', '😀', ' ;', '",', '<>'), fc.integer({ min: 500, max: 1300 }), short)
      .map(([head, unit, count, tail]) => head + unit.repeat(count) + tail);
    const field = fc.oneof(short, long).map((s) => s.replace(/[\r\n]/g, ' '));
    const token = fc.stringMatching(/^[A-Za-z0-9.!%*_+`'~-]{1,60}$/);
    let parsed = 0;
    fc.assert(
      fc.property(token, field, field, field, field, field, field, (method, user, display, ua, tag, via, auth) => {
        const text = [
          `${method} sip:${user.replace(/[\s]/g, '')}@example.com SIP/2.0`,
          `Via: SIP/2.0/UDP ${via}`,
          `From: "${display.replace(/["\\]/g, '')}" <sip:${user}@h>;tag=${tag}`,
          `To: ${display} <sip:${user}@h>`,
          `User-Agent: ${ua}`,
          `Authorization: Digest username="${auth}"`,
          `CSeq: ${tag.length} ${method}`,
          '',
          '',
        ].join('\r\n');
        if (expectWellBehaved(text) !== undefined) parsed++;
      }),
      { numRuns: 2000 },
    );
    expect(parsed).toBeGreaterThan(500);
  });
});

describe('parseSipMessage after a valid start line (issue 13: only the start line can make it throw)', () => {
  const startLine = fc.constantFrom(
    'INVITE sip:100@192.0.2.1 SIP/2.0\r\n',
    'OPTIONS sip:100@192.0.2.1 SIP/2.0\n',
    'SIP/2.0 200 OK\r\n',
  );
  const enc = (s: string) => new TextEncoder().encode(s);

  it('reads any bytes after it, noting what it skipped, within the caps', () => {
    // Header-ish lines, junk and control bytes; some inputs run past the message cap.
    const piece = fc.oneof(
      fc.uint8Array({ maxLength: 200 }),
      interesting,
      fc.constantFrom(...['X-Pad: 1\r\n', 'User-Agent: x\r\n', ' folded\r\n', 'no colon\r\n', '\r\n\r\n'].map(enc)),
      fc.integer({ min: 1, max: 12 }).map((k) => enc(`X-Long: ${'a'.repeat(k * 1000)}\r\n`)),
      fc.integer({ min: 1, max: 40 }).map((k) => enc('X-Many: 1\r\n'.repeat(k * 10))),
    );
    let noted = 0;
    fc.assert(
      fc.property(startLine, fc.array(piece, { maxLength: 40 }), (start, pieces) => {
        const bytes = concatBytes(enc(start), ...pieces);
        const msg = expectWellBehaved(bytes);
        expect(msg).toBeDefined();
        if (msg === undefined) return;
        if (msg.anomalies.length > 0) noted++;
        for (const [, value] of msg.headers) expect(value.length).toBeLessThanOrEqual(SIP_MAX_HEADER_LINE_BYTES);
        if (bytes.length > SIP_MAX_MESSAGE_BYTES)
          expect(msg.anomalies[0]).toMatch(/^message of \d+ bytes: read the first/);
      }),
      { numRuns: 500 },
    );
    expect(noted).toBeGreaterThan(100);
  });
});

describe('field parsers under fuzzing', () => {
  it('never throw on arbitrary text', () => {
    const parsers: ((s: string) => unknown)[] = [
      parseSipUri,
      parseNameAddr,
      parseVia,
      parseCSeq,
      parseMaxForwards,
      parseCredentials,
      parseContentType,
      splitHeaderList,
      (s) => sdpSessionName(new TextEncoder().encode(s), 'application/sdp'),
      (s) => sdpSessionName(new TextEncoder().encode(s), 'multipart/mixed;boundary=b'),
    ];
    const grammarish = fc
      .array(
        fc.constantFrom('sip:', 'tel:', '"', '\\', '<', '>', '@', ':', ';', '=', ',', '[', ']', ' ', '%', 'a', '1'),
        {
          maxLength: 40,
        },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), grammarish), (text) => {
        for (const parse of parsers) parse(text);
      }),
      { numRuns: 2000 },
    );
  });
});
