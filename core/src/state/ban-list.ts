import type { BanInfo } from '../verdict.js';

export interface BanPolicy {
  ttl: number;
  escalation: number;
  maxTtl: number;
  offenseMemory: number;
  maxBans: number;
}

export interface OffenseRecord {
  count: number;
  last: number;
}

export interface BanSnapshot {
  bans: BanInfo[];
  offenses: Array<{ ip: string } & OffenseRecord>;
}

/** `replica`: lifted elsewhere (another node, via the shared store) and applied here. */
export type UnbanCause = 'expired' | 'removed' | 'replica';
/** `local`: decided by this guard; `replica`: decided elsewhere and merged here (not to be re-published). */
export type BanOrigin = 'local' | 'replica';

export interface BanListListener {
  onBan(ban: BanInfo, origin: BanOrigin): void;
  onUnban(ip: string, cause: UnbanCause): void;
}

/**
 * Active bans by canonical IP, with escalating TTLs: each repeat offence (within `offenseMemory`)
 * multiplies the TTL by `escalation`, up to `maxTtl`. Expiry is lazy on lookup plus a periodic sweep.
 */
export class BanList {
  private readonly active = new Map<string, BanInfo>();
  private readonly offenses = new Map<string, OffenseRecord>();

  constructor(
    private policy: BanPolicy,
    private readonly listener: BanListListener,
  ) {}

  /** New TTLs and caps for bans made from now on (a config reload); active bans keep their end. */
  setPolicy(policy: BanPolicy): void {
    this.policy = policy;
  }

  get size(): number {
    return this.active.size;
  }

  /** The active ban for `ip` at `now`, expiring it if its time is over. */
  get(ip: string, now: number): BanInfo | undefined {
    const ban = this.active.get(ip);
    if (ban === undefined) return undefined;
    if (ban.until > now) return ban;
    this.active.delete(ip);
    this.listener.onUnban(ip, 'expired');
    return undefined;
  }

  /** Bans `ip` (or extends an active ban), escalating the TTL for repeat offenders. */
  add(ip: string, reason: string, now: number, ttl?: number): BanInfo {
    const prior = this.offenses.get(ip);
    const count = prior && now - prior.last <= this.policy.offenseMemory ? prior.count + 1 : 1;
    const duration =
      ttl ?? Math.min(this.policy.maxTtl, this.policy.ttl * this.policy.escalation ** Math.min(count - 1, 32));
    const ban: BanInfo = { ip, reason, since: now, until: now + duration, offense: count };
    this.offenses.set(ip, { count, last: now });
    this.active.delete(ip);
    this.active.set(ip, ban);
    this.enforceCap();
    this.listener.onBan(ban, 'local');
    return ban;
  }

  /**
   * A ban decided elsewhere. Kept when it ends later than what is on file (no escalation here: the
   * deciding node already escalated); the offence count follows the higher of the two. Returns whether
   * anything changed.
   */
  merge(ban: BanInfo, now: number): boolean {
    if (ban.until <= now) return false;
    const current = this.get(ban.ip, now);
    if (current !== undefined && current.until >= ban.until) return false;
    const prior = this.offenses.get(ban.ip);
    this.offenses.set(ban.ip, {
      count: Math.max(prior?.count ?? 0, ban.offense),
      last: Math.max(prior?.last ?? 0, ban.since),
    });
    const merged: BanInfo = { ...ban };
    this.active.delete(ban.ip);
    this.active.set(ban.ip, merged);
    this.enforceCap();
    this.listener.onBan(merged, 'replica');
    return true;
  }

  remove(ip: string, cause: 'removed' | 'replica' = 'removed'): boolean {
    if (!this.active.delete(ip)) return false;
    this.listener.onUnban(ip, cause);
    return true;
  }

  offenseOf(ip: string): OffenseRecord | undefined {
    return this.offenses.get(ip);
  }

  list(now: number): BanInfo[] {
    this.sweep(now);
    return [...this.active.values()];
  }

  /** Expires finished bans and forgets offences older than the memory. */
  sweep(now: number): void {
    for (const [ip, ban] of this.active) {
      if (ban.until <= now) {
        this.active.delete(ip);
        this.listener.onUnban(ip, 'expired');
      }
    }
    for (const [ip, o] of this.offenses) if (now - o.last > this.policy.offenseMemory) this.offenses.delete(ip);
  }

  snapshot(): BanSnapshot {
    return {
      bans: [...this.active.values()],
      offenses: [...this.offenses].map(([ip, o]) => ({ ip, count: o.count, last: o.last })),
    };
  }

  /** Loads persisted state; expired bans and stale offences are not resurrected. No events. */
  restore(snapshot: BanSnapshot, now: number): void {
    for (const o of snapshot.offenses) {
      if (now - o.last <= this.policy.offenseMemory) this.offenses.set(o.ip, { count: o.count, last: o.last });
    }
    for (const b of snapshot.bans) if (b.until > now) this.active.set(b.ip, b);
    this.enforceCap();
  }

  /** Beyond maxBans, drop the bans that would expire soonest (quietly: they were the least severe). */
  private enforceCap(): void {
    const excess = this.active.size - this.policy.maxBans;
    if (excess <= 0) return;
    const soonest = [...this.active.values()].sort((a, b) => a.until - b.until).slice(0, excess);
    for (const b of soonest) {
      this.active.delete(b.ip);
      this.listener.onUnban(b.ip, 'expired');
    }
  }
}
