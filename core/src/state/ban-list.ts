import { maskV4, maskV6Key, type ParsedIp, parseIp, prefixKey } from '../net/ip.js';
import type { BanInfo } from '../verdict.js';
import { type ParsedRange, parseRange, RangeIndex } from './range-index.js';
import { TieredHeap, type TieredItem } from './tiered-heap.js';

/** Prefix aggregation (Kamailio pike's idea): many banned addresses of one network become one entry. */
export interface BanAggregation {
  /** Banned addresses of one first-level prefix (or first-level prefixes of one second-level) that fold; 0: off. */
  after: number;
  /** Prefix lengths, first level then second: [24, 16] for IPv4, [64, 48] for IPv6. */
  v4: readonly [number, number];
  v6: readonly [number, number];
}

export interface BanPolicy {
  ttl: number;
  escalation: number;
  maxTtl: number;
  offenseMemory: number;
  maxBans: number;
  /** Upper bound on offence records (default: maxBans). */
  maxOffenses?: number;
  aggregate?: BanAggregation;
}

export interface OffenseRecord {
  count: number;
  last: number;
}

/** A ban as the store keeps it: a prefix or range ban carries the addresses lifted by hand inside it. */
export type StoredBan = BanInfo & { exempt?: readonly string[] };

export interface BanSnapshot {
  bans: StoredBan[];
  offenses: Array<{ ip: string } & OffenseRecord>;
}

/** `replica`: lifted elsewhere (another node, via the shared store) and applied here. */
export type UnbanCause = 'expired' | 'removed' | 'replica';
/** `local`: decided by this guard; `replica`: decided elsewhere and merged here (not to be re-published). */
export type BanOrigin = 'local' | 'replica';

export interface BanListListener {
  onBan(ban: BanInfo, origin: BanOrigin): void;
  onUnban(ip: string, cause: UnbanCause): void;
  /** Offence records written or dropped (for a store that persists them). */
  onOffense?(ip: string, record: OffenseRecord | undefined): void;
  /**
   * What is on file changed for `ip` (an address or a prefix's text): written, or taken off (`undefined`).
   * Unlike onBan/onUnban this includes quiet changes (prefix folding), so a store can mirror the list exactly.
   */
  onStored?(ip: string, ban: StoredBan | undefined): void;
}

const DEFAULT_AGGREGATION: BanAggregation = { after: 0, v4: [24, 16], v6: [64, 48] };
/** Addresses lifted by hand out of one prefix ban before the whole prefix is lifted instead. */
const MAX_EXEMPT = 1024;

/**
 * One ban on file: an address (level 0), a prefix the list folded or merged (level 1: /24 or /64; level 2: /16
 * or /48), or a range banned by hand at another length (level 3: `198.51.100.0/22`).
 */
class BanEntry implements TieredItem {
  tier: number;
  time: number;
  heapIndex = -1;
  /** Lifted by hand inside a prefix ban (canonical texts). */
  exempt: Set<string> | null = null;
  /** The first-level and second-level prefix keys this entry belongs to (undefined above its level). */
  k1: number | string | undefined;
  k2: number | string | undefined;
  /** Level 3: the network. */
  range: ParsedRange | undefined;

  constructor(
    public ban: BanInfo,
    readonly level: 0 | 1 | 2 | 3,
  ) {
    this.tier = tierFor(ban, level);
    this.time = ban.until;
  }
}

/**
 * A ban's weight against eviction: its offence count; a prefix ban stands for many offences, so it counts at
 * least as a second offence (/24, /64) or a third (/16, /48).
 */
function tierFor(ban: BanInfo, level: 0 | 1 | 2 | 3): number {
  return TieredHeap.tierOf(Math.max(ban.offense, level + 1));
}

class OffenseEntry implements TieredItem, OffenseRecord {
  tier: number;
  time: number;
  heapIndex = -1;

