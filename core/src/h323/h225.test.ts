import { describe, expect, it } from 'vitest';
import type { GhostguardError } from '../errors.js';
import { typedError } from '../test-support/typed-error.js';
import { decodeH323UserInformation } from './h225-decode.js';
import { writeCallIdentifier, writeEndpointType, writeProtocolIdentifier } from './h225-encode.js';
import type { H225UserInformation } from './h225-types.js';
import {
  encodeAlerting,
  encodeCallProceeding,
  encodeReleaseComplete,
  encodeSetup,
  type H323SetupSpec,
} from './messages.js';
import { PER_MAX_DEPTH, PerReader } from './per-reader.js';
import { PerWriter } from './per-writer.js';
import { decodeQ931 } from './q931.js';
import { recordedOoh323Messages, recordedSetup } from './test-support/ooh323-call.js';
import { ALL_KINDS_SETUP } from './test-support/setup-specs.js';

/** The H323-UserInformation bytes of a Q.931 message (TPKT payload). */
function uuOf(payload: Uint8Array): Uint8Array {
  const uu = decodeQ931(payload).userUser;
  if (!uu) throw new Error('no User-User IE');
  return uu.data;
}

const decodeFrame = (frame: Uint8Array): H225UserInformation => decodeH323UserInformation(uuOf(frame.subarray(4)));

const decodeError = (input: Uint8Array): GhostguardError => typedError(() => decodeH323UserInformation(input));

describe('decodeH323UserInformation: the recorded chan_ooh323 call', () => {
  it('decodes the SETUP field by field (as in ooh323-setup.tshark-V.txt)', () => {
    const u = decodeH323UserInformation(uuOf(recordedSetup()));
    expect(u).toMatchObject({ body: 'setup', h245Tunnelling: true, hasUserData: false, protocolVersion: 4 });
    expect(u.setup).toEqual({
      protocolIdentifier: '0.0.8.2250.0.4',
      protocolVersion: 4,
      sourceAddress: {
        count: 2,
        aliases: [
          { type: 'h323-ID', value: 'RealpeersCallerB' },
          { type: 'dialedDigits', value: '2000' },
        ],
      },
      sourceInfo: {
        vendor: {
          t35CountryCode: 184,
          t35Extension: 0,
          manufacturerCode: 39,
          productId: 'ooh323',
          versionId: 'v0.8.3m',
        },
        nonStandardData: false,
        gatekeeper: false,
        gateway: false,
        mcu: false,
        terminal: true,
        mc: false,
        undefinedNode: false,
      },
      destinationAddress: { count: 1, aliases: [{ type: 'dialedDigits', value: '5551234' }] },
      destCallSignalAddress: { kind: 'ipAddress', ip: '127.0.0.1', port: 1720, at: expect.any(Number) },
      activeMC: false,
      conferenceId: '6b6c6d6e6f707172737475767778797a',
      conferenceGoal: 'create',
      callType: 'pointToPoint',
      sourceCallSignalAddress: { kind: 'ipAddress', ip: '127.0.0.2', port: 12031, at: expect.any(Number) },
      callIdentifier: '6f6f68333233632df438a917c83f003c',
      fastStart: { count: 4, octets: 29 + 18 + 29 + 18, text: [] },
      mediaWaitForConnect: false,
      canOverlapSend: false,
      multipleCalls: false,
      maintainConnection: false,
      // presentationIndicator (14) and screeningIndicator (15) are skipped by their length.
      extensions: [0, 2, 6, 7, 8, 10, 11, 14, 15],
    });
  });

  it('names the body of every other message and reads its callIdentifier and tunnelling flag', () => {
    const decoded = recordedOoh323Messages()
      .slice(1)
      .map((m) => decodeH323UserInformation(uuOf(m.payload)));
    expect(decoded.map((u) => u.body)).toEqual([
      'callProceeding',
      'alerting',
      'facility',
      'connect',
      'facility',
      'facility',
      'facility',
      'facility',
      'facility',
      'facility',
      'facility',
      'releaseComplete',
    ]);
    for (const u of decoded) {
      expect(u.callIdentifier).toBe('6f6f68333233632df438a917c83f003c');
      expect(u.protocolVersion).toBe(4);
    }
    expect(decoded[0]!.destinationInfo?.vendor?.productId).toBe('ooh323');
    expect(decoded.slice(0, -1).every((u) => u.h245Tunnelling === true)).toBe(true);
    expect(decoded.at(-1)).toMatchObject({ releaseReason: 'undefinedReason' });
    expect(decoded.at(-1)!.h245Tunnelling).toBeUndefined();
  });
});

