import type { Action } from '@ghostguard/core';
import type { JudgedAttempt } from './analysis.js';

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

export interface SourceSummary {
  source: string;
  attempts: number;
  byAction: Record<Action, number>;
  /** Rule ids by how many of this source's attempts they fired on, most first. */
  topRules: Array<{ rule: string; count: number }>;
  methods: string[];
}

export function emptyActions(): Record<Action, number> {
  return { allow: 0, reject: 0, drop: 0, tarpit: 0 };
}

/**
 * What the text report needs of every judged attempt, counted as they come instead of kept: per distinct source
 * a map entry and 12 small integers in typed arrays (about 100 bytes), totals, and the undecodable ones apart.
 */
export class SourceTally {
  private readonly index = new Map<string, number>();
  private counts = new Int32Array(INITIAL_SOURCES * COLUMNS);
  private rules = new Uint32Array(INITIAL_SOURCES * RULE_SLOTS);
  private readonly methodNames = new Names();
  private readonly ruleNames = new Names();
  readonly totals = emptyActions();
  readonly undecodable = emptyActions();
  judged = 0;
  undecodableCount = 0;

  add(j: JudgedAttempt): void {
    const action = j.verdict.intended;
    this.judged++;
    this.totals[action]++;
    if (j.undecodable !== undefined) {
      this.undecodableCount++;
      this.undecodable[action]++;
    }
    const key = j.attempt.source.ip;
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.index.size;
      this.grow(i + 1);
      this.index.set(ownString(key), i);
    }
    const c = i * COLUMNS;
    this.counts[c + ATTEMPTS]!++;
    this.counts[c + ACTION_COLUMN[action]]!++;
    this.counts[c + METHOD_BITS]! |= 1 << Math.min(this.methodNames.of(j.attempt.method), MAX_METHODS - 1);
    for (const r of j.verdict.reasons) {
      if (r.weight > 0) this.countRule(i, this.ruleNames.of(r.rule));
    }
  }

  get sources(): number {
    return this.index.size;
  }

  /**
   * The `n` busiest sources (most attempts, then address), and everything else summed: one pass keeping at most
   * `n` candidates (no sort of every source).
   */
  top(n: number): {
    rows: SourceSummary[];
    rest: { sources: number; attempts: number; byAction: Record<Action, number> };
  } {
    const best: Array<[string, number]> = [];
    const attempts = (i: number) => this.counts[i * COLUMNS + ATTEMPTS]!;
    const before = (a: [string, number], b: [string, number]) =>
      attempts(b[1]) - attempts(a[1]) || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);
    if (n > 0) {
      for (const item of this.index) {
        if (best.length === n && before(item, best[n - 1]!) >= 0) continue;
        // Insert in order (n is small: the report's --top).
        let k = best.length;
        while (k > 0 && before(item, best[k - 1]!) < 0) k--;
        best.splice(k, 0, item);
        if (best.length > n) best.pop();
      }
    }
    const rows = best.map(([source, i]) => this.summary(source, i));
    const rest = { sources: this.index.size - rows.length, attempts: this.judged, byAction: { ...this.totals } };
    for (const r of rows) {
      rest.attempts -= r.attempts;
      for (const a of Object.keys(rest.byAction) as Action[]) rest.byAction[a] -= r.byAction[a];
    }
    return { rows, rest };
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

  /** Room for `sources`: grown by half again each time (doubling would leave up to half of it unused). */
  private grow(sources: number): void {
    if (sources * COLUMNS <= this.counts.length) return;
    const size = Math.ceil((this.counts.length / COLUMNS) * 1.5);
    const counts = new Int32Array(size * COLUMNS);
    counts.set(this.counts);
    this.counts = counts;
    const rules = new Uint32Array(size * RULE_SLOTS);
    rules.set(this.rules);
    this.rules = rules;
  }

  private summary(source: string, i: number): SourceSummary {
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
      source,
      attempts: this.counts[c + ATTEMPTS]!,
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