  constructor(
    readonly ip: string,
    public count: number,
    public last: number,
  ) {
    this.tier = TieredHeap.tierOf(count);
    this.time = last;
  }
}

/**
 * Active bans by canonical IP, with escalating TTLs: each repeat offence (within `offenseMemory`) multiplies the
 * TTL by `escalation`, up to `maxTtl`.
 *
 * Bounded so that a flood cannot wash a repeat offender out: at `maxBans` the victim is the ban with the fewest
 * offences that ends soonest (a {@link TieredHeap}: O(log n), no sort), and a newcomer with fewer offences than
 * every ban on file is not admitted (an operator's ban always is). Offence records are bounded the same way
 * (`maxOffenses`, fewest offences and oldest first), so a one-shot flood churns one-shot records only.
 *
 * Prefix aggregation: once `aggregate.after` addresses of one /24 (/64) are banned, they fold into one ban of
 * the prefix; once `after` prefixes of one /16 (/48) are banned, those fold again. An address inside a banned
 * prefix is banned (after the trust layer: see {@link BanList.lookup}); the memory a flood costs grows with
 * the networks it comes from, not its addresses. Expiry is lazy on lookup plus a sweep that pops only what
 * ended.
 */
export class BanList {
  private readonly active = new Map<string, BanEntry>();
  /** Prefix bans by level (index 1, 2), keyed by the masked IPv4 number or the IPv6 prefix key. */
  private readonly prefixBans: [undefined, Map<number | string, BanEntry>, Map<number | string, BanEntry>] = [
    undefined,
    new Map(),
    new Map(),
  ];
  /** Per prefix key: the banned members not folded yet (level 1: address texts; level 2: level-1 keys). */
  private readonly groups: [undefined, Map<number | string, string[]>, Map<number | string, Array<number | string>>] = [
    undefined,
    new Map(),
    new Map(),
  ];
  /** Per second-level key: the first-level keys with a group of unfolded addresses (for a fold at level 2). */
  private readonly subgroups = new Map<number | string, Set<number | string>>();
  /** Ranges banned by hand (or merged) at lengths the list does not fold to. */
  private readonly ranges = new RangeIndex<BanEntry>();
  private readonly heap = new TieredHeap<BanEntry>();
  private readonly offenses = new Map<string, OffenseEntry>();
  private readonly offenseHeap = new TieredHeap<OffenseEntry>();
  private readonly aggregation: BanAggregation;
  /** Automatic bans not admitted at the cap (every ban on file had more offences). */
  refusedAtCap = 0;
  /** Addresses folded into prefix bans. */
  folded = 0;
  /** True while restore() runs: what comes from the store is not written back. */
  private restoring = false;

  constructor(
    private policy: BanPolicy,
    private readonly listener: BanListListener,
  ) {
    // Prefix lengths are fixed for the life of the list (a reload that changes them needs a restart).
    this.aggregation = policy.aggregate ?? DEFAULT_AGGREGATION;
  }

  /** New TTLs and caps for bans made from now on (a config reload); active bans keep their end. */
  setPolicy(policy: BanPolicy): void {
    this.policy = policy;
    this.enforceCaps();
  }

  /** Bans on file: addresses and prefixes. */
  get size(): number {
    return this.heap.size;
  }

  get prefixCount(): number {
    return this.prefixBans[1].size + this.prefixBans[2].size + this.ranges.size;
  }

  get offenseCount(): number {
    return this.offenses.size;
  }

  private get maxOffenses(): number {
    return this.policy.maxOffenses ?? this.policy.maxBans;
  }

  private get after(): number {
    return this.policy.aggregate?.after ?? this.aggregation.after;
  }

  /** The active ban of exactly `ip` (canonical text) at `now`, expiring it if its time is over. */
  get(ip: string, now: number): BanInfo | undefined {
    const e = this.active.get(ip);
    if (e === undefined) return undefined;
    if (e.ban.until > now) return e.ban;
    this.drop(e, 'expired');
    return undefined;
  }