describe('encode → decode', () => {
  it('reads back every alias kind, transport family and Setup-UUIE field', () => {
    const u = decodeFrame(encodeSetup(ALL_KINDS_SETUP));
    expect(u.setup).toMatchObject({
      protocolVersion: 4,
      h245Address: { kind: 'ipAddress', ip: '198.51.100.30', port: 11_721 },
      sourceAddress: {
        count: 4,
        aliases: [
          { type: 'h323-ID', value: 'caller-room' },
          { type: 'dialedDigits', value: '7001' },
          { type: 'email-ID', value: 'room@partner.example.net' },
          { type: 'partyNumber', value: '4930123456' },
        ],
      },
      destinationAddress: {
        aliases: [
          { type: 'url-ID', value: 'h323:room-boardroom@video.example.com' },
          { type: 'transportID', value: '203.0.113.10:1720' },
          { type: 'dialedDigits', value: '4001#' },
        ],
      },
      sourceInfo: {
        gateway: true,
        terminal: false,
        vendor: { t35CountryCode: 181, manufacturerCode: 18, productId: 'Cisco Codec', versionId: 'ce11.5' },
      },
      sourceCallSignalAddress: { kind: 'ip6Address', ip: '2001:db8::30', port: 1720 },
      activeMC: true,
      conferenceGoal: 'join',
      callType: 'oneToN',
      fastStart: { count: 0, octets: 0, text: [] },
      mediaWaitForConnect: true,
      canOverlapSend: true,
      multipleCalls: true,
      maintainConnection: true,
    });
    expect(u.h245Tunnelling).toBe(false);
  });

  it('writes the replies the gate sends, flagged as from the called side, with the SETUP version and callIdentifier', () => {
    const callId = '6f6f68333233632df438a917c83f003c';
    const proceeding = encodeCallProceeding(0x2b, { protocolVersion: 6, callIdentifier: callId, h245Tunnelling: true });
    expect(decodeQ931(proceeding.subarray(4))).toMatchObject({
      messageName: 'CallProceeding',
      callReference: 0x2b,
      callReferenceFlag: true,
    });
    expect(decodeFrame(proceeding)).toMatchObject({
      body: 'callProceeding',
      protocolVersion: 6,
      callIdentifier: callId,
      h245Tunnelling: true,
      destinationInfo: { terminal: true },
    });
    const alerting = encodeAlerting(0x7fff, {
      endpointType: 'mcu',
      vendor: { t35CountryCode: 9, manufacturerCode: 61 },
    });
    expect(decodeQ931(alerting.subarray(4))).toMatchObject({ messageName: 'Alerting', callReference: 0x7fff });
    expect(decodeFrame(alerting)).toMatchObject({
      body: 'alerting',
      protocolVersion: 4,
      callIdentifier: '0'.repeat(32),
      destinationInfo: { mcu: true, mc: true, vendor: { manufacturerCode: 61 } },
    });
  });

  it('writes ReleaseComplete with a Q.931 cause and an H.225 reason (callRejected → destinationRejection)', () => {
    const byDefault = encodeReleaseComplete(5);
    expect(decodeQ931(byDefault.subarray(4))).toMatchObject({
      messageName: 'ReleaseComplete',
      callReferenceFlag: true,
      cause: { location: 0, value: 21 },
    });
    expect(decodeFrame(byDefault).releaseReason).toBe('destinationRejection');
    expect(decodeFrame(encodeReleaseComplete(5, { reason: 'callRejected', cause: 21 })).releaseReason).toBe(
      'destinationRejection',
    );
    expect(decodeFrame(encodeReleaseComplete(5, { reason: 'undefinedReason' })).releaseReason).toBe('undefinedReason');
    const ext = encodeReleaseComplete(5, { reason: 'securityDenied', cause: 17 });
    expect(decodeFrame(ext).releaseReason).toBe('securityDenied');
    expect(decodeQ931(ext.subarray(4)).cause?.value).toBe(17);
  });

  it('refuses reason names it cannot write and causes outside 1..127', () => {
    for (const reason of ['rejected', 'nonStandardReason', 'securityError']) {
      expect(() => encodeReleaseComplete(1, { reason }), reason).toThrow(
        expect.objectContaining({ code: 'GG_CONFIG_INVALID' }),
      );
    }
    expect(() => encodeReleaseComplete(1, { cause: 0 })).toThrow(
      expect.objectContaining({ code: 'GG_CONFIG_INVALID' }),
    );
    expect(() => encodeCallProceeding(0x8000)).toThrow(expect.objectContaining({ code: 'GG_INPUT_FORMAT' }));
  });

  it('refuses SETUP specs that cannot be encoded', () => {
    const bad: H323SetupSpec[] = [
      { callReference: 1, destinationAliases: [{ type: 'dialedDigits', value: '12a' }] },
      { callReference: 1, destinationAliases: [{ type: 'h323-ID', value: '' }] },
      { callReference: 1, destCallSignalAddress: { ip: 'example.com', port: 1720 } },
      { callReference: 1, callIdentifier: 'abc' },
    ];
    for (const spec of bad)
      expect(() => encodeSetup(spec)).toThrow(expect.objectContaining({ code: 'GG_INPUT_FORMAT' }));
  });
});

