import {
  H225_MAX_ALIASES,
  type H225Alias,
  type H225AliasList,
  type H225EndpointType,
  type H225TransportAddress,
  type H225Vendor,
} from './h225-types.js';
import type { PerReader } from './per-reader.js';
import { bmpText, ipv4Text, ipv6Text } from './text.js';

/**
 * Decoders for the H.225.0 types that several messages share (AliasAddress, TransportAddress,
 * EndpointType…). Each reads exactly its type's PER encoding; extension additions and alternatives
 * unknown here are skipped by their open-type length.
 */

/** The permitted alphabet of dialledDigits / NumberDigits, in canonical order: PER sends the index. */
const DIGITS_ALPHABET = '#*,0123456789';

type Decode<T> = (r: PerReader) => T;

/** Decodes one named field, keeping the reader's field path right for error messages. */
export function field<T>(r: PerReader, name: string, decode: Decode<T>): T {
  r.enter(name);
  const v = decode(r);
  r.leave();
  return v;
}

/** Skips the extension additions of a SEQUENCE whose extension bit was set. */
export function skipExtensions(r: PerReader): void {
  const n = r.extensionBitmap();
  const bitmap = r.pos - n;
  for (let i = 0; i < n; i++) if (r.presentAt(bitmap, i)) r.skipOpenType();
}

/** OBJECT IDENTIFIER (BER contents after a PER length) as dotted text. */
export function decodeOid(r: PerReader): string {
  const n = r.length();
  if (n === 0) r.fail('empty object identifier');
  const bytes = r.buf;
  const start = r.octetsAt(n);
  const end = start + n;
  // 00 08 91 4a 00 N: the H.225.0 protocolIdentifier of version N < 128.
  if (
    n === 6 &&
    bytes[start] === 0x00 &&
    bytes[start + 1] === 0x08 &&
    bytes[start + 2] === 0x91 &&
    bytes[start + 3] === 0x4a &&
    bytes[start + 4] === 0x00 &&
    bytes[start + 5]! < 0x80
  ) {
    return H225_OIDS[bytes[start + 5]!]!;
  }
  let out = '';
  let arc = 0;
  let first = true;
  for (let i = start; i < end; i++) {
    const b = bytes[i]!;
    arc = arc * 128 + (b & 0x7f);
    if (arc > 0xffffffff) r.fail('object identifier arc too large');
    if (b & 0x80) {
      if (i === end - 1) r.fail('object identifier ends inside an arc');
      continue;
    }
    if (first) {
      const x = arc < 40 ? 0 : arc < 80 ? 1 : 2;
      out = `${x}.${arc - 40 * x}`;
      first = false;
    } else {
      out += `.${arc}`;
    }
    arc = 0;
  }
  return out;
}

const H225_OID_PREFIX = '0.0.8.2250.0.';
/** Text of 0.0.8.2250.0.N for the one-octet versions, built once: every message carries one. */
const H225_OIDS: readonly string[] = Array.from({ length: 128 }, (_, v) => `${H225_OID_PREFIX}${v}`);
const H225_OID_VERSIONS = new Map(H225_OIDS.map((oid, v) => [oid, v]));

/** The H.225.0 version of a protocolIdentifier `0.0.8.2250.0.N`, else undefined. */
export function protocolVersionOf(oid: string): number | undefined {
  const known = H225_OID_VERSIONS.get(oid);
  if (known !== undefined) return known;
  if (!oid.startsWith(H225_OID_PREFIX)) return undefined;
  const v = Number(oid.slice(H225_OID_PREFIX.length));
  return Number.isInteger(v) && v >= 0 && v <= 0xffff ? v : undefined;
}

/** Two digits per octet: DIGIT_PAIRS[octet] is its two chars, undefined when a nibble is outside the alphabet. */
const DIGIT_PAIRS: readonly (string | undefined)[] = Array.from({ length: 256 }, (_, b) => {
  const hi = DIGITS_ALPHABET[b >>> 4];
  const lo = DIGITS_ALPHABET[b & 15];
  return hi === undefined || lo === undefined ? undefined : hi + lo;
});

