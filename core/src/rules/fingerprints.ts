import type { CallAttempt, H323Attempt, H323Vendor, SipAttempt } from '../attempt.js';
import type { GhostguardConfig } from '../config.js';
import type { Reason } from '../verdict.js';
import {
  BUILTIN_MARKERS,
  BUILTIN_SHAPES,
  type FingerprintField,
  type MarkerFingerprint,
  type ShapeDetector,
  type ShapeFingerprint,
} from './fingerprint-table.js';
import type { RuleWeights } from './weights.js';

export function fieldValue(a: CallAttempt, field: FingerprintField): string | undefined {
  switch (field) {
    case 'userAgent':
      return a.userAgent;
    case 'fromDisplay':
      return a.caller.display;
    case 'toDisplay':
      return a.target.display;
    case 'callerUser':
      return a.caller.user;
    case 'targetUser':
      return a.target.user;
    case 'sdpSessionName':
      return a.protocol === 'sip' ? a.sip.sdpSessionName : undefined;
    case 'viaBranch':
      return a.protocol === 'sip' ? a.sip.viaBranch : undefined;
    case 'fromTag':
      return a.protocol === 'sip' ? a.sip.fromTag : undefined;
    case 'h323ProductId':
      return a.protocol === 'h323' ? a.h323.vendor?.productId : undefined;
    case 'h323VersionId':
      return a.protocol === 'h323' ? a.h323.vendor?.versionId : undefined;
    case 'h323Display':
      return a.protocol === 'h323' ? a.h323.display : undefined;
  }
}

const SIPVICIOUS_BRANCH = /^z9hG4bK-\d{1,12}$/;
const HEX_EVEN = /^(?:[0-9a-f]{2}){3,96}$/i;
/** svcrack's first REGISTER always carries this tag (SIPVicious 0.3.3, recorded in the fixtures). */
const SVCRACK_FIXED_TAG = '3206210844';