/** A Setup-UUIE written by hand: additions and alternatives this decoder does not know, to be skipped by length. */
function setupWithUnknownExtensions(): Uint8Array {
  const w = new PerWriter();
  w.bit(0).bit(0); // H323-UserInformation
  w.bit(1).bit(0); // H323-UU-PDU
  w.bit(0).bits(0, 3); // setup
  w.bit(1).bits(0b0100000, 7); // extensions follow; sourceAddress only
  writeProtocolIdentifier(w, 7);
  w.length(2);
  w.bit(1)
    .smallNumber(4)
    .openType((o) => o.octets(Uint8Array.of(1, 2, 3))); // mobileUIM: unknown here
  w.bit(1)
    .smallNumber(9)
    .openType((o) => o.octets(Uint8Array.of(4))); // an alternative after v7
  writeEndpointType(w, 'terminal', undefined);
  w.bit(0).octets(new Uint8Array(16));
  w.bit(1)
    .smallNumber(0)
    .openType(() => {}); // conferenceGoal: capability-negotiation
  w.bit(0).bits(0, 2);
  // 30 additions: callIdentifier (2), desiredProtocols (20), displayName (27), and two from a future version.
  w.bit(0).bits(29, 6);
  for (let i = 0; i < 30; i++) w.bit(i === 2 || i === 20 || i === 27 || i === 28 || i === 29);
  w.openType((o) => writeCallIdentifier(o, new Uint8Array(16).fill(0xab)));
  for (let i = 0; i < 4; i++) w.openType((o) => o.octets(new Uint8Array(40).fill(0xff)));
  // H323-UU-PDU additions: an unknown one, then h245Tunnelling.
  w.bit(0).bits(2, 6).bit(1).bit(1).bit(0);
  w.openType((o) => o.octets(Uint8Array.of(9, 9)));
  w.openType((o) => o.bit(1));
  return w.bytes();
}

