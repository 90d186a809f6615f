import type { Action } from '@ghostguard/core';
import type { JudgedAttempt } from './analysis.js';
import { CountMinSketch, DistinctCounter, hashText } from './source-sketches.js';

/** Methods and rule ids are few: numbered once, so a source's counts are small integers only. */
const MAX_NAMES = 1023;
class Names {
  private readonly index = new Map<string, number>();
  readonly names: string[] = [];
  of(name: string): number {
    let i = this.index.get(name);
    if (i === undefined) {
      if (this.names.length >= MAX_NAMES) return this.of('other');
      i = this.names.length;
      this.names.push(name);
      this.index.set(name, i);
    }
    return i;
  }
}

/** A copy of `s` that shares no memory with the string it was cut from (a JSON line, a packet's text). */
function ownString(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

/** Per source, in one Int32Array: attempts, the four actions, a bit per method. */
const COLUMNS = 6;
const ATTEMPTS = 0;
const ACTION_COLUMN: Readonly<Record<Action, number>> = { allow: 1, reject: 2, drop: 3, tarpit: 4 };
const METHOD_BITS = 5;
/** Methods told apart per source (numbered in order of appearance); later ones share the last bit, `other`. */
const MAX_METHODS = 31;
/**
 * Rules counted per source: RULE_SLOTS slots of one Uint32 each, the rule's number + 1 in the top RULE_TAG_BITS
 * bits and its count (saturating) below; a source's further rules count as `other`.
 */
const RULE_SLOTS = 6;
const RULE_TAG_BITS = 10;
const RULE_COUNT_BITS = 32 - RULE_TAG_BITS;
const RULE_COUNT_MAX = 2 ** RULE_COUNT_BITS - 1;
const INITIAL_SOURCES = 1024;
/**
 * Sources the table holds by default: the table is exact for inputs with at most this many distinct sources
 * (about 120 bytes each: 6 MB at the cap, whatever the input's size; measured in bench analyzeScale).
 */
export const DEFAULT_TRACKED_SOURCES = 50_000;
/**
 * A source not in the full table takes the place of the lightest one only when it has at least this many more
 * attempts (by the sketch's estimate): one-shot sources of a sweep then do not churn a table of one-shot sources
 * on the sketch's small overestimates, while a busy newcomer enters by its third attempt.
 */
const ADMIT_MARGIN = 2;

export interface SourceSummary {
  source: string;
  /** Attempts counted while the source was in the table (exact for those). */
  attempts: number;
  /**
   * At most this many earlier attempts of the source were not counted in its row (it entered the full table
   * late, or left it and came back): 0 for a source counted from its first attempt. They are in the rest line.
   */
  earlier: number;
  byAction: Record<Action, number>;
  /** Rule ids by how many of this source's attempts they fired on, most first. */
  topRules: Array<{ rule: string; count: number }>;
  methods: string[];
}

export function emptyActions(): Record<Action, number> {
  return { allow: 0, reject: 0, drop: 0, tarpit: 0 };
}

/**
 * What the text report needs of every judged attempt, counted as they come instead of kept, in memory bounded by
 * `capacity` sources whatever the input holds:
 * - per source in the table, a map entry and 13 small integers in typed arrays (about 120 bytes);
 * - totals by action, exact;
 * - once the table is full (the input has more than `capacity` sources), a heavy-hitter table: a min-heap on the
 *   sources' weights (attempts counted + the bound on earlier ones) finds the lightest in O(log capacity), and a
 *   count-min sketch counts the attempts of sources outside the table (a source leaving the table hands its count
 *   to the sketch). A newcomer whose estimate beats the lightest source's weight by ADMIT_MARGIN takes its place,
 *   so any source with more attempts than the lightest tracked one by that margin is in the table (the sketch
 *   never underestimates), and the rows' counts stay exact for the time they were tracked (`earlier` bounds the
 *   rest); the distinct sources are then estimated (HyperLogLog, ±1 %).
 */
export class SourceTally {
  private readonly index = new Map<string, number>();
  private readonly keys: string[] = [];
  private counts = new Int32Array(0);
  private rules = new Uint32Array(0);
  private earlier = new Uint32Array(0);
  /** Min-heap of slots by weight(); heapPos[slot] is the slot's place in it. */
  private heap = new Int32Array(0);
  private heapPos = new Int32Array(0);
  private sketch: CountMinSketch | undefined;
  private readonly distinct = new DistinctCounter();
  private readonly methodNames = new Names();
  private readonly ruleNames = new Names();
  readonly totals = emptyActions();
  readonly undecodable = emptyActions();
  judged = 0;
  undecodableCount = 0;
  /** Sources that took the place of another in the full table. */
  replaced = 0;

  constructor(readonly capacity = DEFAULT_TRACKED_SOURCES) {
    this.grow(Math.min(INITIAL_SOURCES, capacity));
  }

  add(j: JudgedAttempt): void {
    const action = j.verdict.intended;
    this.judged++;
    this.totals[action]++;
    if (j.undecodable !== undefined) {
      this.undecodableCount++;
      this.undecodable[action]++;
    }
    const key = j.attempt.source.ip;
    const hash = hashText(key);
    this.distinct.add(hash);
    let i = this.index.get(key);
    if (i === undefined) {
      if (this.index.size < this.capacity) {
        i = this.index.size;
        if (i >= this.heap.length) this.grow(Math.min(Math.ceil(this.heap.length * 1.5), this.capacity));
        this.keys.push(ownString(key));
        this.index.set(this.keys[i]!, i);
        this.heap[i] = i;
        this.heapPos[i] = i;
        this.countInto(i, j, action);
        this.siftUp(i);
        return;
      }
      i = this.admit(key, hash);
      if (i === undefined) return;
    }
    this.countInto(i, j, action);
    this.siftDown(this.heapPos[i]!);
  }

  /** Distinct sources: exact until the table was full, then the HyperLogLog's estimate (see `estimated`). */
  get sources(): number {
    return this.estimated ? Math.max(Math.round(this.distinct.estimate()), this.index.size) : this.index.size;
  }

  /** Whether the input had more sources than the table holds (`sources` is then an estimate). */
  get estimated(): boolean {
    return this.sketch !== undefined;
  }

  /**
   * The `n` busiest sources of the table (most attempts counted, then address), and everything else summed: one
   * pass keeping at most `n` candidates (no sort of every source).
   */
  top(n: number): {
    rows: SourceSummary[];
    rest: { sources: number; attempts: number; byAction: Record<Action, number> };
  } {
    const best: number[] = [];
    const attempts = (i: number) => this.counts[i * COLUMNS + ATTEMPTS]!;
    const before = (a: number, b: number) => {
      const ka = this.keys[a]!;
      const kb = this.keys[b]!;
      return attempts(b) - attempts(a) || (ka < kb ? -1 : ka > kb ? 1 : 0);
    };
    if (n > 0) {
      for (let item = 0; item < this.keys.length; item++) {
        if (best.length === n && before(item, best[n - 1]!) >= 0) continue;
        // Insert in order (n is small: the report's --top).
        let k = best.length;
        while (k > 0 && before(item, best[k - 1]!) < 0) k--;
        best.splice(k, 0, item);
        if (best.length > n) best.pop();
      }
    }
    const rows = best.map((i) => this.summary(i));
    const rest = { sources: this.sources - rows.length, attempts: this.judged, byAction: { ...this.totals } };
    for (const r of rows) {
      rest.attempts -= r.attempts;
      for (const a of Object.keys(rest.byAction) as Action[]) rest.byAction[a] -= r.byAction[a];
    }
    return { rows, rest };
  }

  /**
   * A source not in the full table: counted in the sketch, and given the lightest source's slot when its
   * estimate beats that one's weight by ADMIT_MARGIN (the lightest's count then goes to the sketch). Returns the
   * slot, or undefined when it stays out.
   */
  private admit(key: string, hash: number): number | undefined {
    this.sketch ??= new CountMinSketch(this.capacity);
    const estimate = this.sketch.add(hash, 1);
    const victim = this.heap[0]!;
    if (estimate < this.weight(victim) + ADMIT_MARGIN) return undefined;
    const old = this.keys[victim]!;
    this.sketch.add(hashText(old), this.counts[victim * COLUMNS + ATTEMPTS]!);
    this.index.delete(old);
    this.keys[victim] = ownString(key);
    this.index.set(this.keys[victim]!, victim);
    this.counts.fill(0, victim * COLUMNS, (victim + 1) * COLUMNS);
    this.rules.fill(0, victim * RULE_SLOTS, (victim + 1) * RULE_SLOTS);
    // This attempt is counted in the row (by the caller): the sketch's estimate less it bounds the earlier ones.
    this.earlier[victim] = estimate - 1;
    this.replaced++;
    return victim;
  }

  private weight(i: number): number {
    return this.counts[i * COLUMNS + ATTEMPTS]! + this.earlier[i]!;
  }

  private countInto(i: number, j: JudgedAttempt, action: Action): void {
    const c = i * COLUMNS;
    this.counts[c + ATTEMPTS]!++;
    this.counts[c + ACTION_COLUMN[action]]!++;
    this.counts[c + METHOD_BITS]! |= 1 << Math.min(this.methodNames.of(j.attempt.method), MAX_METHODS - 1);
    for (const r of j.verdict.reasons) {
      if (r.weight > 0) this.countRule(i, this.ruleNames.of(r.rule));
    }
  }

  private siftUp(pos: number): void {
    const heap = this.heap;
    const slot = heap[pos]!;
    const w = this.weight(slot);
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      const p = heap[parent]!;
      if (this.weight(p) <= w) break;
      heap[pos] = p;
      this.heapPos[p] = pos;
      pos = parent;
    }
    heap[pos] = slot;
    this.heapPos[slot] = pos;
  }

  /** A slot's weight went up: moves it down past lighter children. */
  private siftDown(pos: number): void {
    const heap = this.heap;
    const size = this.keys.length;
    const slot = heap[pos]!;
    const w = this.weight(slot);
    for (;;) {
      const left = 2 * pos + 1;
      if (left >= size) break;
      const right = left + 1;
      let child = left;
      let cw = this.weight(heap[left]!);
      if (right < size) {
        const rw = this.weight(heap[right]!);
        if (rw < cw) {
          child = right;
          cw = rw;
        }
      }
      if (cw >= w) break;
      const c = heap[child]!;
      heap[pos] = c;
      this.heapPos[c] = pos;
      pos = child;
    }
    heap[pos] = slot;
    this.heapPos[slot] = pos;
  }

  private countRule(source: number, rule: number): void {
    const base = source * RULE_SLOTS;
    const tag = rule + 1;
    for (let k = base; k < base + RULE_SLOTS; k++) {
      const slot = this.rules[k]!;
      if (slot === 0) {
        this.rules[k] = tag * 2 ** RULE_COUNT_BITS + 1;
        return;
      }
      if (Math.floor(slot / 2 ** RULE_COUNT_BITS) === tag) {
        if (slot % 2 ** RULE_COUNT_BITS < RULE_COUNT_MAX) this.rules[k] = slot + 1;
        return;
      }
    }
    // Every slot taken by other rules: the last one becomes `other` (its count carried over).
    const last = base + RULE_SLOTS - 1;
    const count = Math.min((this.rules[last]! % 2 ** RULE_COUNT_BITS) + 1, RULE_COUNT_MAX);
    this.rules[last] = (this.ruleNames.of('other') + 1) * 2 ** RULE_COUNT_BITS + count;
  }

  /** Room for `sources` (≤ capacity): grown by half again each time, so a small input allocates little. */
  private grow(sources: number): void {
    const counts = new Int32Array(sources * COLUMNS);
    counts.set(this.counts);
    this.counts = counts;
    const rules = new Uint32Array(sources * RULE_SLOTS);
    rules.set(this.rules);
    this.rules = rules;
    const earlier = new Uint32Array(sources);
    earlier.set(this.earlier);
    this.earlier = earlier;
    const heap = new Int32Array(sources);
    heap.set(this.heap);
    this.heap = heap;
    const heapPos = new Int32Array(sources);
    heapPos.set(this.heapPos);
    this.heapPos = heapPos;
  }

  private summary(i: number): SourceSummary {
    const c = i * COLUMNS;
    const rules: Array<{ rule: string; count: number }> = [];
    for (let k = i * RULE_SLOTS; k < (i + 1) * RULE_SLOTS; k++) {
      const slot = this.rules[k]!;
      if (slot === 0) break;
      const tag = Math.floor(slot / 2 ** RULE_COUNT_BITS);
      rules.push({ rule: this.ruleNames.names[tag - 1]!, count: slot % 2 ** RULE_COUNT_BITS });
    }
    const methods: string[] = [];
    const bits = this.counts[c + METHOD_BITS]!;
    for (let m = 0; m < MAX_METHODS; m++) {
      if (bits & (1 << m)) methods.push(m === MAX_METHODS - 1 ? 'other' : this.methodNames.names[m]!);
    }
    return {
      source: this.keys[i]!,
      attempts: this.counts[c + ATTEMPTS]!,
      earlier: this.earlier[i]!,
      byAction: {
        allow: this.counts[c + ACTION_COLUMN.allow]!,
        reject: this.counts[c + ACTION_COLUMN.reject]!,
        drop: this.counts[c + ACTION_COLUMN.drop]!,
        tarpit: this.counts[c + ACTION_COLUMN.tarpit]!,
      },
      methods: methods.sort(),
      topRules: rules.sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
    };
  }
}
