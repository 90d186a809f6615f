/** Longest label value kept; longer values are cut (a hostile or buggy caller cannot grow a series name). */
const MAX_VALUE_LENGTH = 64;

/**
 * Numbers the values of one Prometheus label for counting in flat arrays: the first `max` distinct values
 * get 0…max−1, every later one shares `max` (named `other`). Each distinct value is a time series on the
 * scraper, so the cap bounds what a burst of odd input can cost there. Lookups hash the string once: callers
 * pass the same string objects (rule ids, adapter names) again and again.
 */
export class LabelIndex {
  private readonly indexes = new Map<string, number>();
  private readonly names: string[] = [];

  constructor(readonly max: number) {}

  /** Slots a counter array needs: one per value plus `other`. */
  get slots(): number {
    return this.max + 1;
  }

  index(raw: unknown): number {
    const known = typeof raw === 'string' ? this.indexes.get(raw) : undefined;
    if (known !== undefined) return known;
    const v = typeof raw !== 'string' || raw === '' ? 'none' : raw.slice(0, MAX_VALUE_LENGTH);
    let i = this.indexes.get(v);
    if (i === undefined) {
      if (this.names.length >= this.max) return this.max;
      i = this.names.length;
      this.names.push(v);
      this.indexes.set(v, i);
    }
    // Remember the raw spelling too (a long value maps to its cut form), within the same bound.
    if (typeof raw === 'string' && this.indexes.size < 2 * this.max) this.indexes.set(raw, i);
    return i;
  }

  name(i: number): string {
    return this.names[i] ?? 'other';
  }
}
