import { GhostguardError } from '../errors.js';

/**
 * A map with a hard size cap and approximate least-recently-used eviction, in O(1) per operation:
 * two generations of at most max/2 entries each. Reads promote from the old generation into the young
 * one; when the young generation is full it becomes the old one and the previous old one is dropped
 * whole. (The scheme quick-lru uses; cheaper on the hot path than delete+reinsert on every hit.)
 */
export class BoundedMap<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();
  private readonly generationSize: number;
  /** Entries dropped by eviction since creation. */
  evicted = 0;

  constructor(readonly maxSize: number) {
    if (!(maxSize >= 2))
      throw new GhostguardError('GG_INTERNAL_ARGUMENT', `BoundedMap needs maxSize >= 2, got ${maxSize}`);
    this.generationSize = Math.floor(maxSize / 2);
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: K): V | undefined {
    const v = this.young.get(key);
    if (v !== undefined) return v;
    const o = this.old.get(key);
    if (o !== undefined) {
      this.old.delete(key);
      this.insertYoung(key, o);
    }
    return o;
  }

  /** Inserts `key`, which the caller has just seen missing from get(): skips the lookups set() makes. */
  insertAbsent(key: K, value: V): void {
    this.insertYoung(key, value);
  }

  /** Reads without promoting (for inspection). */
  peek(key: K): V | undefined {
    return this.young.get(key) ?? this.old.get(key);
  }

  set(key: K, value: V): void {
    if (this.young.has(key)) {
      this.young.set(key, value);
      return;
    }
    this.old.delete(key);
    this.insertYoung(key, value);
  }

  delete(key: K): boolean {
    const a = this.young.delete(key);
    const b = this.old.delete(key);
    return a || b;
  }

  clear(): void {
    this.young.clear();
    this.old.clear();
  }

  *entries(): IterableIterator<[K, V]> {
    yield* this.young.entries();
    for (const e of this.old.entries()) if (!this.young.has(e[0])) yield e;
  }

  private insertYoung(key: K, value: V): void {
    if (this.young.size >= this.generationSize) {
      this.evicted += this.old.size;
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }
}
