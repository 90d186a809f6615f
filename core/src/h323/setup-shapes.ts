import type { H323TransportSpec } from './h225-encode.js';
import type { H323SetupSpec } from './messages.js';
import { PerWriter } from './per-writer.js';

/**
 * Ready-made SETUP shapes for tests, the gate's tests and the demo: what scanners and room systems send,
 * as H323SetupSpecs that encodeSetup() turns into bytes. Random parts (Metasploit's h323-ID and vendor id,
 * GUIDs) come from a seeded generator, so a shape and a seed always give the same bytes.
 */

export type H323SetupShapeName =
  /** Metasploit auxiliary/scanner/h323/h323_version, as its module source builds the SETUP. */
  | 'metasploit-h323-version'
  /** A Polycom-like room system calling a room by dialledDigits, with h323-ID, fastStart and H.245 tunnelling. */
  | 'room'
  /** A dialler sending toll-fraud digits (international / dial-out prefixes) as dialledDigits and Called Party Number. */
  | 'toll-fraud'
  /** Destination given only as an IP address: no destination alias, no Called Party Number. */
  | 'ip-only-destination'
  /** The room shape over IPv6 (ip6Address transport addresses). */
  | 'ipv6'
  /** An OpenH323-based tool calling itself "Cisco" (OpenH323's own H.221 vendor code). */
  | 'cisco-openh323';

export interface H323SetupShape {
  shape: H323SetupShapeName;
  /** Seed of the random parts (default 1). */
  seed?: number;
  callReference?: number;
  /** toll-fraud: the digits dialled (default 900441224000000). */
  dialledDigits?: string;
  /** Where the SETUP is sent (destCallSignalAddress; default 203.0.113.10:1720, [2001:db8::10]:1720 for ipv6). */
  callee?: H323TransportSpec;
  /** Where it comes from (sourceCallSignalAddress; default 198.51.100.30, 2001:db8:1::30 for ipv6). */
  caller?: H323TransportSpec;
}

/** mulberry32: a small seeded PRNG, enough for test data. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function randomAlpha(next: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHA[Math.floor(next() * ALPHA.length)];
  return s;
}

function randomBytes(next: () => number, n: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

type AudioCapability =
  | { kind: 'g711Alaw64k' | 'g711Ulaw64k'; frames: number }
  | { kind: 'nonStandard'; t35CountryCode: number; t35Extension: number; manufacturerCode: number; data: string };

/**
 * An H.245 OpenLogicalChannel proposing one forward audio channel (what fastStart carries): channel number,
 * audio capability, and H.225.0 parameters with the RTCP address (H.245 MULTIMEDIA-SYSTEM-CONTROL, PER aligned).
 */
export function audioOpenLogicalChannel(channel: number, audio: AudioCapability, rtcp: H323TransportSpec): Uint8Array {
  const w = new PerWriter();
  w.bit(0).bit(0); // extension bit; reverseLogicalChannelParameters absent
  w.u16(channel - 1); // LogicalChannelNumber INTEGER(1..65535)
  w.bit(0).bit(0); // forwardLogicalChannelParameters: extension bit, portNumber absent
  w.bit(0).bits(3, 3); // DataType: audioData
  if (audio.kind === 'nonStandard') {
    w.bit(0).bits(0, 4); // AudioCapability: nonStandard
    w.bit(1); // NonStandardIdentifier (not extensible): h221NonStandard
    w.octet(audio.t35CountryCode).octet(audio.t35Extension).u16(audio.manufacturerCode);
    const data = Uint8Array.from(audio.data, (c) => c.charCodeAt(0) & 0xff);
    w.length(data.length).octets(data);
  } else {
    w.bit(0).bits(audio.kind === 'g711Alaw64k' ? 1 : 3, 4);
    w.octet(audio.frames - 1); // INTEGER(1..256)
  }
  // multiplexParameters: h2250LogicalChannelParameters (extension alternative 0)
  w.bit(1)
    .smallNumber(0)
    .openType((o) => {
      o.bit(0); // extension bit
      // nonStandard, associatedSessionID, mediaChannel, mediaGuaranteedDelivery, mediaControlChannel (set),
      // mediaControlGuaranteedDelivery, silenceSuppression, destination, dynamicRTPPayloadType, mediaPacketization
      o.bits(0b0000100000, 10);
      o.octet(1); // sessionID: audio
      o.bit(0).bit(0); // TransportAddress: unicastAddress
      o.bit(0).bits(0, 3).bit(0); // UnicastAddress: iPAddress (extensible SEQUENCE)
      const ip = rtcp.ip.split('.').map(Number);
      o.octets(Uint8Array.from(ip)).u16(rtcp.port);
    });
  return w.bytes();
}

function g711Proposals(rtcp: H323TransportSpec): Uint8Array[] {
  return [
    audioOpenLogicalChannel(1, { kind: 'g711Ulaw64k', frames: 20 }, rtcp),
    audioOpenLogicalChannel(2, { kind: 'g711Alaw64k', frames: 20 }, rtcp),
  ];
}

