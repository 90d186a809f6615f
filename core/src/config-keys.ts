import type { z } from 'zod';
import { formatIpv4, formatIpv6, maskV4, parseIp } from './net/ip.js';

/**
 * Unknown keys anywhere in a configuration, found by walking the input beside its zod schema: an object
 * schema (strict or not) names every key it knows, so a typo inside any section (`trust.cidr`,
 * `bans.banscore`, `behaviour.windw`) is an error with its full key path and the nearest known key. Opaque
 * parts (`z.unknown()`, records of free keys, `.loose()` objects) are left to their owners.
 */
export interface UnknownKey {
  path: string[];
  key: string;
  /** The known key closest to the typo, when one is close enough to be what was meant. */
  suggestion?: string;
  known: string[];
}

interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  in?: z.ZodType;
  out?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  items?: z.ZodType[];
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Bounds the walk: configurations are small, but a YAML alias bomb must not make this quadratic. */
const MAX_NODES = 100_000;

export function findUnknownKeys(schema: z.ZodType, input: unknown, prefix: readonly string[] = []): UnknownKey[] {
  const out: UnknownKey[] = [];
  const budget = { nodes: 0 };
  walk(schema, input, [...prefix], out, budget, 0);
  return out;
}

/** The type under optional/default/pipe wrappers. */
function baseType(schema: z.ZodType): string {
  let def = defOf(schema);
  for (let i = 0; i < 16; i++) {
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) break;
    def = defOf(inner);
  }
  return def.type;
}

function walk(
  schema: z.ZodType,
  input: unknown,
  path: string[],
  out: UnknownKey[],
  budget: { nodes: number },
  depth: number,
): void {
  if (input === undefined || input === null || depth > 64 || ++budget.nodes > MAX_NODES) return;
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      if (def.innerType) walk(def.innerType, input, path, out, budget, depth + 1);
      return;
    case 'pipe':
      if (def.in) walk(def.in, input, path, out, budget, depth + 1);
      return;
    case 'lazy':
      if (def.getter) walk(def.getter(), input, path, out, budget, depth + 1);
      return;
    case 'object': {
      if (!isPlainObject(input) || !def.shape) return;
      const shape = def.shape;
      const known = Object.keys(shape);
      // loose()/passthrough() and catchall(<schema>) objects take any key on purpose; strict() has catchall never
      const takesAny = def.catchall !== undefined && defOf(def.catchall).type !== 'never';
      for (const [key, value] of Object.entries(input)) {
        const child = shape[key];
        if (child) walk(child, value, [...path, key], out, budget, depth + 1);
        else if (takesAny && def.catchall) walk(def.catchall, value, [...path, key], out, budget, depth + 1);
        else {
          const suggestion = nearest(key, known);
          out.push({ path, key, known, ...(suggestion ? { suggestion } : {}) });
        }
      }
      return;
    }
    case 'array':
      if (Array.isArray(input) && def.element) {
        input.forEach((item, i) => {
          walk(def.element as z.ZodType, item, [...path, String(i)], out, budget, depth + 1);
        });
      }
      return;
    case 'tuple':
      if (Array.isArray(input) && def.items) {
        def.items.forEach((item, i) => {
          walk(item, input[i], [...path, String(i)], out, budget, depth + 1);
        });
      }
      return;
    case 'record':
      if (isPlainObject(input) && def.valueType) {
        for (const [key, value] of Object.entries(input)) {
          walk(def.valueType, value, [...path, key], out, budget, depth + 1);
        }
      }
      return;
    case 'union': {
      // an object goes to the object options; among them, the one that knows the most of its keys
      if (!def.options || !isPlainObject(input)) return;
      let best: UnknownKey[] | undefined;
      for (const option of def.options) {
        if (baseType(option) !== 'object') continue;
        const found: UnknownKey[] = [];
        walk(option, input, path, found, budget, depth + 1);
        if (!best || found.length < best.length) best = found;
      }
      if (best) out.push(...best);
      return;
    }
    default:
      return;
  }
}

/** The known key nearest to `key` (case-insensitive edit distance ≤ a third of its length, at least 1). */
export function nearest(key: string, known: readonly string[]): string | undefined {
  const k = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const c = candidate.toLowerCase();
    // a key cut short or run on (`alias` for `aliases`) is what was meant, however many letters differ
    const prefix = Math.min(c.length, k.length) >= 3 && (c.startsWith(k) || k.startsWith(c));
    const d = c === k || prefix ? 0 : distance(k, c);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

/** Levenshtein distance, keys are short (a configuration key, at most 64 characters compared). */
function distance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? Number.POSITIVE_INFINITY;
}

/** `  <path>: unknown key "x" (did you mean "y"?)`, the line format of formatConfigIssues. */
export function formatUnknownKey(u: UnknownKey): string {
  const where = [...u.path, u.key].join('.');
  const hint = u.suggestion
    ? ` (did you mean "${u.suggestion}"?)`
    : u.known.length
      ? ` (known keys here: ${u.known.join(', ')})`
      : '';
  return `  ${where}: unknown key${hint}`;
}

/**
 * What is wrong with a network written as text, or undefined when it is right: not an address, a prefix
 * length out of range, or host bits set below the prefix (`1.2.3.4/8`: the network is `1.0.0.0/8`; what
 * was meant cannot be guessed, so it is an error that names both readings).
 */
export function cidrProblem(text: string): string | undefined {
  const slash = text.indexOf('/');
  const addrText = (slash >= 0 ? text.slice(0, slash) : text).trim();
  const ip = parseIp(addrText);
  if (!ip) return `an IP address or CIDR like 192.0.2.0/24 or 2001:db8::/32 (got ${JSON.stringify(text)})`;
  if (slash < 0) return undefined;
  const lenText = text.slice(slash + 1).trim();
  const mapped = ip.family === 4 && addrText.includes(':');
  const max = ip.family === 4 && !mapped ? 32 : 128;
  const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : Number.NaN;
  const effective = mapped ? len - 96 : len;
  if (!(len >= 0 && len <= max) || !(effective >= 0)) {
    return `an IP address or CIDR with a prefix length ${mapped ? '96' : '0'} to ${max} (got ${JSON.stringify(text)})`;
  }
  const network = ip.family === 4 ? formatIpv4(maskV4(ip.v4, effective)) : formatIpv6(maskV6(ip.v6, effective));
  const hostBitsSet =
    ip.family === 4
      ? maskV4(ip.v4, effective) !== ip.v4 >>> 0
      : ip.v6.some((g, i) => g !== maskV6(ip.v6, effective)[i]);
  if (hostBitsSet) {
    return `an IP address or CIDR without host bits set (got ${JSON.stringify(text)}): write the network ${network}/${effective} or the single address ${addrText}`;
  }
  return undefined;
}

function maskV6(g: readonly number[], len: number): number[] {
  return g.map((group, i) => {
    const bits = Math.max(0, Math.min(16, len - i * 16));
    return bits === 16 ? group : group & (0xffff << (16 - bits)) & 0xffff;
  });
}
