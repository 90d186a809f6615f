import { GhostguardError } from '../errors.js';
import { parseIpv4, parseIpv6 } from '../net/ip.js';
import { RELEASE_REASON_EXTENSIONS, RELEASE_REASON_ROOT } from './h225-types.js';
import { PerWriter } from './per-writer.js';

/**
 * PER (aligned) encoders for the H.225.0 pieces ghostguard writes: the UUIEs of CallProceeding, Alerting
 * and ReleaseComplete that the gate sends, and Setup-UUIEs of chosen shapes for tests and the demo.
 * Same ASN.1 as the decoder (H323-MESSAGES, H.225.0 v7); only the alternatives listed here are written.
 */

export interface H323TransportSpec {
  /** IPv4 dotted quad or IPv6 text. */
  ip: string;
  port: number;
}

export type H323PublicTypeOfNumber =
  | 'unknown'
  | 'internationalNumber'
  | 'nationalNumber'
  | 'networkSpecificNumber'
  | 'subscriberNumber'
  | 'abbreviatedNumber';

export type H323AliasSpec =
  | { type: 'dialedDigits'; value: string }
  | { type: 'h323-ID'; value: string }
  | { type: 'url-ID'; value: string }
  | { type: 'email-ID'; value: string }
  | { type: 'transportID'; address: H323TransportSpec }
  /** PartyNumber e164Number (PublicPartyNumber). */
  | { type: 'partyNumber'; value: string; numberType?: H323PublicTypeOfNumber };

export interface H323VendorSpec {
  t35CountryCode: number;
  t35Extension?: number;
  manufacturerCode: number;
  /** Text is written one byte per char (latin1); bytes as given. */
  productId?: string | Uint8Array;
  versionId?: string | Uint8Array;
}

export type H323EndpointKind = 'terminal' | 'gateway' | 'mcu';

function bad(message: string): never {
  throw new GhostguardError('GG_INPUT_FORMAT', `H.225 encoder: ${message}`);
}

export function latin1Bytes(s: string | Uint8Array): Uint8Array {
  if (typeof s !== 'string') return s;
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) bad(`character U+${c.toString(16)} does not fit one byte`);
    out[i] = c;
  }
  return out;
}

