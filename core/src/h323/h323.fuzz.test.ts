import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { H323AttemptSchema } from '../attempt.js';
import { GhostguardError } from '../errors.js';
import { byteMutation, mutateBytes } from '../test-support/byte-mutations.js';
import { decodeH323UserInformation } from './h225-decode.js';
import { writeProtocolIdentifier } from './h225-encode.js';
import { H225_MAX_ALIASES, H225_MAX_FASTSTART_TEXT, type H225UserInformation } from './h225-types.js';
import { encodeAlerting, encodeCallProceeding, encodeReleaseComplete, encodeSetup } from './messages.js';
import { PerWriter } from './per-writer.js';
import { decodeQ931, Q931_MAX_ANOMALIES, Q931_MAX_LISTED_IES, type Q931Message } from './q931.js';
import { recordedOoh323Messages } from './test-support/ooh323-call.js';
import { ALL_KINDS_SETUP } from './test-support/setup-specs.js';
import { decodeSetupAttempt, type H323AttemptContext } from './to-attempt.js';
import { encodeTpkt, TpktFramer } from './tpkt.js';

/**
 * Bounded fuzzing (a few seconds): random bytes, mutated real and encoded messages, truncated TPKT
 * streams, hostile lengths and extension bitmaps. Every input must decode or fail with a typed error at
 * an offset inside the input; what decodes stays within the output bounds; an attempt always passes the schema.
 * The attempt decoder reads what it can: whatever has a Q.931 SETUP header gives an attempt, and the attempt
 * notes anomalies exactly when the strict decoders could not read the whole SETUP.
 */

const ctx: H323AttemptContext = { source: { ip: '192.0.2.7', port: 1720 }, time: 0, adapter: 'fuzz' };

const payloads: Uint8Array[] = [
  ...recordedOoh323Messages().map((m) => m.payload),
  ...[1, 2, 3].map((seed) => encodeSetup({ shape: 'metasploit-h323-version', seed }).subarray(4)),
  encodeSetup({ shape: 'room' }).subarray(4),
  encodeSetup({ shape: 'ipv6' }).subarray(4),
  encodeSetup({ shape: 'toll-fraud' }).subarray(4),
  encodeSetup(ALL_KINDS_SETUP).subarray(4),
  encodeCallProceeding(5).subarray(4),
  encodeAlerting(5).subarray(4),
  encodeReleaseComplete(5, { reason: 'securityDenied' }).subarray(4),
];
const setups = payloads.filter((p) => p[4] === 0x05);

function expectTypedError(err: unknown, inputLength: number, codes: readonly string[] = ['GG_H323_DECODE']): void {
  if (!(err instanceof GhostguardError)) throw err;
  expect(codes).toContain(err.code);
  expect(Number.isInteger(err.offset)).toBe(true);
  expect(err.offset!).toBeGreaterThanOrEqual(0);
  expect(err.offset!).toBeLessThanOrEqual(inputLength);
}

function expectBounded(u: H225UserInformation): void {
  const lists = [u.setup?.sourceAddress, u.setup?.destinationAddress, u.setup?.destExtraCallInfo, u.respondingAddress];
  for (const l of lists) if (l) expect(l.aliases.length).toBeLessThanOrEqual(H225_MAX_ALIASES);
  for (const fs of [u.setup?.fastStart, u.fastStart])
    if (fs) expect(fs.text.length).toBeLessThanOrEqual(H225_MAX_FASTSTART_TEXT);
}

/** How decodeSetupAttempt() came out: no attempt, an attempt read whole, or one with anomalies noted. */
type Outcome = 'error' | 'whole' | 'partial';

/** Decodes a TPKT payload every way the gate or a capture would; returns what decodeSetupAttempt() made of it. */
function expectWellBehaved(payload: Uint8Array): Outcome {
  // Whether the strict decoders read a whole SETUP: Q.931, an H.225.0 User-User IE, a Setup-UUIE up to its end.
  let strictWhole = false;
  try {
    const q = decodeQ931(payload);
    expect(q.informationElements.length).toBeLessThanOrEqual(Q931_MAX_LISTED_IES);
    expect(q.anomalies).toBeUndefined();
    if (q.userUser) {
      try {
        const u = decodeH323UserInformation(q.userUser.data);
        expectBounded(u);
        strictWhole =
          q.messageType === 0x05 &&
          q.userUser.protocolDiscriminator === 5 &&
          u.body === 'setup' &&
          u.unreadOctets === 0;
      } catch (err) {
        expectTypedError(err, q.userUser.data.length);
      }
    }
  } catch (err) {
    expectTypedError(err, payload.length);
  }
  let lenient: Q931Message | undefined;
  try {
    lenient = decodeQ931(payload, { lenient: true });
    expect(lenient.anomalies?.length ?? 0).toBeLessThanOrEqual(Q931_MAX_ANOMALIES);
  } catch (err) {
    expectTypedError(err, payload.length);
  }
  try {
    const a = decodeSetupAttempt(payload, ctx);
    const checked = H323AttemptSchema.safeParse(a);
    expect(checked.success, checked.error?.message).toBe(true);
    // Anomalies are noted exactly when the strict decoders could not read the whole SETUP.
    expect(a.anomalies === undefined).toBe(strictWhole);
    if (a.anomalies !== undefined) expect(a.anomalies.length).toBeGreaterThan(0);
    return strictWhole ? 'whole' : 'partial';
  } catch (err) {
    expectTypedError(err, payload.length);
    // Only what is not a Q.931 SETUP at all is still an error.
    expect(lenient === undefined || lenient.messageType !== 0x05).toBe(true);
    return 'error';
  }
}