/**
 * dialledDigits / NumberDigits: IA5String(SIZE(1..128)) FROM "0123456789#*,". The aligned variant packs the
 * chars in 4-bit indexes from an octet boundary, so they are read an octet (two chars) at a time.
 */
export function decodeDigits(r: PerReader): string {
  const n = r.constrained(128) + 1;
  r.align();
  const start = r.pos;
  r.skipBits(n * 4);
  const buf = r.buf;
  const first = start >>> 3;
  const pairs = n >>> 1;
  let s = '';
  for (let i = 0; i < pairs; i++) {
    const pair = DIGIT_PAIRS[buf[first + i]!];
    if (pair === undefined) badDigit(r, start + i * 8);
    s += pair;
  }
  if (n & 1) {
    const c = DIGITS_ALPHABET[buf[first + pairs]! >>> 4];
    if (c === undefined) badDigit(r, start + pairs * 8);
    s += c;
  }
  return s;
}

/** Fails at the first bad char of the octet at bit `at` (the error names the char's own position). */
function badDigit(r: PerReader, at: number): never {
  r.pos = DIGITS_ALPHABET[r.buf[at >>> 3]! >>> 4] === undefined ? at : at + 4;
  r.fail('character outside "0123456789#*,"');
}

/** IA5String(SIZE(1..ub)) without a permitted alphabet: 8 bits per char in the aligned variant. */
function decodeIa5(r: PerReader, ub: number): string {
  const n = r.constrained(ub) + 1;
  return r.latin1(r.octetsAt(n), n);
}

/** BMPString(SIZE(1..ub)). */
export function decodeBmp(r: PerReader, ub: number): string {
  const n = r.constrained(ub) + 1;
  const at = r.octetsAt(n * 2);
  return bmpText(r.buf, at, at + n * 2);
}

/** OCTET STRING(SIZE(1..256)) read as text (productId, versionId). */
function decodeOctetText(r: PerReader): string {
  const n = r.constrained(256) + 1;
  return r.latin1(r.octetsAt(n), n);
}

export function decodeH221(r: PerReader): { t35CountryCode: number; t35Extension: number; manufacturerCode: number } {
  const ext = r.bit();
  const t35CountryCode = r.octet();
  const t35Extension = r.octet();
  const manufacturerCode = r.u16();
  if (ext) skipExtensions(r);
  return { t35CountryCode, t35Extension, manufacturerCode };
}

/** NonStandardParameter: read and dropped (identifier CHOICE, then an unconstrained OCTET STRING). */
export function skipNonStandardParameter(r: PerReader): void {
  // nonStandardIdentifier: extension bit, then object (OID) or h221NonStandard.
  const ext = r.bit();
  if (ext) {
    r.smallNumber();
    r.skipOpenType();
  } else {
    const h221 = r.bit();
    if (h221) decodeH221(r);
    else r.octetsAt(r.length());
  }
  r.octetsAt(r.length());
}