  /**
   * The ban that applies to `ip`: its own, or the prefix ban that covers it. Prefix bans are not checked by
   * get() on purpose: the guard's fast path runs get() before the trust layer (an allowlisted address is never
   * banned on its own), and lookup() after it (an allowlisted address inside a banned prefix stays trusted).
   */
  lookup(ip: ParsedIp, now: number): BanInfo | undefined {
    return this.get(ip.text, now) ?? this.covering(ip, now)?.ban;
  }

  private covering(ip: ParsedIp, now: number): BanEntry | undefined {
    const p1 = this.prefixBans[1];
    const p2 = this.prefixBans[2];
    if (p1.size === 0 && p2.size === 0) return this.coveringRange(ip, now);
    const [k1, k2] = this.keysOf(ip);
    for (const [map, key] of [
      [p2, k2],
      [p1, k1],
    ] as const) {
      const e = map.get(key);
      if (e === undefined) continue;
      if (e.ban.until <= now) {
        this.drop(e, 'expired');
        continue;
      }
      if (e.exempt?.has(ip.text)) continue;
      return e;
    }
    return this.coveringRange(ip, now);
  }

  /** The longest range ban containing `ip` that has not ended and does not exempt it. */
  private coveringRange(ip: ParsedIp, now: number): BanEntry | undefined {
    if (this.ranges.size === 0) return undefined;
    let ended: BanEntry | undefined;
    const hit = this.ranges.find(ip, (e) => {
      if (e.ban.until <= now) {
        ended ??= e;
        return false;
      }
      return !e.exempt?.has(ip.text);
    });
    // one ended range taken off per lookup (the sweep takes the rest): no change to the index while find() runs
    if (ended !== undefined) this.drop(ended, 'expired');
    return hit;
  }

  private coveredText(ip: string, now: number): boolean {
    const parsed = parseIp(ip);
    return parsed !== undefined && this.covering(parsed, now) !== undefined;
  }

  private keysOf(ip: ParsedIp): [number | string, number | string] {
    const a = this.aggregation;
    return ip.family === 4
      ? [maskV4(ip.v4, a.v4[0]) | 0, maskV4(ip.v4, a.v4[1]) | 0]
      : [maskV6Key(ip.v6, a.v6[0]), maskV6Key(ip.v6, a.v6[1])];
  }

  /**
   * Bans `ip` (or extends an active ban), escalating the TTL for repeat offenders. `force`: an operator's ban,
   * admitted at the cap whatever it evicts.
   */
  add(ip: string, reason: string, now: number, ttl?: number, force = false): BanInfo {
    const prior = this.offenses.get(ip);
    const count = prior && now - prior.last <= this.policy.offenseMemory ? prior.count + 1 : 1;
    const duration =
      ttl ?? Math.min(this.policy.maxTtl, this.policy.ttl * this.policy.escalation ** Math.min(count - 1, 32));
    const ban: BanInfo = {
      ip,
      reason,
      since: now,
      until: now + duration,
      offense: count,
      origin: force ? 'operator' : 'automatic',
    };
    // An address inside a banned prefix gets no offence record of its own: the prefix ban carries it, and the
    // records stay as many as the networks, not the addresses.
    const covered = prior === undefined && this.prefixCount > 0 && this.coveredText(ip, now);
    if (!covered) this.recordOffense(ip, count, now);
    if (!this.place(ban, force)) {
      this.refusedAtCap++;
      return ban;
    }
    this.listener.onBan(ban, 'local');
    return ban;
  }

