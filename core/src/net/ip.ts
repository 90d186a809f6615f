/**
 * Minimal IP address handling for the hot path: parse once into numbers, derive canonical text
 * and prefix keys (/24, /64) without allocating much. Hand-written because judge() runs it for
 * every attempt and needs only parse, canonicalize, and mask.
 */

export interface ParsedIp {
  family: 4 | 6;
  /** Canonical text: dotted quad, or RFC 5952 IPv6 (IPv4-mapped IPv6 becomes plain IPv4). */
  text: string;
  /** IPv4 as an unsigned 32-bit number (0 for IPv6). */
  v4: number;
  /** IPv6 as eight 16-bit groups (empty for IPv4). */
  v6: readonly number[];
}

export function parseIpv4(s: string): number | undefined {
  const n = s.length;
  if (n < 7 || n > 15) return undefined;
  let value = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return undefined;
      value = value * 256 + part;
      part = 0;
      digits = 0;
      dots++;
      if (dots > 3) return undefined;
    } else if (c >= 48 && c <= 57) {
      // no leading zeros: "010" is octal to some parsers, refuse the ambiguity
      if (digits > 0 && part === 0) return undefined;
      part = part * 10 + (c - 48);
      digits++;
      if (part > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + part;
}

function parseHexGroup(s: string): number | undefined {
  if (s.length === 0 || s.length > 4) return undefined;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let d: number;
    if (c >= 48 && c <= 57) d = c - 48;
    else if (c >= 97 && c <= 102) d = c - 87;
    else if (c >= 65 && c <= 70) d = c - 55;
    else return undefined;
    v = v * 16 + d;
  }
  return v;
}

/** One side of `::` (or the whole address): hex groups, the last one possibly a dotted IPv4. */
function parseSide(side: string): number[] | undefined {
  if (side === '') return [];
  const out: number[] = [];
  const parts = side.split(':');
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      out.push(Math.floor(v4 / 65536), v4 % 65536);
    } else {
      const g = parseHexGroup(p);
      if (g === undefined) return undefined;
      out.push(g);
    }
  }
  return out;
}

