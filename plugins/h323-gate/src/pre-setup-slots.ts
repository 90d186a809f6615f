import { parseIp, prefixKey } from '@ghostguard/core';

/** The network a connection counts against when slots are shared: its /24 (IPv4) or /64 (IPv6). */
export const FAIR_PREFIX_V4 = 24;
export const FAIR_PREFIX_V6 = 64;

/** The /24 or /64 of a canonical source address (the address itself when it does not parse). */
export function fairPrefix(ip: string): string {
  const parsed = parseIp(ip);
  return parsed === undefined ? ip : prefixKey(parsed, FAIR_PREFIX_V4, FAIR_PREFIX_V6);
}

/**
 * Connections that have not sent their SETUP yet, grouped by network (/24 or /64), oldest first within each,
 * with the busiest network at hand: every operation is O(1) (no scan over networks or connections), and
 * entries exist only while their connection waits for its first frame, so the state is bounded by the gate's
 * open connections.
 *
 * When the gate is full, a connection from a network with fewer waiting connections than the busiest takes
 * the slot of the busiest network's oldest waiting connection: a flood from a few networks then only ever
 * competes with itself, and a caller from elsewhere always gets in (its SETUP, once sent, leaves this set).
 */
export class PreSetupSlots<T> {
  /** Waiting connections per network; a Set keeps insertion order, so the first is the oldest. */
  private readonly byPrefix = new Map<string, Set<T>>();
  /** Networks by how many waiting connections they have (only counts > 0). */
  private readonly byCount = new Map<number, Set<string>>();
  private readonly prefixOf = new Map<T, string>();
  private top = 0;

  get size(): number {
    return this.prefixOf.size;
  }

  /** Waiting connections of `prefix`. */
  count(prefix: string): number {
    return this.byPrefix.get(prefix)?.size ?? 0;
  }

  add(item: T, prefix: string): void {
    if (this.prefixOf.has(item)) return;
    let set = this.byPrefix.get(prefix);
    if (set === undefined) {
      set = new Set();
      this.byPrefix.set(prefix, set);
    }
    const before = set.size;
    set.add(item);
    this.prefixOf.set(item, prefix);
    this.move(prefix, before, before + 1);
  }

  /** Forgets `item` (its SETUP came, or it closed); a no-op for one not waiting. */
  remove(item: T): void {
    const prefix = this.prefixOf.get(item);
    if (prefix === undefined) return;
    this.prefixOf.delete(item);
    const set = this.byPrefix.get(prefix)!;
    const before = set.size;
    set.delete(item);
    if (set.size === 0) this.byPrefix.delete(prefix);
    this.move(prefix, before, before - 1);
  }

  /**
   * The connection to close so that one from `prefix` can have its slot: the oldest waiting connection of the
   * busiest network, when that network has at least two more waiting than `prefix` (so an eviction never makes
   * the newcomer's network the busiest, and a network never evicts its own). Undefined: nobody to evict.
   */
  victimFor(prefix: string): { item: T; prefix: string; waiting: number } | undefined {
    if (this.top < this.count(prefix) + 2) return undefined;
    const busiest = this.byCount.get(this.top)?.values().next().value;
    if (busiest === undefined) return undefined;
    const item = this.byPrefix.get(busiest)?.values().next().value;
    return item === undefined ? undefined : { item, prefix: busiest, waiting: this.top };
  }

  /** Moves `prefix` from the bucket of `from` waiting connections to that of `to`, keeping `top` right. */
  private move(prefix: string, from: number, to: number): void {
    if (from > 0) {
      const bucket = this.byCount.get(from)!;
      bucket.delete(prefix);
      if (bucket.size === 0) this.byCount.delete(from);
    }
    if (to > 0) {
      let bucket = this.byCount.get(to);
      if (bucket === undefined) {
        bucket = new Set();
        this.byCount.set(to, bucket);
      }
      bucket.add(prefix);
    }
    // Counts move by one, so the busiest count moves by at most one: down to `to` (= from - 1) when the last
    // network at the top just left it.
    if (to > this.top) this.top = to;
    else if (from === this.top && !this.byCount.has(from)) this.top = to;
  }
}