  /**
   * Bans a network by hand (`198.51.100.0/22`, `2001:db8::/32`; no host bits): at a fold length (/24, /16, /64,
   * /48) it is that prefix ban, at any other length a range ban. Always admitted (an operator's); a network
   * already banned keeps the later end. Returns the ban on file (or the wider one that covers the network), or
   * undefined for text that is not a network.
   */
  addRange(text: string, reason: string, now: number, ttl = this.policy.ttl): BanInfo | undefined {
    const r = parseRange(text);
    if (r === undefined) return undefined;
    const ban: BanInfo = { ip: r.text, reason, since: now, until: now + ttl, offense: 1, origin: 'operator' };
    this.mergePrefix(ban, now, false, true);
    // a /24 inside a banned /16 that ends later is not filed on its own: the wider ban answers for it
    return this.prefixEntryOf(r.text)?.ban ?? this.covering(r.base, now)?.ban;
  }

  /**
   * A ban decided elsewhere. Kept when it ends later than what is on file (no escalation here: the
   * deciding node already escalated); the offence count follows the higher of the two. A prefix ban
   * (`198.51.100.0/24` at one of this list's levels) is merged as a prefix. Returns whether anything changed.
   */
  merge(ban: BanInfo, now: number): boolean {
    if (ban.until <= now) return false;
    if (ban.ip.includes('/')) return this.mergePrefix(ban, now);
    const parsed = parseIp(ban.ip);
    const current = parsed ? this.lookup(parsed, now) : this.get(ban.ip, now);
    if (current !== undefined && current.until >= ban.until) return false;
    const prior = this.offenses.get(ban.ip);
    const merged: BanInfo = { ...ban, origin: 'replica' };
    this.recordOffense(ban.ip, Math.max(prior?.count ?? 0, ban.offense), Math.max(prior?.last ?? 0, ban.since));
    if (!this.place(merged, false)) {
      this.refusedAtCap++;
      return false;
    }
    this.listener.onBan(merged, 'replica');
    return true;
  }

  /** Lifts the ban of `ip` (an address, or a prefix ban's own text); inside a prefix ban, exempts the address. */
  remove(ip: string, cause: 'removed' | 'replica' = 'removed'): boolean {
    const e = this.active.get(ip);
    if (e !== undefined) {
      this.drop(e, cause);
      return true;
    }
    if (ip.includes('/')) {
      const p = this.prefixEntryOf(ip);
      if (p === undefined) return false;
      this.drop(p, cause);
      return true;
    }
    const parsed = parseIp(ip);
    const cover = parsed ? this.covering(parsed, Number.NEGATIVE_INFINITY) : undefined;
    if (cover === undefined) return false;
    if ((cover.exempt?.size ?? 0) >= MAX_EXEMPT) {
      this.drop(cover, cause);
    } else {
      cover.exempt ??= new Set();
      cover.exempt.add(ip);
      // the lift is kept with the prefix's row: a restart does not ban the address again
      this.stored(cover.ban.ip, withExempt(cover));
      this.listener.onUnban(ip, cause);
    }
    return true;
  }

  offenseOf(ip: string): OffenseRecord | undefined {
    return this.offenses.get(ip);
  }

  list(now: number): BanInfo[] {
    this.sweep(now);
    const out: BanInfo[] = [];
    for (const e of this.active.values()) out.push(e.ban);
    for (const e of this.prefixBans[1].values()) out.push(e.ban);
    for (const e of this.prefixBans[2].values()) out.push(e.ban);
    for (const e of this.ranges.values()) out.push(e.ban);
    return out;
  }

  /** Expires finished bans and forgets offences older than the memory; at most `budget` of each per call. */
  sweep(now: number, budget = Number.POSITIVE_INFINITY): void {
    let n = 0;
    for (let e = this.heap.soonest(); e !== undefined && e.time <= now && n < budget; e = this.heap.soonest()) {
      this.drop(e, 'expired');
      n++;
    }
    n = 0;
    const memory = this.policy.offenseMemory;
    for (
      let o = this.offenseHeap.soonest();
      o !== undefined && now - o.last > memory && n < budget;
      o = this.offenseHeap.soonest()
    ) {
      this.forgetOffense(o);
      n++;
    }
  }

