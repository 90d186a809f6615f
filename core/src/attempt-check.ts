import type { CallAttempt } from './attempt.js';

/**
 * Cheap structural checks of the fields the rules read, for judge()'s hot path (the full zod schema
 * is for input from outside the process: JSON lines, remote adapters). Each returns what is wrong, or
 * undefined. Split in two so a banned source is refused after the first, shorter check.
 */

/** What the trust and known-bad layers read: protocol, method, source.ip, time. */
export function checkAttemptEnvelope(a: unknown): string | undefined {
  if (typeof a !== 'object' || a === null) return 'attempt is not an object';
  const x = a as Partial<CallAttempt>;
  if (x.protocol !== 'sip' && x.protocol !== 'h323') return 'protocol is neither sip nor h323';
  if (typeof x.method !== 'string' || x.method.length === 0 || x.method.length > 32) {
    return 'method is missing or too long';
  }
  const src = x.source as { ip?: unknown } | undefined;
  if (typeof src !== 'object' || src === null || typeof src.ip !== 'string') return 'source.ip is missing';
  if (typeof x.time !== 'number' || !Number.isFinite(x.time)) return 'time is not a finite number';
  return undefined;
}

/** Everything else the fingerprint, dial-shape and behaviour layers read (call after the envelope check). */
export function checkAttemptBody(a: CallAttempt): string | undefined {
  const x = a as Partial<CallAttempt> & Record<string, unknown>;
  if (!isParty(x.target)) return 'target is not a party object with string fields';
  if (!isParty(x.caller)) return 'caller is not a party object with string fields';
  if (!optionalString(x.userAgent)) return 'userAgent is not a string';
  if (x.protocol === 'sip') {
    const s = x.sip as unknown as Record<string, unknown> | undefined;
    if (typeof s !== 'object' || s === null) return 'sip section is missing';
    for (const k of ['viaBranch', 'fromTag', 'toUri', 'sdpSessionName'] as const) {
      if (!optionalString(s[k])) return `sip.${k} is not a string`;
    }
  } else {
    const h = x.h323 as unknown as Record<string, unknown> | undefined;
    if (typeof h !== 'object' || h === null) return 'h323 section is missing';
    if (!optionalString(h.display)) return 'h323.display is not a string';
    if (!Array.isArray(h.sourceAliases) || !Array.isArray(h.destinationAliases)) return 'h323 alias lists are missing';
    const v = h.vendor as Record<string, unknown> | undefined;
    if (
      v !== undefined &&
      (typeof v !== 'object' || v === null || !optionalString(v.productId) || !optionalString(v.versionId))
    ) {
      return 'h323.vendor is malformed';
    }
  }
  return undefined;
}

function optionalString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

function isParty(p: unknown): boolean {
  if (typeof p !== 'object' || p === null) return false;
  const o = p as Record<string, unknown>;
  return optionalString(o.user) && optionalString(o.host) && optionalString(o.display);
}

export function checkAttemptShape(a: unknown): string | undefined {
  return checkAttemptEnvelope(a) ?? checkAttemptBody(a as CallAttempt);
}