/** 16 octets from hex text or bytes. */
export function guidBytes(v: string | Uint8Array, what: string): Uint8Array {
  if (typeof v !== 'string') {
    if (v.length !== 16) bad(`${what} must be 16 octets`);
    return v;
  }
  const h = v.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(h)) bad(`${what} must be 32 hex digits`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function writeOid(w: PerWriter, arcs: readonly number[]): void {
  const body: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const groups: number[] = [arc & 0x7f];
    let rest = Math.floor(arc / 128);
    while (rest > 0) {
      groups.unshift((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    body.push(...groups);
  }
  w.length(body.length).octets(Uint8Array.from(body));
}

/** protocolIdentifier 0.0.8.2250.0.<version>. */
export function writeProtocolIdentifier(w: PerWriter, version: number): void {
  if (!Number.isInteger(version) || version < 1 || version > 0xffff) bad(`protocol version ${version}`);
  writeOid(w, [0, 0, 8, 2250, 0, version]);
}

const DIGITS_ALPHABET = '#*,0123456789';

function writeDigits(w: PerWriter, digits: string): void {
  if (digits.length < 1 || digits.length > 128) bad(`digit string of ${digits.length} chars (1..128)`);
  w.constrained(digits.length - 1, 128).align();
  for (const c of digits) {
    const i = DIGITS_ALPHABET.indexOf(c);
    if (i < 0) bad(`${JSON.stringify(c)} is not one of "0123456789#*,"`);
    w.bits(i, 4);
  }
}

function writeBmp(w: PerWriter, s: string, ub: number): void {
  if (s.length < 1 || s.length > ub) bad(`BMPString of ${s.length} chars (1..${ub})`);
  w.constrained(s.length - 1, ub).align();
  for (let i = 0; i < s.length; i++) w.bits(s.charCodeAt(i), 16);
}

function writeIa5(w: PerWriter, s: string, ub: number): void {
  if (s.length < 1 || s.length > ub) bad(`IA5String of ${s.length} chars (1..${ub})`);
  const bytes = latin1Bytes(s);
  for (const b of bytes) if (b > 0x7f) bad('IA5String character above 0x7f');
  w.constrained(s.length - 1, ub).octets(bytes);
}

function writeOctetString256(w: PerWriter, v: string | Uint8Array): void {
  const bytes = latin1Bytes(v);
  if (bytes.length < 1 || bytes.length > 256) bad(`OCTET STRING of ${bytes.length} octets (1..256)`);
  w.constrained(bytes.length - 1, 256).octets(bytes);
}

export function writeTransportAddress(w: PerWriter, t: H323TransportSpec): void {
  if (!Number.isInteger(t.port) || t.port < 0 || t.port > 0xffff) bad(`port ${t.port}`);
  const v4 = parseIpv4(t.ip);
  if (v4 !== undefined) {
    w.bit(0).bits(0, 3);
    w.octets(Uint8Array.of(v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255)).u16(t.port);
    return;
  }
  const v6 = parseIpv6(t.ip);
  if (v6 === undefined) bad(`${JSON.stringify(t.ip)} is not an IP address`);
  const ip = new Uint8Array(16);
  v6.forEach((g, i) => {
    ip[i * 2] = g >> 8;
    ip[i * 2 + 1] = g & 255;
  });
  w.bit(0).bits(3, 3).bit(0).octets(ip).u16(t.port);
}

const TYPES_OF_NUMBER: readonly H323PublicTypeOfNumber[] = [
  'unknown',
  'internationalNumber',
  'nationalNumber',
  'networkSpecificNumber',
  'subscriberNumber',
  'abbreviatedNumber',
];

export function writeAlias(w: PerWriter, a: H323AliasSpec): void {
  switch (a.type) {
    case 'dialedDigits':
      w.bit(0).bit(0);
      writeDigits(w, a.value);
      return;
    case 'h323-ID':
      w.bit(0).bit(1);
      writeBmp(w, a.value, 256);
      return;
    case 'url-ID':
      w.bit(1)
        .smallNumber(0)
        .openType((o) => writeIa5(o, a.value, 512));
      return;
    case 'transportID':
      w.bit(1)
        .smallNumber(1)
        .openType((o) => writeTransportAddress(o, a.address));
      return;
    case 'email-ID':
      w.bit(1)
        .smallNumber(2)
        .openType((o) => writeIa5(o, a.value, 512));
      return;
    case 'partyNumber':
      w.bit(1)
        .smallNumber(3)
        .openType((o) => {
          // PartyNumber: e164Number → PublicPartyNumber { publicTypeOfNumber, publicNumberDigits }
          o.bit(0).bits(0, 3);
          o.bit(0).bits(TYPES_OF_NUMBER.indexOf(a.numberType ?? 'unknown'), 3);
          writeDigits(o, a.value);
        });
      return;
  }
}

export function writeAliasList(w: PerWriter, aliases: readonly H323AliasSpec[]): void {
  w.length(aliases.length);
  for (const a of aliases) writeAlias(w, a);
}

export function writeEndpointType(w: PerWriter, kind: H323EndpointKind, vendor: H323VendorSpec | undefined): void {
  w.bit(0); // extension bit
  w.bit(0) // nonStandardData
    .bit(vendor !== undefined)
    .bit(0) // gatekeeper
    .bit(kind === 'gateway')
    .bit(kind === 'mcu')
    .bit(kind === 'terminal');
  if (vendor) {
    w.bit(0)
      .bit(vendor.productId !== undefined)
      .bit(vendor.versionId !== undefined);
    w.bit(0)
      .octet(vendor.t35CountryCode)
      .octet(vendor.t35Extension ?? 0)
      .u16(vendor.manufacturerCode);
    if (vendor.productId !== undefined) writeOctetString256(w, vendor.productId);
    if (vendor.versionId !== undefined) writeOctetString256(w, vendor.versionId);
  }
  if (kind === 'gateway') w.bit(0).bit(0).bit(0); // GatewayInfo: ext, protocol, nonStandardData
  if (kind === 'mcu') w.bit(0).bit(0); // McuInfo
  if (kind === 'terminal') w.bit(0).bit(0); // TerminalInfo
  w.bit(kind === 'mcu'); // mc: "mcu must be set as well"
  w.bit(0); // undefinedNode
}

export function writeCallIdentifier(w: PerWriter, guid: Uint8Array): void {
  w.bit(0).octets(guid);
}

export type H225BodyName = 'setup' | 'callProceeding' | 'alerting' | 'releaseComplete';
const BODY_INDEX: Record<H225BodyName, number> = { setup: 0, callProceeding: 1, alerting: 3, releaseComplete: 5 };

/** H323-UserInformation around one root body, with h245Tunnelling in the H323-UU-PDU. */
export function encodeUserInformation(
  body: H225BodyName,
  writeBody: (w: PerWriter) => void,
  h245Tunnelling: boolean,
): Uint8Array {
  const w = new PerWriter();
  w.bit(0).bit(0); // H323-UserInformation: extension bit, user-data absent
  w.bit(1).bit(0); // H323-UU-PDU: extension bit (h245Tunnelling), nonStandardData absent
  w.bit(0).bits(BODY_INDEX[body], 3);
  writeBody(w);
  // Additions: h4501SupplementaryService (absent), h245Tunnelling (mandatory once additions are sent).
  w.extensionBitmap(2, new Set([1]));
  w.openType((o) => o.bit(h245Tunnelling));
  return w.bytes();
}

/** CallProceeding-UUIE and Alerting-UUIE share their layout up to maintainConnection. */
export function writeProceedingLike(
  w: PerWriter,
  version: number,
  kind: H323EndpointKind,
  vendor: H323VendorSpec | undefined,
  callIdentifier: Uint8Array,
): void {
  w.bit(1).bit(0); // extensions follow; h245Address absent
  writeProtocolIdentifier(w, version);
  writeEndpointType(w, kind, vendor);
  // callIdentifier (0), h245SecurityMode, tokens, cryptoTokens, fastStart, multipleCalls (5), maintainConnection (6)
  w.extensionBitmap(7, new Set([0, 5, 6]));
  w.openType((o) => writeCallIdentifier(o, callIdentifier));
  w.openType((o) => o.bit(0));
  w.openType((o) => o.bit(0));
}

/** ReleaseComplete-UUIE with a reason (a NULL alternative of ReleaseCompleteReason) and the callIdentifier. */
export function writeReleaseComplete(w: PerWriter, version: number, reason: string, callIdentifier: Uint8Array): void {
  w.bit(1).bit(1);
  writeProtocolIdentifier(w, version);
  const root = (RELEASE_REASON_ROOT as readonly string[]).indexOf(reason);
  if (root >= 0) {
    w.bit(0).bits(root, 4);
  } else {
    const ext = (RELEASE_REASON_EXTENSIONS as readonly string[]).indexOf(reason);
    if (
      ext < 0 ||
      reason === 'nonStandardReason' ||
      reason === 'replaceWithConferenceInvite' ||
      reason === 'securityError'
    ) {
      throw new GhostguardError(
        'GG_CONFIG_INVALID',
        `unknown or non-NULL H.225 release reason ${JSON.stringify(reason)} (use callRejected or one of ${RELEASE_REASON_ROOT.join(', ')}…)`,
      );
    }
    w.bit(1)
      .smallNumber(ext)
      .openType(() => {});
  }
  w.extensionBitmap(1, new Set([0]));
  w.openType((o) => writeCallIdentifier(o, callIdentifier));
}

export interface SetupUuieSpec {
  protocolVersion: number;
  h245Address?: H323TransportSpec;
  sourceAliases?: readonly H323AliasSpec[];
  endpointType: H323EndpointKind;
  vendor?: H323VendorSpec;
  destinationAliases?: readonly H323AliasSpec[];
  destCallSignalAddress?: H323TransportSpec;
  activeMC: boolean;
  conferenceId: Uint8Array;
  conferenceGoal: 'create' | 'join' | 'invite';
  callType: 'pointToPoint' | 'oneToN' | 'nToOne' | 'nToN';
  sourceCallSignalAddress?: H323TransportSpec;
  callIdentifier: Uint8Array;
  fastStart?: readonly Uint8Array[];
  mediaWaitForConnect: boolean;
  canOverlapSend: boolean;
  multipleCalls: boolean;
  maintainConnection: boolean;
}

const GOALS = ['create', 'join', 'invite'];
const CALL_TYPES = ['pointToPoint', 'oneToN', 'nToOne', 'nToN'];

export function writeSetupUuie(w: PerWriter, s: SetupUuieSpec): void {
  const hasSource = s.sourceAliases !== undefined && s.sourceAliases.length > 0;
  const hasDest = s.destinationAliases !== undefined && s.destinationAliases.length > 0;
  w.bit(1); // extension additions follow
  w.bit(s.h245Address !== undefined)
    .bit(hasSource)
    .bit(hasDest)
    .bit(s.destCallSignalAddress !== undefined)
    .bit(0) // destExtraCallInfo
    .bit(0) // destExtraCRV
    .bit(0); // callServices
  writeProtocolIdentifier(w, s.protocolVersion);
  if (s.h245Address) writeTransportAddress(w, s.h245Address);
  if (hasSource) writeAliasList(w, s.sourceAliases!);
  writeEndpointType(w, s.endpointType, s.vendor);
  if (hasDest) writeAliasList(w, s.destinationAliases!);
  if (s.destCallSignalAddress) writeTransportAddress(w, s.destCallSignalAddress);
  w.bit(s.activeMC);
  w.octets(s.conferenceId);
  w.bit(0).bits(GOALS.indexOf(s.conferenceGoal), 2);
  w.bit(0).bits(CALL_TYPES.indexOf(s.callType), 2);
  // Additions 0..11: sourceCallSignalAddress, remoteExtensionAddress, callIdentifier, h245SecurityCapability,
  // tokens, cryptoTokens, fastStart, mediaWaitForConnect, canOverlapSend, endpointIdentifier, multipleCalls,
  // maintainConnection. The non-OPTIONAL ones (2, 7, 8, 10, 11) are always present.
  const present = new Set([2, 7, 8, 10, 11]);
  if (s.sourceCallSignalAddress) present.add(0);
  if (s.fastStart) present.add(6);
  w.extensionBitmap(12, present);
  if (s.sourceCallSignalAddress) {
    const a = s.sourceCallSignalAddress;
    w.openType((o) => writeTransportAddress(o, a));
  }
  w.openType((o) => writeCallIdentifier(o, s.callIdentifier));
  if (s.fastStart) {
    const proposals = s.fastStart;
    w.openType((o) => {
      o.length(proposals.length);
      for (const p of proposals) o.length(p.length).octets(p);
    });
  }
  w.openType((o) => o.bit(s.mediaWaitForConnect));
  w.openType((o) => o.bit(s.canOverlapSend));
  w.openType((o) => o.bit(s.multipleCalls));
  w.openType((o) => o.bit(s.maintainConnection));
}