  snapshot(): BanSnapshot {
    this.sweep(Number.NEGATIVE_INFINITY);
    const bans: StoredBan[] = [];
    for (const e of this.active.values()) bans.push(e.ban);
    for (const e of this.prefixBans[1].values()) bans.push(withExempt(e));
    for (const e of this.prefixBans[2].values()) bans.push(withExempt(e));
    for (const e of this.ranges.values()) bans.push(withExempt(e));
    return {
      bans,
      offenses: [...this.offenses.values()].map((o) => ({ ip: o.ip, count: o.count, last: o.last })),
    };
  }

  /** Loads persisted state; expired bans and stale offences are not resurrected. No events. */
  restore(snapshot: BanSnapshot, now: number): void {
    for (const o of snapshot.offenses) {
      if (now - o.last <= this.policy.offenseMemory) this.recordOffense(o.ip, o.count, o.last, true);
    }
    this.restoring = true;
    try {
      for (const b of snapshot.bans) {
        if (b.until <= now) continue;
        if (b.ip.includes('/')) {
          const { exempt, ...ban } = b;
          this.mergePrefix(ban, now, true);
          const e = exempt?.length ? this.prefixEntryOf(b.ip) : undefined;
          if (e !== undefined) e.exempt = new Set(exempt!.slice(0, MAX_EXEMPT));
        } else this.place(b, true, true);
      }
    } finally {
      this.restoring = false;
    }
    this.enforceCaps();
  }

  /**
   * Offence records read from the store after start (a page at a time). A record made since start (the source
   * offended again meanwhile) keeps the higher count and the later time. No events.
   */
  restoreOffenses(page: BanSnapshot['offenses'], now: number): void {
    for (const o of page) {
      if (now - o.last > this.policy.offenseMemory) continue;
      const mine = this.offenses.get(o.ip);
      if (mine === undefined) this.recordOffense(o.ip, o.count, o.last, true);
      else if (o.count > mine.count) this.recordOffense(o.ip, o.count, Math.max(o.last, mine.last));
    }
  }

  // ------------------------------------------------------------------------------------------------------------

  /**
   * Puts a ban on file: into the prefix ban covering it (extended if this one ends later), or as its own entry,
   * admitted at the cap when it has at least the victim's offences (or `force`). Returns false when refused.
   * `quiet`: no unban events for what it evicts (restore).
   */
  private place(ban: BanInfo, force: boolean, quiet = false): boolean {
    // Parsed only when a prefix could cover it or it could join one (not for a restore without prefix bans).
    const parsed = this.prefixCount > 0 || (this.after > 0 && !this.restoring) ? parseIp(ban.ip) : undefined;
    const cover = parsed ? this.covering(parsed, ban.since) : undefined;
    // A range banned by hand ends when the operator said: a longer ban of an address inside it is its own.
    if (cover !== undefined && !(cover.level === 3 && ban.until > cover.ban.until)) {
      if (cover.exempt?.delete(ban.ip)) this.stored(cover.ban.ip, withExempt(cover));
      this.extend(cover, ban);
      // A row on file for an address its prefix now covers (a crash between two batches of a fold): drop it.
      if (this.restoring) this.stored(ban.ip, undefined);
      return true;
    }
    const existing = this.active.get(ban.ip);
    if (existing !== undefined) {
      const oldTier = existing.tier;
      existing.ban = ban;
      existing.tier = tierFor(ban, 0);
      existing.time = ban.until;
      this.heap.update(existing, oldTier);
      this.stored(ban.ip, ban);
      return true;
    }
    const e = new BanEntry(ban, 0);
    if (!this.admit(e, force, quiet)) return false;
    this.active.set(ban.ip, e);
    this.heap.push(e);
    if (!this.restoring) this.stored(ban.ip, ban);
    // Restored addresses are not counted towards a fold (1M small groups would double the restart time): their
    // prefix folds once `after` new bans of it come in; until then they stay banned each on its own.
    if (parsed && this.after > 0 && !this.restoring) {
      const [k1, k2] = this.keysOf(parsed);
      e.k1 = k1;
      e.k2 = k2;
      this.join(e, parsed);
    }
    return true;
  }