describe('decodeH323UserInformation: extensions', () => {
  it('skips unknown extension additions and alternatives by their length, never guessing', () => {
    const u = decodeH323UserInformation(setupWithUnknownExtensions());
    expect(u.setup).toMatchObject({
      protocolVersion: 7,
      sourceAddress: {
        count: 2,
        aliases: [
          { type: 'other', value: '' },
          { type: 'other', value: '' },
        ],
      },
      conferenceGoal: 'capability-negotiation',
      callIdentifier: 'ab'.repeat(16),
      extensions: [2, 20, 27, 28, 29],
    });
    expect(u.h245Tunnelling).toBe(true);
  });

  it('names an extension body it does not know and still reads h245Tunnelling after it', () => {
    const w = new PerWriter();
    w.bit(0).bit(0).bit(1).bit(0);
    w.bit(1)
      .smallNumber(20)
      .openType((o) => o.octets(Uint8Array.of(1, 2, 3, 4)));
    w.bit(0).bits(1, 6).bit(0).bit(1);
    w.openType((o) => o.bit(1));
    expect(decodeH323UserInformation(w.bytes())).toMatchObject({ body: 'unknown', h245Tunnelling: true });
  });
});

describe('decodeH323UserInformation: errors', () => {
  const setup = uuOf(recordedSetup());

  it('says in which field and at which offset a truncated SETUP stopped', () => {
    // 55 is where productId "ooh323" starts (after its length octet at 54).
    const err = decodeError(setup.subarray(0, 57));
    expect(err.code).toBe('GG_H323_DECODE');
    expect(err.message).toContain(
      'H323-UserInformation.h323-uu-pdu.h323-message-body.setup.sourceInfo.vendor.productId',
    );
    expect(err.offset).toBe(55);
  });

  it('fails every truncation of the recorded SETUP with a typed error inside the input', () => {
    for (let n = 0; n < setup.length - 1; n++) {
      const err = decodeError(setup.subarray(0, n));
      expect(err.message.startsWith('H.225 '), `cut at ${n}`).toBe(true);
      expect(err.offset ?? -1, `cut at ${n}`).toBeLessThanOrEqual(n);
    }
  });

  it('gives offsets in the buffer it was handed', () => {
    const err = decodeError(setup.subarray(0, 57));
    const shifted = new Uint8Array(100 + 57);
    shifted.set(setup.subarray(0, 57), 100);
    expect(decodeError(shifted.subarray(100)).offset).toBe(err.offset);
  });

  it('refuses a huge element count without walking or allocating for it', () => {
    // setup with sourceAddress claiming 16383 aliases, then nothing.
    const w = new PerWriter();
    w.bit(0).bit(0).bit(1).bit(0).bit(0).bits(0, 3);
    w.bit(1).bits(0b0100000, 7);
    writeProtocolIdentifier(w, 4);
    w.length(16_383);
    const err = decodeError(w.bytes());
    expect(err.message).toMatch(/setup\.sourceAddress: needs \d+ more bits?, 0 left/);
  });

  it('refuses fragmented lengths, oversized OID arcs and digits outside the alphabet', () => {
    const frag = new PerWriter().bit(0).bit(0).bit(1).bit(0).bit(0).bits(0, 3).bit(0).bits(0, 7).octet(0xc4).bytes();
    expect(decodeError(frag).message).toMatch(/protocolIdentifier: fragmented length/);
    const w = new PerWriter().bit(0).bit(0).bit(1).bit(0).bit(0).bits(0, 3).bit(0).bits(0, 7);
    w.length(7).octets(Uint8Array.of(0x00, 0x8f, 0xff, 0xff, 0xff, 0xff, 0x7f));
    expect(decodeError(w.bytes()).message).toMatch(/arc too large/);
    const digits = new PerWriter().bit(0).bit(0).bit(1).bit(0).bit(0).bits(0, 3).bit(1).bits(0b0100000, 7);
    writeProtocolIdentifier(digits, 4);
    digits.length(1).bit(0).bit(0).constrained(0, 128).align().bits(14, 4);
    expect(decodeError(digits.bytes()).message).toMatch(/sourceAddress\.dialledDigits: character outside/);
  });

  it('bounds the nesting depth of decoded fields', () => {
    const r = new PerReader(new Uint8Array(8));
    for (let i = 0; i < PER_MAX_DEPTH; i++) r.enter(`f${i}`);
    expect(() => r.enter('one-too-many')).toThrow(/nesting deeper than 32/);
  });
});