export function parseIpv6(input: string): number[] | undefined {
  let s = input;
  if (s.length < 2 || s.length > 45 || !s.includes(':')) return undefined;
  if (s.charCodeAt(0) === 91 /* [ */) {
    if (!s.endsWith(']')) return undefined;
    s = s.slice(1, -1);
  }
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = parseSide(halves[0]!);
  if (!head) return undefined;
  if (halves.length === 1) return head.length === 8 ? head : undefined;
  const tail = parseSide(halves[1]!);
  if (!tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (missing < 1) return undefined;
  return [...head, ...new Array<number>(missing).fill(0), ...tail];
}

export function formatIpv4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/** RFC 5952: lower case, no leading zeros, longest run (>= 2) of zero groups as `::`. */
export function formatIpv6(g: readonly number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const left = g
    .slice(0, bestStart)
    .map((x) => x.toString(16))
    .join(':');
  const right = g
    .slice(bestStart + bestLen)
    .map((x) => x.toString(16))
    .join(':');
  return `${left}::${right}`;
}

function isV4Mapped(g: readonly number[]): boolean {
  return g[0] === 0 && g[1] === 0 && g[2] === 0 && g[3] === 0 && g[4] === 0 && g[5] === 0xffff;
}

const EMPTY: readonly number[] = Object.freeze([]);

/**
 * IPv6 parsing and RFC 5952 formatting cost ~0.3 µs; a scanner repeats its address on every attempt,
 * so the last few thousand results are kept (bounded: the cache is cleared when full).
 */
const V6_CACHE_MAX = 4096;
const v6Cache = new Map<string, ParsedIp | null>();

export function parseIp(input: string): ParsedIp | undefined {
  if (typeof input !== 'string') return undefined;
  const v4 = parseIpv4(input);
  if (v4 !== undefined) return { family: 4, text: input, v4, v6: EMPTY };
  const cached = v6Cache.get(input);
  if (cached !== undefined) return cached ?? undefined;
  const parsed = parseIpUncached(input);
  if (parsed) Object.freeze(parsed);
  if (input.length <= 64) {
    if (v6Cache.size >= V6_CACHE_MAX) v6Cache.clear();
    v6Cache.set(input, parsed ?? null);
  }
  return parsed;
}

function parseIpUncached(input: string): ParsedIp | undefined {
  const g = parseIpv6(input);
  if (!g) return undefined;
  if (isV4Mapped(g)) {
    const mapped = g[6]! * 65536 + g[7]!;
    return { family: 4, text: formatIpv4(mapped), v4: mapped, v6: EMPTY };
  }
  return { family: 6, text: formatIpv6(g), v4: 0, v6: g };
}

export function isIpLiteral(host: string): boolean {
  return parseIpv4(host) !== undefined || parseIpv6(host) !== undefined;
}

/** Network part of an IPv4 address as a number (prefix length 0..32). */
export function maskV4(v: number, len: number): number {
  if (len <= 0) return 0;
  if (len >= 32) return v;
  return (v & (-1 << (32 - len))) >>> 0;
}

/** Pooled argument arrays for String.fromCharCode, one per group count. */
const GROUP_ARGS: number[][] = Array.from({ length: 9 }, (_, n) => new Array<number>(n).fill(0));

/**
 * Network part of an IPv6 address as a map key (prefix length 0..128): one UTF-16 code unit per group
 * the prefix covers, masked. Not text to show (see prefixKey); made in one builtin call, where hex text
 * cost a number conversion and a concatenation per group on every judged IPv6 source.
 */
export function maskV6Key(g: readonly number[], len: number): string {
  const n = Math.min(8, Math.max(0, Math.ceil(len / 16)));
  const args = GROUP_ARGS[n]!;
  for (let i = 0; i < n; i++) args[i] = maskedGroup(g, i, len);
  return String.fromCharCode.apply(null, args);
}

/** Group i of an address under a prefix of `len` bits (0 once the prefix has ended). */
function maskedGroup(g: readonly number[], i: number, len: number): number {
  const bits = Math.max(0, Math.min(16, len - i * 16));
  return bits === 16 ? g[i]! : g[i]! & (0xffff << (16 - bits)) & 0xffff;
}

/** The groups a prefix covers, masked, as hex text ending in `:` (`2001:db8:1:2:` for a /64). */
function maskV6Text(g: readonly number[], len: number): string {
  let key = '';
  for (let i = 0; i < 8 && len > i * 16; i++) key += `${maskedGroup(g, i, len).toString(16)}:`;
  return key;
}

/** Key of the prefix an address belongs to, e.g. `1.2.3.0/24` or `2001:db8:0:1::/64`. */
export function prefixKey(ip: ParsedIp, v4Len: number, v6Len: number): string {
  if (ip.family === 4) return `${formatIpv4(maskV4(ip.v4, v4Len))}/${v4Len}`;
  return `${maskV6Text(ip.v6, v6Len)}:/${v6Len}`;
}

/**
 * True for addresses that are not globally routable and that a NAT or a host itself hands out (RFC 6890's
 * special-purpose registry, the parts a SIP client can legitimately write into Via/Contact/SDP): IPv4
 * 0/8, 10/8, 100.64/10 (carrier NAT), 127/8, 169.254/16, 172.16/12, 192.168/16, multicast and reserved
 * (224/3); IPv6 ::, ::1, fc00::/7 (ULA), fe80::/10, ff00::/8. The documentation ranges (192.0.2/24,
 * 198.51.100/24, 203.0.113/24, 2001:db8::/32) count as public: they stand for public addresses in examples.
 */
export function isPrivateUse(ip: ParsedIp): boolean {
  if (ip.family === 4) return isPrivateV4(ip.v4);
  const g0 = ip.v6[0]!;
  if ((g0 & 0xfe00) === 0xfc00 || (g0 & 0xffc0) === 0xfe80 || (g0 & 0xff00) === 0xff00) return true;
  // :: and ::1
  for (let i = 0; i < 7; i++) if (ip.v6[i] !== 0) return false;
  return ip.v6[7]! <= 1;
}

/** isPrivateUse for an IPv4 address as a number (parseIpv4). */
export function isPrivateV4(v4: number): boolean {
  const a = v4 >>> 24;
  const b = (v4 >>> 16) & 0xff;
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    a >= 224 ||
    (a === 100 && b >= 64 && b < 128) ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b < 32) ||
    (a === 192 && b === 168)
  );
}
