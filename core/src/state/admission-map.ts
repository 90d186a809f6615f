import { randomBytes } from 'node:crypto';
import { GhostguardError } from '../errors.js';
import { FrequencySketch, hashKey } from './frequency-sketch.js';

/** Residents sampled for a victim when a newcomer needs room (Redis' LFU eviction samples 5 the same way). */
const SAMPLE = 8;
const MAX_HITS = 0xffff;

/**
 * A map with a hard size cap that a flood of one-shot keys cannot wash out: TinyLFU admission in O(1).
 *
 * Every resident keeps its own hit count (exact, aged by halving together with the sketch); the sketch counts
 * the sightings of keys that are not resident, when they contest a slot. When a newcomer arrives at the cap, {@link SAMPLE} residents are drawn at random and the one with the fewest hits is the
 * victim; the newcomer takes its slot only when the victim is itself a one-shot (≤ 1 hit) or when the
 * frequency sketch says the newcomer was seen more often than the victim was (a key with history that was
 * dropped before, or never admitted, gets in). Otherwise the newcomer is refused and the map is unchanged.
 *
 * Why a flood cannot use it: one-shot sources enter with 1 hit and churn among themselves; a resident with
 * history is the victim only when all the residents drawn with it have at least as many hits, which a flood
 * of one-shots never provides. The sketch halves every 16 × capacity increments (one per contested newcomer), so
 * a flood of 10 × the cap ages a resident's hits at most once (7 → 3); a flood of one-shots, drawing one-shot
 * victims, does not age them at all. Victim choice reads exact resident counts only: the sketch's
 * estimates (which a flood of distinct keys inflates) only decide between a newcomer and a resident that
 * already lost the draw.
 *
 * Memory: the Map entry and the key/value slots, plus 8 bytes per slot for hits and 4 per sketch column.
 */
export class AdmissionMap<K extends number | string, V> {
  private readonly index = new Map<K, number>();
  private readonly keys: K[] = [];
  private readonly vals: V[] = [];
  private readonly hits: Uint16Array;
  private readonly hitEpoch: Uint32Array;
  private readonly sketch: FrequencySketch;
  private readonly salt: number;
  private rng: number;
  /** Residents dropped for a newcomer since creation. */
  evicted = 0;
  /** Newcomers refused at the cap since creation (the victim drawn had more history). */
  refused = 0;

  constructor(readonly maxSize: number) {
    if (!(maxSize >= 2))
      throw new GhostguardError('GG_INTERNAL_ARGUMENT', `AdmissionMap needs maxSize >= 2, got ${maxSize}`);
    this.hits = new Uint16Array(maxSize);
    this.hitEpoch = new Uint32Array(maxSize);
    this.sketch = new FrequencySketch(maxSize);
    const seed = randomBytes(8);
    this.salt = seed.readInt32LE(0);
    this.rng = seed.readInt32LE(4) | 1;
  }

  get size(): number {
    return this.keys.length;
  }

  /** The value, counting a hit for the key. */
  get(key: K): V | undefined {
    const slot = this.index.get(key);
    if (slot === undefined) return undefined;
    const h = this.hitsOf(slot);
    if (h < MAX_HITS) this.hits[slot] = h + 1;
    return this.vals[slot];
  }

  /** Reads without counting (for inspection). */
  peek(key: K): V | undefined {
    const slot = this.index.get(key);
    return slot === undefined ? undefined : this.vals[slot];
  }

  has(key: K): boolean {
    return this.index.has(key);
  }

  /** The resident's hits, aged (0 when absent). */
  hitsFor(key: K): number {
    const slot = this.index.get(key);
    return slot === undefined ? 0 : this.hitsOf(slot);
  }

  /**
   * Inserts `key`, which the caller has just seen missing from get(); counts the sighting. Returns false when
   * the map is full and the newcomer was not admitted (nothing changed but the sketch).
   */
  insertAbsent(key: K, value: V): boolean {
    const n = this.keys.length;
    if (n < this.maxSize) {
      this.place(n, key, value);
      return true;
    }
    // Only sightings of keys that are not resident are sketched (residents count their own hits exactly), and only
    // where admission is contested: at the cap, against a victim with history. Below the cap nothing competes, and
    // a one-shot victim is always replaced (a flood of one-shots churns without touching the sketch).
    const victim = this.drawVictim();
    const victimHits = this.hitsOf(victim);
    if (victimHits > 1 && this.sketch.increment(hashKey(key, this.salt)) <= victimHits) {
      this.refused++;
      return false;
    }
    this.index.delete(this.keys[victim]!);
    this.evicted++;
    this.place(victim, key, value);
    return true;
  }

  /** Replaces the value of a resident (no hit counted), or inserts as insertAbsent() does. */
  set(key: K, value: V): boolean {
    const slot = this.index.get(key);
    if (slot !== undefined) {
      this.vals[slot] = value;
      return true;
    }
    return this.insertAbsent(key, value);
  }

  delete(key: K): boolean {
    const slot = this.index.get(key);
    if (slot === undefined) return false;
    this.index.delete(key);
    const last = this.keys.length - 1;
    if (slot !== last) {
      const k = this.keys[last]!;
      this.keys[slot] = k;
      this.vals[slot] = this.vals[last]!;
      this.hits[slot] = this.hits[last]!;
      this.hitEpoch[slot] = this.hitEpoch[last]!;
      this.index.set(k, slot);
    }
    this.keys.pop();
    this.vals.pop();
    return true;
  }

  clear(): void {
    this.index.clear();
    this.keys.length = 0;
    this.vals.length = 0;
  }

  *entries(): IterableIterator<[K, V]> {
    for (let i = 0; i < this.keys.length; i++) yield [this.keys[i]!, this.vals[i]!];
  }

  private place(slot: number, key: K, value: V): void {
    this.keys[slot] = key;
    this.vals[slot] = value;
    this.hits[slot] = 1;
    this.hitEpoch[slot] = this.sketch.epoch;
    this.index.set(key, slot);
  }

  private hitsOf(slot: number): number {
    const age = this.sketch.epoch - this.hitEpoch[slot]!;
    if (age === 0) return this.hits[slot]!;
    const h = age >= 16 ? 0 : this.hits[slot]! >>> age;
    this.hits[slot] = h;
    this.hitEpoch[slot] = this.sketch.epoch;
    return h;
  }

  /** The slot with the fewest hits among SAMPLE drawn at random (xorshift32, seeded per map). */
  private drawVictim(): number {
    const n = this.keys.length;
    let best = -1;
    let bestHits = Number.POSITIVE_INFINITY;
    let x = this.rng;
    for (let i = 0; i < SAMPLE; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      const slot = (x >>> 0) % n;
      const h = this.hitsOf(slot);
      if (h < bestHits) {
        bestHits = h;
        best = slot;
        if (h <= 1) break;
      }
    }
    this.rng = x;
    return best;
  }
}