  /** Room for `e` at the cap: evicts the lowest-tier ban ending soonest, unless that one outranks `e`. */
  private admit(e: BanEntry, force: boolean, quiet: boolean): boolean {
    if (this.heap.size < this.policy.maxBans) return true;
    const victim = this.heap.lowest();
    if (victim === undefined) return true;
    if (!force && victim.tier > e.tier) return false;
    this.drop(victim, 'expired', quiet);
    return true;
  }

  private extend(e: BanEntry, ban: BanInfo): void {
    const b = e.ban;
    if (ban.until <= b.until && ban.offense <= b.offense) return;
    e.ban = { ...b, until: Math.max(b.until, ban.until), offense: Math.max(b.offense, ban.offense) };
    const oldTier = e.tier;
    e.tier = tierFor(e.ban, e.level);
    e.time = e.ban.until;
    this.heap.update(e, oldTier);
    this.stored(e.ban.ip, withExempt(e));
  }

  /** Counts a new address ban towards its /24 (/64); folds the group once it holds `after` of them. */
  private join(e: BanEntry, ip: ParsedIp): void {
    const groups = this.groups[1];
    let g = groups.get(e.k1!);
    if (g === undefined) {
      g = [];
      groups.set(e.k1!, g);
      let subs = this.subgroups.get(e.k2!);
      if (subs === undefined) {
        subs = new Set();
        this.subgroups.set(e.k2!, subs);
      }
      subs.add(e.k1!);
    }
    g.push(e.ban.ip);
    if (g.length < this.after) return;
    groups.delete(e.k1!);
    this.dropSubgroup(e.k2!, e.k1!);
    const a = this.aggregation;
    const text = prefixKey(ip, a.v4[0], a.v6[0]);
    const members = g.map((m) => this.active.get(m)!).filter((m) => m !== undefined);
    const prefix = this.foldInto(1, e.k1!, text, members, e.ban.reason);
    prefix.k2 = e.k2;
    this.folded += members.length;
    this.joinSecond(prefix, ip);
  }

  /** Counts a new /24 (/64) prefix ban towards its /16 (/48), folding again at `after`. */
  private joinSecond(prefix: BanEntry, ip: ParsedIp): void {
    const groups = this.groups[2];
    let g = groups.get(prefix.k2!);
    if (g === undefined) {
      g = [];
      groups.set(prefix.k2!, g);
    }
    g.push(prefix.k1!);
    if (g.length < this.after) return;
    groups.delete(prefix.k2!);
    const a = this.aggregation;
    const text = prefixKey(ip, a.v4[1], a.v6[1]);
    const members = g.map((k) => this.prefixBans[1].get(k)!).filter((m) => m !== undefined);
    // Addresses of the /16 (/48) banned on their own, in /24s (/64s) that had not folded yet, go into it too.
    const subs = this.subgroups.get(prefix.k2!);
    this.subgroups.delete(prefix.k2!);
    for (const k1 of subs ?? []) {
      const addresses = this.groups[1].get(k1);
      if (addresses === undefined) continue;
      this.groups[1].delete(k1);
      for (const address of addresses) {
        const m = this.active.get(address);
        if (m !== undefined) members.push(m);
      }
    }
    const top = this.foldInto(2, prefix.k2!, text, members, prefix.ban.reason);
    top.k2 = prefix.k2;
  }

  private dropSubgroup(k2: number | string, k1: number | string): void {
    const subs = this.subgroups.get(k2);
    if (subs === undefined) return;
    subs.delete(k1);
    if (subs.size === 0) this.subgroups.delete(k2);
  }