/** Speex proposals as Metasploit's h323_version offers them (Xiph.org and OpenH323 non-standard capabilities). */
function speexProposals(rtcp: H323TransportSpec): Uint8Array[] {
  return [
    audioOpenLogicalChannel(
      101,
      {
        kind: 'nonStandard',
        t35CountryCode: 181,
        t35Extension: 0,
        manufacturerCode: 38,
        data: 'speex sr=16000;mode=6;vbr=off;cng=off',
      },
      rtcp,
    ),
    audioOpenLogicalChannel(
      102,
      { kind: 'nonStandard', t35CountryCode: 9, t35Extension: 0, manufacturerCode: 61, data: 'Speex bs4 Wide6' },
      rtcp,
    ),
    ...g711Proposals(rtcp),
  ];
}

/** The H.221 vendor code OpenH323 gives every endpoint built on it (country 9 Australia, manufacturer 61). */
const OPENH323_VENDOR = { t35CountryCode: 9, t35Extension: 0, manufacturerCode: 61 } as const;
/** Polycom's H.221 code (country 181 United States, manufacturer 1). */
const POLYCOM_VENDOR = { t35CountryCode: 181, t35Extension: 0, manufacturerCode: 1 } as const;

/** The H323SetupSpec of a shape, for encodeSetup() or to adjust before encoding. */
export function setupShapeSpec(s: H323SetupShape): H323SetupSpec {
  const next = rng(s.seed ?? 1);
  const v6 = s.shape === 'ipv6';
  const callee = s.callee ?? (v6 ? { ip: '2001:db8::10', port: 1720 } : { ip: '203.0.113.10', port: 1720 });
  const caller =
    s.caller ??
    (v6 ? { ip: '2001:db8:1::30', port: 11_720 } : { ip: '198.51.100.30', port: 30_000 + Math.floor(next() * 32768) });
  // RTCP addresses inside fastStart proposals are IPv4 here (H.245 iPAddress).
  const rtcp = { ip: v6 ? '198.51.100.30' : caller.ip, port: 5063 };
  const guids = { conferenceId: randomBytes(next, 16), callIdentifier: randomBytes(next, 16) };
  const callReference = s.callReference ?? 1 + Math.floor(next() * 0x7ffe);
  switch (s.shape) {
    case 'metasploit-h323-version':
      // Per the module: call reference 0x733f, bearer capability 00 03 88, Display "SYSTEM\0", no party
      // numbers, a 3-letter random h323-ID, vendor 9/0/61 with productId of three NULs and a 32-letter random
      // versionId (+ two NULs), H.225.0 version 6, Speex fastStart proposals, H.245 tunnelling.
      return {
        callReference: s.callReference ?? 0x733f,
        protocolVersion: 6,
        bearerCapability: Uint8Array.of(0x00, 0x03, 0x88),
        display: 'SYSTEM\u0000',
        sourceAliases: [{ type: 'h323-ID', value: randomAlpha(next, 3) }],
        vendor: {
          ...OPENH323_VENDOR,
          productId: '\u0000\u0000\u0000',
          versionId: `${randomAlpha(next, 32)}\u0000\u0000`,
        },
        destCallSignalAddress: callee,
        sourceCallSignalAddress: caller,
        fastStart: speexProposals(rtcp),
        h245Tunnelling: true,
        ...guids,
      };
    case 'room':
    case 'ipv6':
      return {
        callReference,
        display: 'Partner Boardroom',
        sourceAliases: [
          { type: 'h323-ID', value: 'Partner Boardroom' },
          { type: 'dialedDigits', value: '7001' },
        ],
        destinationAliases: [{ type: 'dialedDigits', value: '4001' }],
        vendor: { ...POLYCOM_VENDOR, productId: 'Polycom HDX 8000 HD', versionId: 'Release 3.1.14' },
        destCallSignalAddress: callee,
        sourceCallSignalAddress: caller,
        ...(v6 ? { h245Address: { ip: caller.ip, port: 11_721 } } : {}),
        fastStart: g711Proposals(rtcp),
        h245Tunnelling: true,
        ...guids,
      };
    case 'toll-fraud': {
      const digits = s.dialledDigits ?? '900441224000000';
      return {
        callReference,
        display: 'user',
        calledNumber: digits,
        sourceAliases: [{ type: 'h323-ID', value: 'user' }],
        destinationAliases: [{ type: 'dialedDigits', value: digits }],
        vendor: { ...OPENH323_VENDOR, productId: 'OpenH323', versionId: '1.18.0' },
        destCallSignalAddress: callee,
        sourceCallSignalAddress: caller,
        fastStart: g711Proposals(rtcp),
        ...guids,
      };
    }
    case 'ip-only-destination':
      return {
        callReference,
        sourceAliases: [{ type: 'h323-ID', value: 'caller' }],
        vendor: { ...OPENH323_VENDOR, productId: 'OpenH323', versionId: '1.18.0' },
        destCallSignalAddress: callee,
        sourceCallSignalAddress: caller,
        fastStart: g711Proposals(rtcp),
        ...guids,
      };
    case 'cisco-openh323':
      return {
        callReference,
        display: 'Cisco',
        sourceAliases: [{ type: 'h323-ID', value: 'Cisco' }],
        vendor: { ...OPENH323_VENDOR, productId: 'Cisco', versionId: '1.0' },
        destCallSignalAddress: callee,
        sourceCallSignalAddress: caller,
        fastStart: g711Proposals(rtcp),
        ...guids,
      };
  }
}