export function decodeTransportAddress(r: PerReader): H225TransportAddress {
  if (r.bit()) {
    r.smallNumber();
    r.skipOpenType();
    return { kind: 'extension' };
  }
  switch (r.bits(3)) {
    case 0: {
      const at = r.octetsAt(4);
      return { kind: 'ipAddress', ip: ipv4Text(r.buf, at), port: r.u16(), at };
    }
    case 1: {
      const ext = r.bit();
      const ip = ipv4Text(r.buf, r.octetsAt(4));
      const port = r.u16();
      const hops = r.length();
      for (let i = 0; i < hops; i++) r.octetsAt(4);
      if (r.bit()) {
        r.smallNumber();
        r.skipOpenType();
      } else {
        r.bit();
      }
      if (ext) skipExtensions(r);
      return { kind: 'ipSourceRoute', ip, port };
    }
    case 2:
      r.octetsAt(6);
      r.octetsAt(4);
      r.skipBits(16); // port: OCTET STRING(SIZE(2)) is not octet-aligned
      return { kind: 'ipxAddress' };
    case 3: {
      const ext = r.bit();
      const ip = ipv6Text(r.buf, r.octetsAt(16));
      const port = r.u16();
      if (ext) skipExtensions(r);
      return { kind: 'ip6Address', ip, port };
    }
    case 4:
      r.octetsAt(16);
      return { kind: 'netBios' };
    case 5:
      r.octetsAt(r.constrained(20) + 1);
      return { kind: 'nsap' };
    case 6:
      skipNonStandardParameter(r);
      return { kind: 'nonStandardAddress' };
    default:
      r.fail('TransportAddress alternative 7 does not exist');
  }
}

/** Text form of a transport address: `ip:port`, `[ip6]:port`, or the alternative's name. */
export function transportText(t: H225TransportAddress): string {
  if (t.ip === undefined) return t.kind;
  return t.kind === 'ip6Address' ? `[${t.ip}]:${t.port}` : `${t.ip}:${t.port}`;
}

function decodePartyNumber(r: PerReader): string {
  if (r.bit()) {
    r.smallNumber();
    r.skipOpenType();
    return '';
  }
  const alt = r.bits(3);
  if (alt === 0 || alt === 3) {
    // PublicPartyNumber / PrivatePartyNumber: a type-of-number CHOICE (6 root alternatives), then digits.
    if (r.bit()) {
      r.smallNumber();
      r.skipOpenType();
    } else if (r.bits(3) > 5) {
      r.fail('type of number alternative out of range');
    }
    r.enter(alt === 0 ? 'publicNumberDigits' : 'privateNumberDigits');
    const digits = decodeDigits(r);
    r.leave();
    return digits;
  }
  if (alt > 4) r.fail(`PartyNumber alternative ${alt} does not exist`);
  return decodeDigits(r);
}

const ALIAS_EXTENSION_NAMES = ['url-ID', 'transportID', 'email-ID', 'partyNumber', 'mobileUIM', 'isupNumber'];

export function decodeAlias(r: PerReader): H225Alias {
  let alias: H225Alias;
  if (!r.bit()) {
    if (r.bit()) {
      r.enter('h323-ID');
      alias = { type: 'h323-ID', value: decodeBmp(r, 256) };
    } else {
      r.enter('dialledDigits');
      alias = { type: 'dialedDigits', value: decodeDigits(r) };
    }
    r.leave();
    return alias;
  }
  const alt = r.smallNumber();
  r.enter(ALIAS_EXTENSION_NAMES[alt] ?? 'extension');
  const saved = r.openTypeBegin();
  switch (alt) {
    case 0:
      alias = { type: 'url-ID', value: decodeIa5(r, 512) };
      break;
    case 1:
      alias = { type: 'transportID', value: transportText(decodeTransportAddress(r)) };
      break;
    case 2:
      alias = { type: 'email-ID', value: decodeIa5(r, 512) };
      break;
    case 3:
      alias = { type: 'partyNumber', value: decodePartyNumber(r) };
      break;
    default:
      alias = { type: 'other', value: '' };
  }
  r.openTypeEnd(saved);
  r.leave();
  return alias;
}

/** SEQUENCE OF AliasAddress: every element is read; the first H225_MAX_ALIASES are kept. */
export function decodeAliasList(r: PerReader): H225AliasList {
  const count = r.length();
  // Made at the size kept (at most H225_MAX_ALIASES, whatever the wire says): a list grown from [] reserves 17 slots.
  const kept = Math.min(count, H225_MAX_ALIASES);
  const aliases = new Array<H225Alias>(kept);
  for (let i = 0; i < count; i++) {
    const a = decodeAlias(r);
    if (i < kept) aliases[i] = a;
  }
  return { aliases, count };
}

