import type { CallAttempt } from '../attempt.js';
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
  if (a.protocol !== 'sip') return undefined;
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
  methods: ReadonlySet<string> | undefined;
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
  private readonly shapes: CompiledShape[] = [];

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
    for (const s of BUILTIN_SHAPES as readonly ShapeFingerprint[]) {
      const weight = weights.weight(s.id, s.weight);
      if (weight !== undefined) {
        this.shapes.push({
          id: s.id,
          weight,
          detector: s.detector,
          methods: s.methods ? new Set(s.methods) : undefined,
        });
      }
    }
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
    for (const s of this.shapes) {
      if (s.methods && !s.methods.has(a.method)) continue;
      const detail = detectShape(s.detector, a);
      if (detail !== undefined) out.push({ rule: s.id, detail, weight: s.weight });
    }
  }
}