  /** Replaces `members` (quietly: they stay banned) with one prefix ban lasting as long as the longest. */
  private foldInto(level: 1 | 2, key: number | string, text: string, members: BanEntry[], last: string): BanEntry {
    let until = 0;
    let since = Number.POSITIVE_INFINITY;
    let offense = 1;
    for (const m of members) {
      until = Math.max(until, m.ban.until);
      since = Math.min(since, m.ban.since);
      offense = Math.max(offense, m.ban.offense);
      this.unlink(m);
    }
    const reason = `${members.length} ${level === 1 ? 'addresses' : 'prefixes'} of ${text} banned (last: ${last})`;
    const e = new BanEntry(
      { ip: text, reason: reason.slice(0, 512), since, until, offense, origin: 'automatic' },
      level,
    );
    e.k1 = level === 1 ? key : undefined;
    this.prefixBans[level].set(key, e);
    this.heap.push(e);
    this.stored(text, e.ban);
    return e;
  }

  private mergePrefix(ban: BanInfo, now: number, quiet = false, operator = false): boolean {
    const slash = ban.ip.indexOf('/');
    const base = parseIp(ban.ip.slice(0, slash));
    const len = Number(ban.ip.slice(slash + 1));
    if (base === undefined) return false;
    const level = this.levelOf(base, len);
    if (level === 0) return this.mergeRange(ban, quiet, operator);
    const [k1, k2] = this.keysOf(base);
    const key = level === 1 ? k1 : k2;
    const text = prefixKey(base, len, len);
    const existing = this.prefixBans[level].get(key);
    if (existing !== undefined) {
      if (existing.ban.until >= ban.until) return false;
      this.extend(existing, ban);
    } else {
      const wider = level === 1 ? this.prefixBans[2].get(k2) : undefined;
      if (wider !== undefined && wider.ban.until >= ban.until && wider.ban.until > now) return false;
      const e = new BanEntry({ ...ban, ip: text, origin: operator ? 'operator' : (ban.origin ?? 'replica') }, level);
      if (!this.admit(e, operator, quiet)) return false;
      e.k1 = level === 1 ? k1 : undefined;
      e.k2 = k2;
      this.prefixBans[level].set(key, e);
      this.heap.push(e);
      if (!this.restoring) this.stored(e.ban.ip, e.ban);
    }
    if (!quiet) this.listener.onBan(this.prefixBans[level].get(key)!.ban, operator ? 'local' : 'replica');
    return true;
  }

  /** 1 or 2 when `len` is this list's first or second fold length for the family of `base`, else 0. */
  private levelOf(base: ParsedIp, len: number): 0 | 1 | 2 {
    const a = this.aggregation;
    const lens = base.family === 4 ? a.v4 : a.v6;
    return len === lens[0] ? 1 : len === lens[1] ? 2 : 0;
  }

  /** A range ban at a length the list does not fold to: merged like a prefix (the later end wins). */
  private mergeRange(ban: BanInfo, quiet: boolean, operator: boolean): boolean {
    const r = parseRange(ban.ip);
    if (r === undefined) return false;
    const existing = this.ranges.get(r);
    if (existing !== undefined) {
      if (existing.ban.until >= ban.until) return false;
      this.extend(existing, ban);
    } else {
      const e = new BanEntry({ ...ban, ip: r.text, origin: operator ? 'operator' : (ban.origin ?? 'replica') }, 3);
      e.range = r;
      if (!this.admit(e, operator, quiet)) return false;
      this.ranges.set(r, e);
      this.heap.push(e);
      if (!this.restoring) this.stored(e.ban.ip, e.ban);
    }
    if (!quiet) this.listener.onBan(this.ranges.get(r)!.ban, operator ? 'local' : 'replica');
    return true;
  }

