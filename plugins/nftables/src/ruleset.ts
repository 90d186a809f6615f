import { formatIpv6, parseIp } from '@ghostguard/core';

/**
 * The table the bouncer owns, `table inet <name>`: one chain on the input hook, and sets by what they hold.
 *
 * - `ban4`/`ban6`: banned addresses. Hash sets with `flags timeout`, not interval sets: nft 1.0.6 reads every
 *   element of every interval set in the table before each run (its overlap check), so 20,000 elements in an
 *   interval set made a one-element run cost ~70 ms instead of ~3 ms here; addresses are most of what a flood
 *   leaves, prefixes are few.
 * - `net4_<len>`/`net6_<len>`: prefix bans of one length each, `flags interval, timeout`: the guard's folds
 *   (/24 and /16, /64 and /48 by default) and networks banned by hand at any length. One set per length because
 *   an interval set refuses overlapping elements, and the guard's bans overlap (a /16 folded from /24s it already
 *   banned, a /22 by hand over a folded /24); prefixes of one length never overlap. The sets of the guard's fold
 *   lengths always exist; a set for another length is made (with its rule) in the batch that first needs it.
 * - `trust4`/`trust6`: the guard's allowlist (trust.cidrs), merged into disjoint ranges; matched first with
 *   `return`, so a trusted address inside a banned prefix passes, as it does in the guard (trust before bans).
 * - `feed4`/`feed6`: the reputation feeds' entries (option `feeds`), merged into disjoint ranges like trust, and
 *   matched right after it with `drop`, before `lifted`: a lift by hand is of a ban, not of a feed's listing (the
 *   guard refuses a listed source whatever its bans).
 * - `lifted4`/`lifted6`: addresses an operator lifted inside a banned prefix (the guard exempts them), with the
 *   prefix's remaining time, also matched with `return`.
 */
export type SlotName = string;

export interface Slot {
  readonly name: SlotName;
  readonly family: 4 | 6;
  readonly interval: boolean;
  /** `return` for the sets that let a packet pass the drop rules, `drop` for the others. */
  readonly verdict: 'return' | 'drop';
}

/** The sets that always exist besides the prefix sets, in rule order: the passes first, then the drops. */
export const FIXED_SLOTS: readonly Slot[] = [
  { name: 'lifted4', family: 4, interval: false, verdict: 'return' },
  { name: 'lifted6', family: 6, interval: false, verdict: 'return' },
  { name: 'ban4', family: 4, interval: false, verdict: 'drop' },
  { name: 'ban6', family: 6, interval: false, verdict: 'drop' },
];

const FIXED_BY_NAME = new Map(FIXED_SLOTS.map((s) => [s.name, s]));
const PREFIX_SLOT = /^net([46])_(\d{1,3})$/;

/** The set of prefix bans of `len` bits. */
export function prefixSlot(family: 4 | 6, len: number): SlotName {
  return `net${family}_${len}`;
}

/** What a set name stands for, or undefined when it is not one of the bouncer's element sets (trust, another). */
export function slotOf(name: string): Slot | undefined {
  const fixed = FIXED_BY_NAME.get(name);
  if (fixed !== undefined) return fixed;
  const m = PREFIX_SLOT.exec(name);
  if (m === null) return undefined;
  const family = m[1] === '4' ? 4 : 6;
  const len = Number(m[2]);
  if (len > (family === 4 ? 32 : 128)) return undefined;
  return { name, family, interval: true, verdict: 'drop' };
}

/** Rule order: the fixed sets as listed, then the prefix sets, longest first within each family. */
export function orderSlots(names: Iterable<SlotName>): Slot[] {
  const prefixes = [...new Set(names)]
    .filter((n) => !FIXED_BY_NAME.has(n))
    .flatMap((n) => {
      const s = slotOf(n);
      return s === undefined ? [] : [s];
    })
    .sort((a, b) => a.family - b.family || prefixLen(b.name) - prefixLen(a.name));
  return [...FIXED_SLOTS, ...prefixes];
}

function prefixLen(name: string): number {
  return Number(name.slice(name.indexOf('_') + 1));
}

export const CHAIN = 'input';

/** nft's match for a family's source address. */
function saddr(family: 4 | 6): string {
  return family === 4 ? 'ip saddr' : 'ip6 saddr';
}

function setType(family: 4 | 6): string {
  return family === 4 ? 'ipv4_addr' : 'ipv6_addr';
}

function addSet(t: string, s: Slot): string {
  return `add set ${t} ${s.name} { type ${setType(s.family)}; flags ${s.interval ? 'interval, ' : ''}timeout; }`;
}

function addRule(t: string, s: Slot): string {
  return `add rule ${t} ${CHAIN} ${saddr(s.family)} @${s.name} counter ${s.verdict}`;
}

/**
 * Commands that create what is missing of the table and (re)write its chain, its rules and the trust sets, in one
 * transaction: `add` leaves existing sets and their elements alone, `flush chain` + the rules make the chain
 * exactly ours again. Fails (nft: File exists) when a set of the same name has other flags: then {@link rebuild}.
 */