/** Decoders of the small SEQUENCEs `{ nonStandardData OPTIONAL, ... }` (TerminalInfo, McuInfo, GatekeeperInfo, *Caps). */
function skipNsdOnlyInfo(r: PerReader): void {
  const ext = r.bit();
  if (r.bit()) {
    r.enter('nonStandardData');
    skipNonStandardParameter(r);
    r.leave();
  }
  if (ext) skipExtensions(r);
}

function skipSupportedProtocols(r: PerReader): void {
  if (r.bit()) {
    r.smallNumber();
    r.skipOpenType();
    return;
  }
  const alt = r.bits(4);
  if (alt === 0) skipNonStandardParameter(r);
  else if (alt <= 8) skipNsdOnlyInfo(r);
  else r.fail(`SupportedProtocols alternative ${alt} does not exist`);
}

function skipGatewayInfo(r: PerReader): void {
  const ext = r.bit();
  const hasProtocol = r.bit();
  const hasNsd = r.bit();
  if (hasProtocol) {
    r.enter('protocol');
    const n = r.length();
    for (let i = 0; i < n; i++) skipSupportedProtocols(r);
    r.leave();
  }
  if (hasNsd) field(r, 'nonStandardData', skipNonStandardParameter);
  if (ext) skipExtensions(r);
}

export function decodeVendor(r: PerReader): H225Vendor {
  const ext = r.bit();
  const hasProduct = r.bit();
  const hasVersion = r.bit();
  r.enter('vendor');
  const h221Ext = r.bit();
  const v: H225Vendor = {
    t35CountryCode: r.octet(),
    t35Extension: r.octet(),
    manufacturerCode: r.u16(),
    productId: undefined,
    versionId: undefined,
  };
  if (h221Ext) skipExtensions(r);
  r.leave();
  if (hasProduct) {
    r.enter('productId');
    v.productId = decodeOctetText(r);
    r.leave();
  }
  if (hasVersion) {
    r.enter('versionId');
    v.versionId = decodeOctetText(r);
    r.leave();
  }
  if (ext) skipExtensions(r);
  return v;
}

export function decodeEndpointType(r: PerReader): H225EndpointType {
  const ext = r.bit();
  const opt = r.bits(6);
  const e: H225EndpointType = {
    vendor: undefined,
    nonStandardData: (opt & 32) !== 0,
    gatekeeper: (opt & 8) !== 0,
    gateway: (opt & 4) !== 0,
    mcu: (opt & 2) !== 0,
    terminal: (opt & 1) !== 0,
    mc: false,
    undefinedNode: false,
  };
  if (opt & 32) field(r, 'nonStandardData', skipNonStandardParameter);
  if (opt & 16) {
    r.enter('vendor');
    e.vendor = decodeVendor(r);
    r.leave();
  }
  if (opt & 8) field(r, 'gatekeeper', skipNsdOnlyInfo);
  if (opt & 4) field(r, 'gateway', skipGatewayInfo);
  if (opt & 2) field(r, 'mcu', skipNsdOnlyInfo);
  if (opt & 1) {
    r.enter('terminal');
    skipNsdOnlyInfo(r);
    r.leave();
  }
  e.mc = r.bool();
  e.undefinedNode = r.bool();
  if (ext) skipExtensions(r);
  return e;
}

/** CallIdentifier ::= SEQUENCE { guid GloballyUniqueID, ... } → hex. */
export function decodeCallIdentifier(r: PerReader): string {
  const ext = r.bit();
  const guid = r.hex(r.octetsAt(16), 16);
  if (ext) skipExtensions(r);
  return guid;
}

/** QseriesOptions: seven BOOLEANs and Q954Details. */
export function skipQseriesOptions(r: PerReader): void {
  const ext = r.bit();
  r.skipBits(7);
  const q954Ext = r.bit();
  r.skipBits(2);
  if (q954Ext) skipExtensions(r);
  if (ext) skipExtensions(r);
}