function hexToLatin1(hex: string): string {
  let out = '';
  for (let i = 0; i < hex.length; i += 2) out += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/** True when the hex text holds the byte 0x01 somewhere after the first byte (cheap pre-check). */
function hasSeparatorByte(hex: string): boolean {
  for (let i = 2; i + 1 < hex.length; i += 2) if (hex.charCodeAt(i) === 48 && hex.charCodeAt(i + 1) === 49) return true;
  return false;
}

/** Explains a SIPVicious From tag, or returns undefined when the tag is not one. */
export function decodeSipviciousFromTag(tag: string): string | undefined {
  if (tag === SVCRACK_FIXED_TAG) return "svcrack's fixed first From tag";
  if (!HEX_EVEN.test(tag) || !hasSeparatorByte(tag)) return undefined;
  const decoded = hexToLatin1(tag);
  const sep = decoded.indexOf('\x01');
  if (sep <= 0 || !/^\d+$/.test(decoded.slice(sep + 1))) return undefined;
  const payload = decoded.slice(0, sep);
  if (!/^[\x20-\x7e]+$/.test(payload)) return undefined;
  const svmap = /^([0-9a-f]{8})([0-9a-f]{4})$/.exec(payload);
  if (svmap) {
    const ip = Number.parseInt(svmap[1]!, 16);
    const addr = `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
    return `svmap tag encoding target ${addr}:${Number.parseInt(svmap[2]!, 16)}`;
  }
  const colon = payload.indexOf(':');
  if (colon > 0) return `svcrack tag encoding a password guess for user ${JSON.stringify(payload.slice(0, colon))}`;
  return `svwar tag encoding extension ${JSON.stringify(payload)}`;
}

function detectShape(detector: ShapeDetector, a: CallAttempt): string | undefined {
  return a.protocol === 'sip' ? detectSipShape(detector, a) : detectH323Shape(detector, a);
}

function detectSipShape(detector: ShapeDetector, a: SipAttempt): string | undefined {
  switch (detector) {
    case 'sipvicious-via-branch': {
      const b = a.sip.viaBranch;
      return b !== undefined && SIPVICIOUS_BRANCH.test(b) ? `Via branch ${b}` : undefined;
    }
    case 'sipvicious-from-tag':
      return a.sip.fromTag === undefined ? undefined : decodeSipviciousFromTag(a.sip.fromTag);
    case 'missing-branch-cookie': {
      const b = a.sip.viaBranch;
      if (b === undefined) return 'no Via branch at all';
      return b.startsWith('z9hG4bK') ? undefined : `Via branch ${JSON.stringify(b.slice(0, 40))} lacks z9hG4bK`;
    }
    case 'from-equals-to': {
      const from = a.caller.user;
      return from !== undefined && from !== '' && from === a.target.user
        ? `From user equals target ${from}`
        : undefined;
    }
    default:
      return undefined;
  }
}

/** Metasploit h323_version's fixed Q.931 call reference (encap_q225_standard). */
const MSF_CALL_REFERENCE = 0x733f;
const RANDOM_VENDOR_ID = /^[A-Za-z]{32}$/;
const SHORT_RANDOM_ID = /^[A-Za-z]{1,4}$/;
const SPEEX = /speex/i;
const CISCO = /cisco/i;
const JUST_CISCO = /^\s*cisco\s*$/i;

// These run on every H.323 SETUP judged: length checks before regexes, no allocation unless a marker fires.

function isRandomVendorId(s: string | undefined): boolean {
  return s !== undefined && s.length === 32 && RANDOM_VENDOR_ID.test(s) && /[a-z]/.test(s) && /[A-Z]/.test(s);
}

function randomVendorId(v: H323Vendor | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (isRandomVendorId(v.productId)) return v.productId;
  return isRandomVendorId(v.versionId) ? v.versionId : undefined;
}

function speexProposal(a: H323Attempt): string | undefined {
  const text = a.h323.fastStartText;
  if (!Array.isArray(text)) return undefined;
  for (const t of text) if (SPEEX.test(t)) return t;
  return undefined;
}

/** OpenH323's H.221 vendor code: country 9 (Australia), extension 0, manufacturer 61. */
function isOpenH323Vendor(v: H323Vendor | undefined): boolean {
  return v !== undefined && v.t35CountryCode === 9 && v.t35Extension === 0 && v.manufacturerCode === 61;
}

/** The first of the caller's own names (Display IE, source h323-IDs) that matches. */
function callerName(a: H323Attempt, pattern: RegExp): string | undefined {
  const h = a.h323;
  if (h.display !== undefined && pattern.test(h.display)) return h.display;
  for (const x of h.sourceAliases) {
    if (x.type === 'h323-ID' && typeof x.value === 'string' && pattern.test(x.value)) return x.value;
  }
  return undefined;
}

const MSF_MARKERS = [
  'call reference 0x733f',
  'Display "SYSTEM"',
  'no Called/Calling Party Number',
  'one short h323-ID',
  '32-letter random vendor id',
  'Speex fastStart proposal',
  'Bearer Capability 00 03 88',
] as const;

/** Bit i set: marker MSF_MARKERS[i] of Metasploit h323_version's SETUP is present. */
function metasploitMarkerBits(a: H323Attempt): number {
  const h = a.h323;
  let bits = 0;
  if (h.callReference === MSF_CALL_REFERENCE) bits |= 1;
  if (h.display !== undefined && h.display.length === 6 && h.display.toUpperCase() === 'SYSTEM') bits |= 2;
  if (h.calledNumber === undefined && h.callingNumber === undefined) bits |= 4;
  const only = h.sourceAliases.length === 1 ? h.sourceAliases[0] : undefined;
  if (only !== undefined && only.type === 'h323-ID' && only.value.length <= 4 && SHORT_RANDOM_ID.test(only.value)) {
    bits |= 8;
  }
  if (randomVendorId(h.vendor) !== undefined) bits |= 16;
  if (speexProposal(a) !== undefined) bits |= 32;
  if (h.bearerCapability === '000388') bits |= 64;
  return bits;
}

/** The markers of Metasploit h323_version's SETUP present in the attempt. */
export function metasploitH323Markers(a: H323Attempt): string[] {
  const bits = metasploitMarkerBits(a);
  return MSF_MARKERS.filter((_, i) => (bits & (1 << i)) !== 0);
}

const MSF_MIN_MARKERS = 4;

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

function detectH323Shape(detector: ShapeDetector, a: H323Attempt): string | undefined {
  const h = a.h323;
  // judge() checks only some H.323 fields of attempts from outside the process: read no malformed list.
  if (!Array.isArray(h.sourceAliases) || !Array.isArray(h.destinationAliases)) return undefined;
  switch (detector) {
    case 'h323-msf-version-setup': {
      const bits = metasploitMarkerBits(a);
      if (popcount(bits) < MSF_MIN_MARKERS) return undefined;
      const hits = metasploitH323Markers(a);
      return `${hits.length} of ${MSF_MARKERS.length} markers: ${hits.join(', ')}`;
    }
    case 'h323-msf-call-reference':
      return h.callReference === MSF_CALL_REFERENCE ? 'call reference 0x733f' : undefined;
    case 'h323-random-vendor-id': {
      const id = randomVendorId(h.vendor);
      return id === undefined ? undefined : `vendor id ${JSON.stringify(id)}`;
    }
    case 'h323-speex-faststart': {
      const t = speexProposal(a);
      return t === undefined ? undefined : `fastStart proposes ${JSON.stringify(t.slice(0, 40))}`;
    }
    case 'h323-cisco-on-openh323': {
      const v = h.vendor;
      if (!isOpenH323Vendor(v)) return undefined;
      const claim =
        (v?.productId !== undefined && CISCO.test(v.productId) ? v.productId : undefined) ??
        (v?.versionId !== undefined && CISCO.test(v.versionId) ? v.versionId : undefined) ??
        callerName(a, CISCO);
      return claim === undefined
        ? undefined
        : `${JSON.stringify(claim.slice(0, 40))} with vendor code 9/0/61 (OpenH323)`;
    }
    case 'h323-cisco-caller-name': {
      const name = callerName(a, JUST_CISCO);
      return name === undefined ? undefined : `caller name ${JSON.stringify(name)}`;
    }
    case 'h323-ip-only-destination': {
      if (h.calledNumber !== undefined && h.calledNumber !== '') return undefined;
      for (const x of h.destinationAliases) if (x.type !== 'transportID') return undefined;
      return h.destCallSignalAddress === undefined
        ? 'SETUP names no destination'
        : `destination is only the address ${h.destCallSignalAddress}`;
    }
    default:
      return undefined;
  }
}

interface CompiledMarker {
  id: string;
  weight: number;
  field: FingerprintField;
  pattern: RegExp;
  description: string;
}

interface CompiledShape {
  id: string;
  weight: number;
  detector: ShapeDetector;
  protocol: 'sip' | 'h323';
  methods: readonly string[] | undefined;
}

/**
 * The shapes that apply to one protocol, by method: a method some shape names gets its own list, every
 * other method the shapes without a method list. One lookup per attempt instead of a check per shape.
 */
class ShapesByMethod {
  private readonly named = new Map<string, CompiledShape[]>();
  private readonly anyMethod: CompiledShape[];

  constructor(shapes: readonly CompiledShape[]) {
    this.anyMethod = shapes.filter((s) => s.methods === undefined);
    for (const s of shapes) for (const m of s.methods ?? []) this.named.set(m, []);
    for (const [method, list] of this.named) {
      for (const s of shapes) if (s.methods === undefined || s.methods.includes(method)) list.push(s);
    }
  }

  for(method: string): readonly CompiledShape[] {
    return this.named.get(method) ?? this.anyMethod;
  }
}

interface FieldMarkers {
  field: FingerprintField;
  /** Alternation of every marker on this field: one test rules the field out for clean traffic. */
  any: RegExp;
  markers: CompiledMarker[];
}

/** The fingerprint layer: every marker and shape, with weights resolved from config once. */
export class FingerprintMatcher {
  private readonly fields: FieldMarkers[] = [];
  private readonly sipShapes: ShapesByMethod;
  private readonly h323Shapes: ShapesByMethod;

  constructor(config: GhostguardConfig, weights: RuleWeights) {
    const custom: MarkerFingerprint[] = config.fingerprints.custom.map((c) => ({
      id: c.id,
      description: c.description,
      weight: c.weight,
      source: c.source,
      field: c.field,
      pattern: new RegExp(c.pattern, 'i'),
    }));
    const byField = new Map<FingerprintField, CompiledMarker[]>();
    for (const m of [...BUILTIN_MARKERS, ...custom]) {
      const weight = weights.weight(m.id, m.weight);
      if (weight === undefined) continue;
      const list = byField.get(m.field) ?? [];
      list.push({ id: m.id, weight, field: m.field, pattern: m.pattern, description: m.description });
      byField.set(m.field, list);
    }
    for (const [field, markers] of byField) {
      const any = new RegExp(markers.map((m) => `(?:${m.pattern.source})`).join('|'), 'i');
      this.fields.push({ field, any, markers });
    }
    const shapes: CompiledShape[] = [];
    for (const s of BUILTIN_SHAPES as readonly ShapeFingerprint[]) {
      const weight = weights.weight(s.id, s.weight);
      if (weight !== undefined) {
        shapes.push({ id: s.id, weight, detector: s.detector, protocol: s.protocol ?? 'sip', methods: s.methods });
      }
    }
    this.sipShapes = new ShapesByMethod(shapes.filter((s) => s.protocol === 'sip'));
    this.h323Shapes = new ShapesByMethod(shapes.filter((s) => s.protocol === 'h323'));
  }

  evaluate(a: CallAttempt, out: Reason[]): void {
    for (const f of this.fields) {
      const value = fieldValue(a, f.field);
      if (value === undefined || !f.any.test(value)) continue;
      for (const m of f.markers) {
        if (m.pattern.test(value)) {
          out.push({
            rule: m.id,
            detail: `${m.description}: ${m.field} ${JSON.stringify(value.slice(0, 80))}`,
            weight: m.weight,
          });
        }
      }
    }
    const shapes = (a.protocol === 'h323' ? this.h323Shapes : this.sipShapes).for(a.method);
    for (const s of shapes) {
      const detail = detectShape(s.detector, a);
      if (detail !== undefined) out.push({ rule: s.id, detail, weight: s.weight });
    }
  }
}