export function structureScript(
  table: string,
  priority: number,
  trust: TrustRanges,
  slots: readonly Slot[],
  feeds: TrustRanges = { v4: [], v6: [] },
): string {
  const t = `inet ${table}`;
  const lines = [`add table ${t}`];
  for (const family of [4, 6] as const) {
    lines.push(`add set ${t} trust${family} { type ${setType(family)}; flags interval; }`);
    lines.push(`add set ${t} feed${family} { type ${setType(family)}; flags interval; }`);
  }
  for (const s of slots) lines.push(addSet(t, s));
  lines.push(`add chain ${t} ${CHAIN} { type filter hook input priority ${priority}; policy accept; }`);
  lines.push(`flush chain ${t} ${CHAIN}`);
  for (const family of [4, 6] as const) lines.push(`add rule ${t} ${CHAIN} ${saddr(family)} @trust${family} return`);
  for (const family of [4, 6] as const)
    lines.push(`add rule ${t} ${CHAIN} ${saddr(family)} @feed${family} counter drop`);
  for (const s of slots) lines.push(addRule(t, s));
  for (const [name, list] of [
    ['trust', trust],
    ['feed', feeds],
  ] as const) {
    for (const family of [4, 6] as const) {
      lines.push(`flush set ${t} ${name}${family}`);
      const ranges = family === 4 ? list.v4 : list.v6;
      if (ranges.length > 0) lines.push(`add element ${t} ${name}${family} { ${ranges.join(', ')} }`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** A prefix set made while running (a length first seen): the set and its drop rule, at the end of the chain. */
export function addSlotLines(table: string, s: Slot): string[] {
  const t = `inet ${table}`;
  return [addSet(t, s), addRule(t, s)];
}

/** The table dropped and made again in one transaction (no moment without it): after a shape change. */
export function rebuildScript(
  table: string,
  priority: number,
  trust: TrustRanges,
  slots: readonly Slot[],
  feeds?: TrustRanges,
): string {
  return `add table inet ${table}\ndelete table inet ${table}\n${structureScript(table, priority, trust, slots, feeds)}`;
}

/** `delete table` for `ghostguard firewall flush`. */
export function flushScript(table: string): string {
  return `delete table inet ${table}\n`;
}

/** An element timeout in nft's syntax (milliseconds are accepted: `timeout 3600000ms`). */
export function timeoutText(ms: number): string {
  return `${Math.max(1, Math.ceil(ms))}ms`;
}

export interface TrustRanges {
  /** Disjoint, sorted, each `a.b.c.d` or `a.b.c.d-e.f.g.h`. */
  v4: string[];
  v6: string[];
}

/**
 * The allowlist as disjoint ranges: entries may overlap in the configuration (10.0.0.0/8 and 10.1.0.0/16), which an
 * interval set refuses. Entries are `addr`, `addr/len`, or `{ address }` objects (trust.cidrs' two spellings);
 * one that does not parse is skipped (the guard's configuration validation refused it already).
 */
export function trustRanges(entries: ReadonlyArray<string | { address: string }>): TrustRanges {
  const v4: Array<[bigint, bigint]> = [];
  const v6: Array<[bigint, bigint]> = [];
  for (const entry of entries) {
    const text = typeof entry === 'string' ? entry : entry.address;
    const r = rangeOf(text);
    if (r !== undefined) (r.family === 4 ? v4 : v6).push([r.start, r.end]);
  }
  return { v4: merge(v4).map(([a, b]) => rangeText(4, a, b)), v6: merge(v6).map(([a, b]) => rangeText(6, a, b)) };
}

interface NumericRange {
  family: 4 | 6;
  start: bigint;
  end: bigint;
}

/** `addr` or `addr/len` as a numeric range (host bits below the prefix are masked, as the guard's CidrSet does). */
export function rangeOf(text: string): NumericRange | undefined {
  const slash = text.indexOf('/');
  const addrText = (slash >= 0 ? text.slice(0, slash) : text).trim();
  const ip = parseIp(addrText);
  if (ip === undefined) return undefined;
  const bits = ip.family === 4 ? 32 : 128;
  let len = slash >= 0 ? Number(text.slice(slash + 1).trim()) : bits;
  // IPv4-mapped IPv6 prefixes (::ffff:0:0/96 and longer) are IPv4 networks, as in the guard.
  if (ip.family === 4 && addrText.includes(':') && slash >= 0) len -= 96;
  if (!Number.isInteger(len) || len < 0 || len > bits) return undefined;
  const value = ip.family === 4 ? BigInt(ip.v4) : ip.v6.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
  const hostBits = BigInt(bits - len);
  const start = (value >> hostBits) << hostBits;
  return { family: ip.family, start, end: start + (1n << hostBits) - 1n };
}

function merge(ranges: Array<[bigint, bigint]>): Array<[bigint, bigint]> {
  ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Array<[bigint, bigint]> = [];
  for (const r of ranges) {
    const last = out.at(-1);
    if (last !== undefined && r[0] <= last[1] + 1n) {
      if (r[1] > last[1]) last[1] = r[1];
    } else out.push([r[0], r[1]]);
  }
  return out;
}

function addressText(family: 4 | 6, v: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 255n)).join('.');
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((v >> BigInt(i * 16)) & 0xffffn));
  return formatIpv6(groups);
}

function rangeText(family: 4 | 6, a: bigint, b: bigint): string {
  return a === b ? addressText(family, a) : `${addressText(family, a)}-${addressText(family, b)}`;
}
