import type { BanInfo } from '@ghostguard/core';
import { MemoryBanStore } from './memory-store.js';
import type { BanLift, BanWrite, LiftResult, WriteResult } from './store.js';

/**
 * The shared-ban store in one process's memory: several guards (one attachment each) on one hub see each other's
 * bans and messages, with the rules of the Redis store (the longer ban kept, lifts remembered, expiry at the end
 * of the ban, messages to every open node, nothing queued for a node that is down). For a single process running
 * several guards, and for tests of the outage behaviour without a Redis: `hub.down()` / `hub.up()` take the whole
 * store away and back, `store.down()` / `store.up()` one node's link, `hub.clear()` forgets everything (a Redis
 * restarted without persistence).
 *
 *   const hub = new MemoryBanHub();
 *   const a = attachRedisBans(guardA, { nodeId: 'a' }, hub.store());
 *   const b = attachRedisBans(guardB, { nodeId: 'b' }, hub.store());
 *
 * Messages are delivered in a microtask, in publish order, to the nodes open and up at that moment.
 */
export class MemoryBanHub {
  private readonly bans = new Map<string, { ban: BanInfo; expiresAt: number }>();
  private readonly lifts = new Map<string, { at: number; expiresAt: number }>();
  private readonly sets = new Map<string, Set<string>>();
  private readonly nodes = new Set<MemoryBanStore>();
  private running = true;

  /** A store for one more node (one attachment); `blacklistKey` keeps a blacklist set in step, as on Redis. */
  store(options: { blacklistKey?: string } = {}): MemoryBanStore {
    return new MemoryBanStore(this, options.blacklistKey);
  }

  /** The whole store goes away: every node is down, every operation rejects. Its content is kept. */
  down(): void {
    this.running = false;
    for (const n of this.nodes) n.update();
  }

  up(): void {
    this.running = true;
    for (const n of this.nodes) n.update();
  }

  get isUp(): boolean {
    return this.running;
  }

  /** Forgets every ban, lift and set member. */
  clear(): void {
    this.bans.clear();
    this.lifts.clear();
    this.sets.clear();
  }

  /** The ban stored on `ip`, while it runs in the store. */
  get(ip: string, now = Date.now()): BanInfo | undefined {
    const b = this.bans.get(ip);
    if (b !== undefined && b.expiresAt <= now) this.bans.delete(ip);
    else if (b !== undefined) return { ...b.ban };
    return undefined;
  }

  /** When the ban on `ip` was last lifted by hand, while that is remembered. */
  liftedAt(ip: string, now = Date.now()): number | undefined {
    const l = this.lifts.get(ip);
    if (l !== undefined && l.expiresAt <= now) this.lifts.delete(ip);
    else if (l !== undefined) return l.at;
    return undefined;
  }

  /** The members of a blacklist set, sorted. */
  members(key: string): string[] {
    return [...(this.sets.get(key) ?? [])].sort();
  }

  /** Sends `payload` to every open node, as any publisher on the channel could (a hostile one included). */
  publish(payload: string): void {
    for (const n of this.nodes) n.deliver(payload);
  }

  /** @internal */ attach(n: MemoryBanStore): void {
    this.nodes.add(n);
  }

  /** @internal */ detach(n: MemoryBanStore): void {
    this.nodes.delete(n);
  }

  private set(key: string): Set<string> {
    let s = this.sets.get(key);
    if (s === undefined) {
      s = new Set();
      this.sets.set(key, s);
    }
    return s;
  }

  /** @internal The keep-longer write (KEEP_LONGER_BAN on Redis). */
  write(w: BanWrite, blacklist: string | undefined): WriteResult {
    const now = Date.now();
    const { ip } = w.ban;
    const lifted = this.liftedAt(ip, now);
    if (lifted !== undefined && lifted >= w.ban.since) return 'lifted';
    const cur = this.get(ip, now);
    if (blacklist !== undefined) this.set(blacklist).add(ip);
    if (cur !== undefined && cur.until >= w.ban.until) return 'kept-longer';
    this.bans.set(ip, { ban: { ...w.ban }, expiresAt: now + w.ttl });
    this.publish(w.announce);
    return 'written';
  }

  /** @internal The lift (LIFT_BAN on Redis). */
  lift(l: BanLift, blacklist: string | undefined): LiftResult {
    const now = Date.now();
    const cur = this.get(l.ip, now);
    if (cur !== undefined && l.conditional && cur.since > l.removedAt) return 'kept-newer';
    this.bans.delete(l.ip);
    const prev = this.liftedAt(l.ip, now);
    if (prev === undefined || prev < l.removedAt)
      this.lifts.set(l.ip, { at: l.removedAt, expiresAt: now + l.remember });
    if (blacklist !== undefined) this.set(blacklist).delete(l.ip);
    this.publish(l.announce);
    return 'lifted';
  }

  /** @internal Each of `ips` in the set `key` while its ban runs past `now` (SYNC_BLACKLIST on Redis). */
  sync(key: string, ips: readonly string[], now: number): number {
    const set = this.set(key);
    let changed = 0;
    for (const ip of ips) {
      const live = (this.get(ip, now)?.until ?? 0) > now;
      if (live !== set.has(ip)) changed++;
      if (live) set.add(ip);
      else set.delete(ip);
    }
    return changed;
  }

  /** @internal Every ban key's value, as a SCAN would find them (expired ones gone). */
  snapshot(): BanInfo[] {
    const now = Date.now();
    return [...this.bans.keys()].flatMap((ip) => this.get(ip, now) ?? []);
  }
}
