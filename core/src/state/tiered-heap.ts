/** An item of a {@link TieredHeap}: the heap keeps `heapIndex` up to date (−1 when not in the heap). */
export interface TieredItem {
  /** 1..TIERS: how much history the item has (a ban's offence count, an offence record's count). */
  tier: number;
  /** Ordering inside a tier: smallest first (a ban's end, an offence's last time). */
  time: number;
  heapIndex: number;
}

/** Offence counts at and above this share the top tier. */
export const TIERS = 8;

/**
 * One binary min-heap by `time` per tier: the victim at a cap is the lowest tier's smallest time (the least
 * severe ban that ends soonest), and expiry pops whatever has the smallest time across the tiers. Every
 * operation is O(log n) (plus O(TIERS) to find the lowest tier or the soonest end): no sort, no scan.
 */
export class TieredHeap<T extends TieredItem> {
  private readonly heaps: T[][] = Array.from({ length: TIERS + 1 }, () => []);
  private count = 0;

  static tierOf(n: number): number {
    return Math.max(1, Math.min(TIERS, Math.floor(n)));
  }

  get size(): number {
    return this.count;
  }

  push(item: T): void {
    const h = this.heaps[item.tier]!;
    item.heapIndex = h.length;
    h.push(item);
    this.up(h, h.length - 1);
    this.count++;
  }

  remove(item: T): void {
    const h = this.heaps[item.tier]!;
    const i = item.heapIndex;
    if (i < 0 || h[i] !== item) return;
    const last = h.pop()!;
    this.count--;
    item.heapIndex = -1;
    if (i < h.length) {
      h[i] = last;
      last.heapIndex = i;
      this.down(h, i);
      this.up(h, last.heapIndex);
    }
  }

  /** Moves an item whose tier or time changed (set the new values first, pass the old tier). */
  update(item: T, oldTier: number): void {
    if (oldTier !== item.tier) {
      const newTier = item.tier;
      item.tier = oldTier;
      this.remove(item);
      item.tier = newTier;
      this.push(item);
      return;
    }
    const h = this.heaps[item.tier]!;
    this.down(h, item.heapIndex);
    this.up(h, item.heapIndex);
  }

  /** The lowest tier's item with the smallest time (the eviction victim), or undefined when empty. */
  lowest(): T | undefined {
    for (let t = 1; t <= TIERS; t++) {
      const h = this.heaps[t]!;
      if (h.length > 0) return h[0];
    }
    return undefined;
  }

  /** The item with the smallest time across every tier (the next to expire). */
  soonest(): T | undefined {
    let best: T | undefined;
    for (let t = 1; t <= TIERS; t++) {
      const top = this.heaps[t]![0];
      if (top !== undefined && (best === undefined || top.time < best.time)) best = top;
    }
    return best;
  }

  clear(): void {
    for (const h of this.heaps) {
      for (const item of h) item.heapIndex = -1;
      h.length = 0;
    }
    this.count = 0;
  }

  private up(h: T[], i: number): void {
    const item = h[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = h[p]!;
      if (parent.time <= item.time) break;
      h[i] = parent;
      parent.heapIndex = i;
      i = p;
    }
    h[i] = item;
    item.heapIndex = i;
  }

  private down(h: T[], i: number): void {
    const n = h.length;
    const item = h[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && h[r]!.time < h[l]!.time ? r : l;
      const child = h[c]!;
      if (child.time >= item.time) break;
      h[i] = child;
      child.heapIndex = i;
      i = c;
    }
    h[i] = item;
    item.heapIndex = i;
  }
}
