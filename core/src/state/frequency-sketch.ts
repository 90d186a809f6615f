/**
 * TinyLFU's frequency sketch: a count-min sketch of 4 rows of small saturating counters, with conservative
 * update (only the counters at the current minimum are raised, which keeps a flood of distinct keys from
 * inflating everyone's estimate) and periodic halving (after `period` increments every counter is halved, so
 * old popularity fades). It answers "how often was this key seen lately", also for keys the map holding the
 * entries has dropped or never admitted.
 *
 * Memory: 4 bytes per counter column, `width` = the next power of two ≥ the map's capacity (4 MB at 1M, outside
 * the JS heap). increment() and estimate() are O(1); halving touches every counter once per `period` increments
 * (amortised well under one counter per increment; 1M columns halve in about a millisecond).
 */
export class FrequencySketch {
  private readonly table: Uint8Array;
  /** The same bytes as 32-bit words, for the halving pass. */
  private readonly words: Uint32Array;
  private readonly mask: number;
  private readonly width: number;
  private readonly period: number;
  private additions = 0;
  /** Halvings so far: entries that keep their own counts age them by this (see AdmissionMap). */
  epoch = 0;

  /** `capacity`: entries the owner holds; `periodFactor`: increments between halvings, as a multiple of it. */
  constructor(capacity: number, periodFactor = 16) {
    let w = 64;
    while (w < capacity) w *= 2;
    this.width = w;
    this.mask = w - 1;
    this.table = new Uint8Array(4 * w);
    this.words = new Uint32Array(this.table.buffer);
    this.period = Math.max(64, Math.floor(capacity * periodFactor));
  }

  /** Counts one sighting of the key (a 32-bit hash); returns the estimate after it. */
  increment(hash: number): number {
    const i0 = this.index(hash, 0);
    const i1 = this.index(hash, 1);
    const i2 = this.index(hash, 2);
    const i3 = this.index(hash, 3);
    const t = this.table;
    const min = Math.min(t[i0]!, t[i1]!, t[i2]!, t[i3]!);
    if (min < 255) {
      if (t[i0] === min) t[i0] = min + 1;
      if (t[i1] === min) t[i1] = min + 1;
      if (t[i2] === min) t[i2] = min + 1;
      if (t[i3] === min) t[i3] = min + 1;
    }
    if (++this.additions >= this.period) this.halve();
    return min < 255 ? min + 1 : min;
  }

  estimate(hash: number): number {
    const t = this.table;
    return Math.min(t[this.index(hash, 0)]!, t[this.index(hash, 1)]!, t[this.index(hash, 2)]!, t[this.index(hash, 3)]!);
  }

  /** Row `row`'s column for the hash: double hashing from one 32-bit hash, each row its own quarter. */
  private index(hash: number, row: number): number {
    const h2 = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d) | 1;
    return row * this.width + ((hash + Math.imul(row, h2)) & this.mask);
  }

  private halve(): void {
    const w = this.words;
    for (let i = 0; i < w.length; i++) w[i] = (w[i]! >>> 1) & 0x7f7f7f7f;
    this.additions = Math.floor(this.additions / 2);
    this.epoch++;
  }
}

/** A 32-bit hash of a number key (an IPv4 address) or a string key (IPv6 text), salted per process. */
export function hashKey(key: number | string, salt: number): number {
  let h: number;
  if (typeof key === 'number') {
    h = Math.imul(key ^ salt, 0x9e3779b1);
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    return h >>> 0;
  }
  h = 0x811c9dc5 ^ salt;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}
