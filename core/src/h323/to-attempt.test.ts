import { describe, expect, it } from 'vitest';
import { type H323Attempt, H323AttemptSchema } from '../attempt.js';
import { GhostguardError } from '../errors.js';
import { typedError } from '../test-support/typed-error.js';
import { decodeH323UserInformation, decodeUserInformationAt } from './h225-decode.js';
import { encodeAlerting, encodeSetup, type H323SetupSpec } from './messages.js';
import { decodeQ931 } from './q931.js';
import { type H323SetupShapeName, setupShapeSpec } from './setup-shapes.js';
import { recordedSetup } from './test-support/ooh323-call.js';
import { ALL_KINDS_SETUP } from './test-support/setup-specs.js';
import { decodeSetupAttempt, type H323AttemptContext, setupToAttempt } from './to-attempt.js';

const ctx: H323AttemptContext = {
  source: { ip: '127.0.0.2', port: 12031 },
  local: { ip: '127.0.0.1', port: 1720 },
  time: 1_795_292_748_165,
  adapter: 'h323-gate',
};

function attemptOf(spec: H323SetupSpec) {
  const a = decodeSetupAttempt(encodeSetup(spec).subarray(4), ctx);
  const checked = H323AttemptSchema.safeParse(a);
  expect(checked.success, checked.error?.message).toBe(true);
  return a;
}