// Values that matter to Q.931 and PER: length octets at their limits, fragmentation, extension bits.
const interesting = fc.constantFrom(
  Uint8Array.of(0xff),
  Uint8Array.of(0x7f),
  Uint8Array.of(0x80),
  Uint8Array.of(0xbf, 0xff),
  Uint8Array.of(0xc4),
  Uint8Array.of(0x7e, 0xff, 0xff),
  Uint8Array.of(0x00),
  Uint8Array.of(0x96),
);

const mutation = byteMutation({ interesting, maxInsertLength: 8, maxDeleteLength: 16, flipWeight: 2 });

describe('H.323 decoders under fuzzing', () => {
  it('decode or throw a typed error for random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        expectWellBehaved(bytes);
        try {
          expectBounded(decodeH323UserInformation(bytes));
        } catch (err) {
          expectTypedError(err, bytes.length);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('decode or throw a typed error for random bytes behind a valid Q.931 SETUP header', () => {
    const header = Uint8Array.of(0x08, 0x02, 0x12, 0x34, 0x05, 0x7e);
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (tail) => {
        const p = new Uint8Array(header.length + 3 + tail.length);
        p.set(header);
        p.set([(tail.length + 1) >> 8, (tail.length + 1) & 0xff, 0x05], header.length);
        p.set(tail, header.length + 3);
        expectWellBehaved(p);
      }),
      { numRuns: 3000 },
    );
  });

  it('decode or throw a typed error for mutated real and encoded messages', () => {
    const seen: Record<Outcome, number> = { error: 0, whole: 0, partial: 0 };
    fc.assert(
      // SETUPs weigh three times: only they can become attempts.
      fc.property(
        fc.constantFrom(...payloads, ...setups, ...setups),
        fc.array(mutation, { minLength: 1, maxLength: 5 }),
        (p, ms) => {
          seen[expectWellBehaved(mutateBytes(p, ms))]++;
        },
      ),
      { numRuns: 4000 },
    );
    // Enough mutants must still decode whole, or the attempt mapping would go unfuzzed; most mutated SETUPs
    // keep their header and come out as partial attempts.
    expect(seen.whole).toBeGreaterThan(250); // about 430 in practice
    expect(seen.partial).toBeGreaterThan(1500); // about 1930 in practice
  });

  it('decode or throw a typed error when only the H.225 PER part of a SETUP is mutated', () => {
    let decoded = 0;
    let partial = 0;
    fc.assert(
      fc.property(fc.constantFrom(...setups), fc.array(mutation, { minLength: 1, maxLength: 4 }), (p, ms) => {
        const uuStart = decodeQ931(p).userUser!.offset;
        // Keep the IE length right so the mutation reaches the PER decoder.
        const m = mutateBytes(
          p,
          ms.filter((x) => x.kind === 'flip' || x.kind === 'set'),
          uuStart,
        );
        const outcome = expectWellBehaved(m);
        // The Q.931 part is intact: always an attempt, never an error.
        expect(outcome).not.toBe('error');
        if (outcome === 'whole') decoded++;
        else partial++;
      }),
      { numRuns: 4000 },
    );
    expect(decoded).toBeGreaterThan(400);
    // About 3430 and 570 in practice: most flips inside the PER part change a value, not the structure.
    expect(partial).toBeGreaterThan(300);
  });

  it('frames TPKT streams cut anywhere, holding at most one frame', () => {
    const frames = payloads.map(encodeTpkt);
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...frames), { minLength: 1, maxLength: 5 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.array(mutation, { maxLength: 2 }),
        fc.integer({ min: 0, max: 2000 }),
        (chosen, cuts, ms, cap) => {
          const whole = mutateBytes(Uint8Array.from(chosen.flatMap((f) => [...f])), ms);
          const framer = new TpktFramer({ maxFrameBytes: cap });
          const points = [...new Set(cuts.map((c) => c % (whole.length + 1)))].sort((a, b) => a - b);
          let from = 0;
          try {
            for (const to of [...points, whole.length]) {
              for (const payload of framer.push(whole.subarray(from, to))) {
                expect(payload.length).toBeLessThanOrEqual(cap);
                expectWellBehaved(payload);
              }
              expect(framer.bufferedBytes).toBeLessThanOrEqual(4 + cap);
              from = to;
            }
          } catch (err) {
            expectTypedError(err, whole.length, ['GG_H323_DECODE', 'GG_H323_TOO_LARGE']);
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});

/** The start of an H323-UserInformation with a Setup-UUIE (protocolIdentifier read, `opt` optional bits). */
function setupPrefix(opt: number, ext = 1): PerWriter {
  const w = new PerWriter();
  w.bit(0).bit(0).bit(1).bit(0).bit(0).bits(0, 3);
  w.bit(ext).bits(opt, 7);
  writeProtocolIdentifier(w, 4);
  return w;
}

/** A Setup-UUIE root without optional parts, its extension bit set: the additions' bitmap comes next. */
function setupRoot(): PerWriter {
  const w = setupPrefix(0);
  w.bit(0).bits(0, 6).bit(0).bit(0); // sourceInfo: EndpointType with nothing optional
  w.bit(0).octets(new Uint8Array(16)); // activeMC, conferenceID
  w.bit(0).bits(0, 2).bit(0).bits(0, 2); // conferenceGoal create, callType pointToPoint
  return w;
}

function timed(run: () => void): number {
  const t0 = performance.now();
  run();
  return performance.now() - t0;
}

describe('H.225 decoder against hostile lengths and extensions', () => {
  it('fails at once on counts and lengths larger than the message', () => {
    const cases: [string, Uint8Array][] = [
      ['16383 source aliases', setupPrefix(0b0100000).length(16_383).bytes()],
      ['16383 destExtraCRV', setupPrefix(0b0000010).bit(0).bits(0, 6).bit(0).bit(0).length(16_383).u16(1).bytes()],
      [
        'OID of 16383 octets',
        new PerWriter().bit(0).bit(0).bit(1).bit(0).bit(0).bits(0, 3).bit(0).bits(0, 7).length(16_383).bytes(),
      ],
      [
        'open type of 16383 octets',
        setupRoot().bit(0).bits(0, 6).bit(1).length(16_383).octets(new Uint8Array(9)).bytes(),
      ],
      ['extension bitmap of 16383 bits', setupRoot().bit(1).length(16_383).octets(new Uint8Array(99)).bytes()],
    ];
    for (const [label, bytes] of cases) {
      let err: unknown;
      const ms = timed(() => {
        try {
          decodeH323UserInformation(bytes);
        } catch (e) {
          err = e;
        }
      });
      expect(err, label).toBeInstanceOf(GhostguardError);
      expect(ms, label).toBeLessThan(20);
    }
  });

  it('walks a 60 KB SETUP of thousands of extension additions and empty aliases in linear time', () => {
    // 8000 source aliases (mobileUIM, each an empty open type), then a bitmap of 16000 additions, all present.
    const w = setupPrefix(0b0100000);
    w.length(8000);
    for (let i = 0; i < 8000; i++) w.bit(1).smallNumber(4).length(1).octet(0);
    w.bit(0).bits(0, 6); // EndpointType: no optional part
    w.bit(0).bit(0);
    w.bit(0).octets(new Uint8Array(16)).bit(0).bits(0, 2).bit(0).bits(0, 2);
    w.bit(1).length(16_000);
    for (let i = 0; i < 16_000; i++) w.bit(1);
    for (let i = 0; i < 16_000; i++) w.length(1).octet(0);
    const bytes = w.bytes();
    expect(bytes.length).toBeLessThan(65_535);
    let result: H225UserInformation | undefined;
    const ms = timed(() => {
      try {
        result = decodeH323UserInformation(bytes);
      } catch (err) {
        expectTypedError(err, bytes.length);
      }
    });
    expect(ms).toBeLessThan(200);
    if (result) {
      expect(result.setup?.sourceAddress?.count).toBe(8000);
      expect(result.setup?.sourceAddress?.aliases.length).toBe(H225_MAX_ALIASES);
    }
  });

  it('gives up on a fastStart that claims more proposals than it carries', () => {
    const w = setupRoot();
    w.bit(0).bits(6, 6).bits(0b0000001, 7);
    w.openType((o) => {
      o.length(16_000);
      o.length(3).octets(Uint8Array.of(1, 2, 3));
    });
    const err = (() => {
      try {
        decodeH323UserInformation(w.bytes());
      } catch (e) {
        return e as GhostguardError;
      }
      throw new Error('expected an error');
    })();
    expect(err.message).toMatch(/setup\.fastStart: needs/);
  });
});
