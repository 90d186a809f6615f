/**
 * Fixed-size summaries of a stream of source addresses, for a per-source table that must not grow with the
 * number of sources: a count-min sketch (how many attempts a source had while it was not in the table) and a
 * HyperLogLog (how many distinct sources there were). Both take a 32-bit hash of the address ({@link hashText}).
 *
 * The hash is seeded with a constant, not per process: the report of one input is the same on every run. What a
 * crafted set of colliding addresses can do is limited to estimates going up (a count-min estimate never goes
 * below the true count), so a busy source can never be hidden by it (see SourceTally).
 */

const SEED = 0x9e3779b9;

/** Murmur3's 32-bit finaliser: spreads every input bit over the output. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of a string (FNV-1a over its UTF-16 code units, then fmix32). */
export function hashText(s: string): number {
  let h = 0x811c9dc5 ^ SEED;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

const ROWS = 4;
const COUNT_MAX = 0xffff_ffff;

/**
 * A count-min sketch of ROWS rows of 32-bit counters with conservative update: an estimate is never below the
 * true total added for a key, and only the counters at the key's current minimum are raised, so a flood of
 * distinct keys inflates others' estimates far less than plain count-min. No ageing: an offline run wants totals.
 * Memory: ROWS × 4 bytes × `width` (the next power of two ≥ the width asked for), outside the JS heap.
 */
export class CountMinSketch {
  private readonly table: Uint32Array;
  private readonly width: number;
  private readonly mask: number;

  constructor(width: number) {
    let w = 64;
    while (w < width) w *= 2;
    this.width = w;
    this.mask = w - 1;
    this.table = new Uint32Array(ROWS * w);
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  /** Adds `n` for the key; returns its estimate after (≥ every `n` ever added for it). */
  add(hash: number, n: number): number {
    const t = this.table;
    let min = COUNT_MAX;
    for (let r = 0; r < ROWS; r++) min = Math.min(min, t[this.index(hash, r)]!);
    const target = Math.min(min + n, COUNT_MAX);
    for (let r = 0; r < ROWS; r++) {
      const i = this.index(hash, r);
      if (t[i]! < target) t[i] = target;
    }
    return target;
  }

  estimate(hash: number): number {
    const t = this.table;
    let min = COUNT_MAX;
    for (let r = 0; r < ROWS; r++) min = Math.min(min, t[this.index(hash, r)]!);
    return min;
  }

  /** Row `row`'s column: double hashing from one 32-bit hash, each row its own stretch of the table. */
  private index(hash: number, row: number): number {
    const step = fmix32(hash ^ 0x5bd1e995) | 1;
    return row * this.width + ((hash + Math.imul(row, step)) & this.mask);
  }
}

/** Registers of the distinct counter: 2^P, one byte each (16 KB); standard error 1.04 / √2^P ≈ 0.8 %. */
const P = 14;
const M = 1 << P;
const ALPHA = 0.7213 / (1 + 1.079 / M);
const TWO_32 = 2 ** 32;

/** HyperLogLog (Flajolet et al. 2007) over 32-bit hashes, with its small- and large-range corrections. */
export class DistinctCounter {
  private readonly registers = new Uint8Array(M);

  add(hash: number): void {
    const j = hash >>> (32 - P);
    const w = (hash << P) >>> 0;
    const rank = w === 0 ? 32 - P + 1 : Math.clz32(w) + 1;
    if (rank > this.registers[j]!) this.registers[j] = rank;
  }

  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (let j = 0; j < M; j++) {
      const r = this.registers[j]!;
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    const e = (ALPHA * M * M) / sum;
    if (e <= 2.5 * M && zeros > 0) return M * Math.log(M / zeros);
    if (e > TWO_32 / 30) return -TWO_32 * Math.log(1 - e / TWO_32);
    return e;
  }
}