  /** The prefix or range ban of exactly the network `text` (`198.51.100.0/24`, `2001:db8::/48`; no host bits). */
  private prefixEntryOf(text: string): BanEntry | undefined {
    const r = parseRange(text);
    if (r === undefined) return undefined;
    const level = this.levelOf(r.base, r.len);
    if (level === 0) return this.ranges.get(r);
    const [k1, k2] = this.keysOf(r.base);
    return level === 1 ? this.prefixBans[1].get(k1) : this.prefixBans[2].get(k2);
  }

  private stored(ip: string, ban: StoredBan | undefined): void {
    this.listener.onStored?.(ip, ban);
  }

  /** Takes an entry off file with an unban event (`quiet`: none). */
  private drop(e: BanEntry, cause: UnbanCause, quiet = false): void {
    this.unlink(e);
    if (!quiet) this.listener.onUnban(e.ban.ip, cause);
  }

  /** Removes an entry from the maps, the heap and its group (no event). */
  private unlink(e: BanEntry): void {
    this.heap.remove(e);
    this.stored(e.ban.ip, undefined);
    if (e.level === 0) {
      if (this.active.get(e.ban.ip) === e) this.active.delete(e.ban.ip);
      if (e.k1 !== undefined && removeFromGroup(this.groups[1], e.k1, e.ban.ip)) this.dropSubgroup(e.k2!, e.k1);
    } else if (e.level === 3) {
      if (e.range !== undefined && this.ranges.get(e.range) === e) this.ranges.delete(e.range);
    } else {
      const key = e.level === 1 ? e.k1! : e.k2!;
      if (this.prefixBans[e.level].get(key) === e) this.prefixBans[e.level].delete(key);
      if (e.level === 1 && e.k2 !== undefined) removeFromGroup(this.groups[2], e.k2, e.k1!);
    }
  }

  /** Updates or files an offence record; at the cap a newcomer with fewer offences than every record is not filed. */
  private recordOffense(ip: string, count: number, last: number, quiet = false): void {
    let o = this.offenses.get(ip);
    if (o !== undefined) {
      const oldTier = o.tier;
      o.count = count;
      o.last = last;
      o.tier = TieredHeap.tierOf(count);
      o.time = last;
      this.offenseHeap.update(o, oldTier);
    } else {
      o = new OffenseEntry(ip, count, last);
      if (this.offenses.size >= this.maxOffenses) {
        const victim = this.offenseHeap.lowest();
        if (victim !== undefined && victim.tier > o.tier) return;
        if (victim !== undefined) this.forgetOffense(victim);
      }
      this.offenses.set(ip, o);
      this.offenseHeap.push(o);
    }
    if (!quiet) this.listener.onOffense?.(ip, o);
  }

  private forgetOffense(o: OffenseEntry): void {
    this.offenseHeap.remove(o);
    this.offenses.delete(o.ip);
    this.listener.onOffense?.(o.ip, undefined);
  }

  /** After a reload lowered a cap: evicts down to it (O(log n) each). */
  private enforceCaps(): void {
    while (this.heap.size > this.policy.maxBans) {
      const victim = this.heap.lowest();
      if (victim === undefined) break;
      this.drop(victim, 'expired');
    }
    while (this.offenses.size > this.maxOffenses) {
      const victim = this.offenseHeap.lowest();
      if (victim === undefined) break;
      this.forgetOffense(victim);
    }
  }
}

/** The ban of `e` as the store keeps it: with the addresses lifted inside it, if any. */
function withExempt(e: BanEntry): StoredBan {
  return e.exempt !== null && e.exempt.size > 0 ? { ...e.ban, exempt: [...e.exempt] } : e.ban;
}

/** Takes `member` out of its group; returns true when that emptied the group (now deleted). */
function removeFromGroup<T>(groups: Map<number | string, T[]>, key: number | string, member: T): boolean {
  const g = groups.get(key);
  if (g === undefined) return false;
  const i = g.indexOf(member);
  if (i < 0) return false;
  g[i] = g[g.length - 1]!;
  g.pop();
  if (g.length > 0) return false;
  groups.delete(key);
  return true;
}