describe('decodeSetupAttempt', () => {
  it('maps the recorded chan_ooh323 SETUP to a CallAttempt', () => {
    const a = decodeSetupAttempt(recordedSetup(), ctx);
    expect(a).toEqual({
      protocol: 'h323',
      method: 'SETUP',
      source: { ip: '127.0.0.2', port: 12031, transport: 'tcp' },
      local: { ip: '127.0.0.1', port: 1720 },
      target: { user: '5551234', host: '127.0.0.1' },
      caller: { user: 'RealpeersCallerB', display: 'caller-b' },
      userAgent: 'ooh323 v0.8.3m',
      callId: '6f6f68333233632df438a917c83f003c',
      time: ctx.time,
      adapter: 'h323-gate',
      h323: {
        callReference: 0x2b,
        sourceAliases: [
          { type: 'h323-ID', value: 'RealpeersCallerB' },
          { type: 'dialedDigits', value: '2000' },
        ],
        destinationAliases: [{ type: 'dialedDigits', value: '5551234' }],
        vendor: {
          t35CountryCode: 184,
          t35Extension: 0,
          manufacturerCode: 39,
          productId: 'ooh323',
          versionId: 'v0.8.3m',
        },
        fastStartCount: 4,
        display: 'caller-b',
        calledNumber: '5551234',
        destCallSignalAddress: '127.0.0.1:1720',
        sourceCallSignalAddress: '127.0.0.2:12031',
        h245Tunnelling: true,
        protocolVersion: 4,
        bearerCapability: '8090a3',
        conferenceGoal: 'create',
        callType: 'pointToPoint',
      },
    });
    expect(H323AttemptSchema.safeParse(a).success).toBe(true);
  });

  it('takes the target from the first named destination alias when there is no Called Party Number', () => {
    const viaUrl = attemptOf({
      callReference: 1,
      destinationAliases: [
        { type: 'transportID', address: { ip: '203.0.113.10', port: 1720 } },
        { type: 'url-ID', value: 'h323:room-boardroom@video.example.com;transport=tcp' },
      ],
      destCallSignalAddress: { ip: '203.0.113.10', port: 1720 },
    });
    expect(viaUrl.target).toEqual({ user: 'room-boardroom', host: 'video.example.com' });
    expect(
      attemptOf({ callReference: 1, destinationAliases: [{ type: 'email-ID', value: 'boardroom@example.com' }] })
        .target,
    ).toEqual({
      user: 'boardroom',
      host: 'example.com',
    });
    expect(
      attemptOf({ callReference: 1, destinationAliases: [{ type: 'partyNumber', value: '4930123456' }] }).target,
    ).toEqual({
      user: '4930123456',
    });
    expect(
      attemptOf({ callReference: 1, destinationAliases: [{ type: 'h323-ID', value: 'Boardroom' }] }).target,
    ).toEqual({
      user: 'Boardroom',
    });
  });

  it('prefers the Called and Calling Party Numbers; the Display IE, else the first h323-ID, is the display', () => {
    const a = attemptOf({
      callReference: 1,
      calledNumber: '900441224000000',
      callingNumber: '4930123456',
      sourceAliases: [
        { type: 'dialedDigits', value: '7001' },
        { type: 'h323-ID', value: 'Partner Room' },
      ],
      destinationAliases: [{ type: 'dialedDigits', value: '4001' }],
    });
    expect(a.target.user).toBe('900441224000000');
    expect(a.caller).toEqual({ user: '4930123456', display: 'Partner Room' });
    expect(a.h323).toMatchObject({ calledNumber: '900441224000000', callingNumber: '4930123456' });
  });

  it('leaves the target user unset when the SETUP names only an IP address', () => {
    const a = attemptOf({
      callReference: 1,
      destinationAliases: [{ type: 'transportID', address: { ip: '2001:db8::10', port: 1720 } }],
      destCallSignalAddress: { ip: '2001:db8::10', port: 1720 },
    });
    expect(a.target).toEqual({ host: '2001:db8::10' });
    expect(a.h323.destinationAliases).toEqual([{ type: 'transportID', value: '[2001:db8::10]:1720' }]);
    expect(a.h323.destCallSignalAddress).toBe('[2001:db8::10]:1720');
  });

  it("reads Metasploit's vendor as it is sent: an empty productId and a 32-letter versionId", () => {
    const a = decodeSetupAttempt(encodeSetup({ shape: 'metasploit-h323-version', seed: 7 }).subarray(4), ctx);
    expect(a.h323.vendor?.productId).toBe('');
    expect(a.h323.vendor?.versionId).toMatch(/^[A-Za-z]{32}$/);
    expect(a.userAgent).toBe(a.h323.vendor?.versionId);
    expect(a.h323).toMatchObject({ callReference: 0x733f, display: 'SYSTEM', bearerCapability: '000388' });
    expect(a.h323.fastStartText).toEqual(['speex sr=16000;mode=6;vbr=off;cng=off', 'Speex bs4 Wide6']);
  });

  it('keeps the longest values the ASN.1 allows within the schema', () => {
    const a = attemptOf({
      callReference: 0x7fff,
      display: 'D'.repeat(255),
      sourceAliases: [{ type: 'h323-ID', value: '\u00e9'.repeat(256) }],
      destinationAliases: [{ type: 'url-ID', value: `h323:${'u'.repeat(500)}@h` }],
      vendor: {
        t35CountryCode: 255,
        t35Extension: 255,
        manufacturerCode: 65_535,
        productId: 'P'.repeat(256),
        versionId: 'V'.repeat(256),
      },
    });
    expect(a.userAgent?.length).toBe(513);
    expect(a.h323.display?.length).toBe(255);
  });

  it('builds an attempt from the Q.931 IEs of a SETUP without an H.225 User-User IE', () => {
    const payload = Uint8Array.from(Buffer.from('08020001052804526f6f6d70058134303031', 'hex'));
    const a = decodeSetupAttempt(payload, ctx);
    expect(a.anomalies).toEqual(['SETUP without an H.225.0 User-User IE']);
    expect(a.target).toEqual({ user: '4001' });
    expect(a.caller).toEqual({ display: 'Room' });
    expect(a.h323).toMatchObject({ callReference: 1, sourceAliases: [], destinationAliases: [], fastStartCount: 0 });
    expect(H323AttemptSchema.safeParse(a).success).toBe(true);
  });

  it('refuses anything but a SETUP, and a SETUP carrying another UUIE', () => {
    const alerting = encodeAlerting(5).subarray(4);
    const err = typedError(() => decodeSetupAttempt(alerting, ctx));
    expect(err.code).toBe('GG_H323_DECODE');
    expect(err.offset).toBe(4);
    expect(err.message).toMatch(/0x01 \(Alerting\) is not a SETUP/);
    const setupQ931 = decodeQ931(recordedSetup());
    const otherUuie = decodeH323UserInformation(decodeQ931(alerting).userUser!.data);
    expect(typedError(() => setupToAttempt(setupQ931, otherUuie, ctx)).message).toMatch(
      /carries an H\.225 alerting UUIE/,
    );
  });

  it('reads the Q.931 part of a SETUP whose UUIE does not decode, naming where the UUIE stopped', () => {
    const payload = recordedSetup();
    const uuStart = decodeQ931(payload).userUser!.offset;
    const cut = payload.slice(0, uuStart + 57);
    // The User-User IE length now overruns: clipped, noted, and the UUIE read as far as it goes.
    const clipped = decodeSetupAttempt(cut, ctx);
    expect(clipped.anomalies).toEqual([
      expect.stringMatching(/^Q\.931 IE 0x7e at byte \d+ says \d+ bytes, 58 left: clipped$/),
      expect.stringMatching(/^UUIE did not decode: H\.225 .*productId: needs/),
    ]);
    // With the IE length fixed up, only the UUIE is noted, with the bit where it stopped (in the payload).
    cut[uuStart - 3] = 0;
    cut[uuStart - 2] = 58;
    const a = decodeSetupAttempt(cut, ctx);
    expect(a.anomalies).toHaveLength(1);
    const bit = Number(/at bit (\d+)\)$/.exec(a.anomalies![0]!)?.[1]);
    expect(bit >>> 3).toBe(uuStart + 55);
    // What the Q.931 part says is all there: call reference, Display, Bearer Capability, Called Party Number.
    expect(a).toMatchObject({
      target: { user: '5551234', host: undefined },
      caller: { display: 'caller-b' },
      userAgent: undefined,
      callId: undefined,
      h323: {
        callReference: 0x2b,
        display: 'caller-b',
        calledNumber: '5551234',
        bearerCapability: '8090a3',
        sourceAliases: [],
        destinationAliases: [],
        fastStartCount: 0,
        vendor: undefined,
        protocolVersion: undefined,
      },
    });
    expect(H323AttemptSchema.safeParse(a).success).toBe(true);
  });

  it('notes a SETUP without a User-User IE, with another protocol in it, or with another UUIE', () => {
    const noUu = Uint8Array.from(Buffer.from('08020001052804526f6f6d', 'hex'));
    expect(decodeSetupAttempt(noUu, ctx).anomalies).toEqual(['SETUP without an H.225.0 User-User IE']);
    const otherProtocol = Uint8Array.from(Buffer.from('080200010528024142' + '7e000304aabb', 'hex'));
    const other = decodeSetupAttempt(otherProtocol, ctx);
    expect(other.anomalies).toEqual([expect.stringMatching(/protocol discriminator 4 is not H\.225\.0's/)]);
    expect(other.caller.display).toBe('AB');
    // A SETUP carrying an Alerting UUIE: the Q.931 SETUP is read, the UUIE is not.
    const alertingUu = decodeQ931(encodeAlerting(5).subarray(4)).userUser!.data;
    const bytes = Uint8Array.from([
      0x08,
      0x02,
      0x00,
      0x05,
      0x05,
      0x7e,
      0x00,
      alertingUu.length + 1,
      0x05,
      ...alertingUu,
    ]);
    expect(decodeSetupAttempt(bytes, ctx).anomalies).toEqual(['UUIE is alerting, not a Setup-UUIE: not read']);
  });

  it('notes a UUIE whose zeroed tail still parses: the bytes after where it ends were not read', () => {
    const frame = encodeSetup(setupShapeSpec({ shape: 'cisco-openh323' }));
    const uu = decodeQ931(frame.subarray(4)).userUser!;
    const zeroed = frame.slice();
    zeroed.fill(0, zeroed.length - 140); // all but the discriminator and the first 4 bytes of the UUIE
    const a = decodeSetupAttempt(zeroed.subarray(4), ctx);
    // Zeros read as short fields (no vendor, an address 0.0.0.0:0) and the UUIE's end: the rest is skipped.
    expect(a.h323.vendor).toBeUndefined();
    expect(a.h323.destCallSignalAddress).toBe('0.0.0.0:0');
    expect(a.anomalies).toEqual([expect.stringMatching(/^UUIE ends \d+ bytes before its User-User IE does/)]);
    const u = decodeH323UserInformation(zeroed.subarray(4 + uu.offset, 4 + uu.offset + uu.length));
    expect(u.unreadOctets).toBeGreaterThan(100);
    // An intact SETUP is read to its last octet.
    expect(decodeH323UserInformation(uu.data).unreadOctets).toBe(0);
  });

  it('clips an IE whose length runs past the message, and skips one too short to read', () => {
    // Display "Room", then a Called Party Number that says 9 bytes and has 5, then a Cause of 1 byte.
    const lying = Uint8Array.from(Buffer.from('08020001052804526f6f6d70098134303031', 'hex'));
    const a = decodeSetupAttempt(lying, ctx);
    expect(a.anomalies).toEqual([
      'Q.931 IE 0x70 at byte 11 says 9 bytes, 5 left: clipped',
      'SETUP without an H.225.0 User-User IE',
    ]);
    expect(a.target.user).toBe('4001');
    const shortCause = Uint8Array.from(Buffer.from('0802000105080180' + '2802414270', 'hex'));
    expect(decodeSetupAttempt(shortCause, ctx).anomalies).toEqual([
      'Q.931 Cause IE shorter than 2 bytes (at byte 7): skipped',
      'Q.931 IE 0x70 at byte 12 ends inside its length: skipped',
      'SETUP without an H.225.0 User-User IE',
    ]);
    expect(decodeSetupAttempt(shortCause, ctx).caller.display).toBe('AB');
    // decodeQ931 itself stays strict unless asked.
    expect(typedError(() => decodeQ931(lying)).message).toMatch(/IE 0x70 says 9 bytes, 5 left/);
  });

  it('stays an error for what is not a Q.931 SETUP at all', () => {
    for (const hex of ['', '0802', '09020001052804526f6f6d', '0803000001050000', '08020001851234']) {
      expect(typedError(() => decodeSetupAttempt(Uint8Array.from(Buffer.from(hex, 'hex')), ctx)).code).toBe(
        'GG_H323_DECODE',
      );
    }
  });
});

describe('decodeSetupAttempt (decodes for the attempt only) against the full decoders', () => {
  const shapes: H323SetupShapeName[] = [
    'metasploit-h323-version',
    'room',
    'toll-fraud',
    'ip-only-destination',
    'ipv6',
    'cisco-openh323',
  ];
  const payloads: Array<[string, Uint8Array]> = [
    ['recorded chan_ooh323 SETUP', recordedSetup()],
    ['every alias kind', encodeSetup(ALL_KINDS_SETUP).subarray(4)],
    ...shapes.flatMap((shape) =>
      [1, 2, 3].map((seed): [string, Uint8Array] => [
        `${shape} seed ${seed}`,
        encodeSetup(setupShapeSpec({ shape, seed })).subarray(4),
      ]),
    ),
  ];

  it.each(payloads)('%s: the same attempt as setupToAttempt of the full decode', (_, payload) => {
    const q931 = decodeQ931(payload);
    const uu = q931.userUser!;
    const full = setupToAttempt(q931, decodeH323UserInformation(uu.data.slice()), ctx);
    expect(decodeSetupAttempt(payload, ctx)).toStrictEqual(full);
  });

  it('for every single-byte change of those SETUPs: the full decoders’ attempt, else what Q.931 says with anomalies', () => {
    const outcome = (run: () => unknown): unknown => {
      try {
        return run();
      } catch (err) {
        return err instanceof GhostguardError ? `${err.code} ${err.message} @${err.offset}` : err;
      }
    };
    for (const [, original] of payloads) {
      for (let at = 0; at < original.length; at++) {
        for (const x of [0x01, 0x80, 0xff]) {
          const p = original.slice();
          p[at]! ^= x;
          const full = outcome(() => {
            const q931 = decodeQ931(p);
            const uu = q931.userUser;
            if (uu?.protocolDiscriminator !== 5) return 'no H.225.0 UUIE';
            const uuie = decodeUserInformationAt(p, uu.offset, uu.offset + uu.data.length);
            // The UUIE parsed but ended before its IE did: the attempt decoder notes the rest as not read.
            if (uuie.unreadOctets > 0) return `${uuie.unreadOctets} octets unread`;
            return setupToAttempt(q931, uuie, ctx);
          });
          const lenient = outcome(() => decodeSetupAttempt(p, ctx));
          if (typeof full === 'object') {
            // Whatever the full decoders read whole, the attempt decoder reads the same, with nothing noted.
            expect(lenient).toStrictEqual(full);
            continue;
          }
          if (typeof lenient === 'string') {
            // Only a header that does not decode, or another message type, is still an error.
            expect(lenient).toMatch(/GG_H323_DECODE Q\.931 (message|protocol|call reference|message type)/);
            expect(full).toEqual(expect.any(String));
            continue;
          }
          const a = lenient as H323Attempt;
          expect(a.anomalies?.length, `${at} ^ ${x}`).toBeGreaterThan(0);
          expect(H323AttemptSchema.safeParse(a).success).toBe(true);
          // Everything else comes from the Q.931 part (and the UUIE, when it did decode).
          const q931 = decodeQ931(p, { lenient: true });
          expect(a.h323.callReference).toBe(q931.callReference);
          expect(a.h323.calledNumber).toBe(q931.calledPartyNumber?.digits);
        }
      }
    }
  });

  it('leaves the full decoders reading conferenceId afterwards', () => {
    const payload = encodeSetup(ALL_KINDS_SETUP).subarray(4);
    decodeSetupAttempt(payload, ctx);
    const uu = decodeQ931(payload).userUser!;
    expect(decodeH323UserInformation(uu.data).setup?.conferenceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
