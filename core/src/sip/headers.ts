import { canonicalHeaderName, LIST_HEADERS } from './header-names.js';
import { BACKSLASH, DQUOTE, trimLws } from './tokens.js';

const COMMA = 44;
const LT = 60;
const GT = 62;

/**
 * The header fields of one SIP message, in wire order, looked up by any spelling of the name
 * (case-insensitive, compact forms such as `v` for Via).
 * Values are unfolded and trimmed; list headers (Via, Contact, Route…) are split into their
 * elements by get/getAll, so `Via: a, b` and two Via lines read the same.
 */
export class SipHeaders implements Iterable<[name: string, value: string]> {
  // Flat arrays and a linear scan: a message has ~10-20 fields, where building a Map per
  // message costs more than every lookup it would save.
  readonly #keys: string[] = [];
  readonly #names: string[] = [];
  readonly #values: string[] = [];

  append(name: string, value: string): void {
    this.#keys.push(canonicalHeaderName(name));
    this.#names.push(name);
    this.#values.push(value);
  }

  /** First value: for list headers the first element (the topmost Via), otherwise the first line. */
  get(name: string): string | undefined {
    const key = canonicalHeaderName(name);
    const isList = LIST_HEADERS.has(key);
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] !== key) continue;
      const value = this.#values[i]!;
      if (!isList) return value;
      const first = firstListItem(value);
      if (first !== undefined) return first;
    }
    return undefined;
  }

  /** Every value in order: one per line, list headers split into their elements. */
  getAll(name: string): string[] {
    const key = canonicalHeaderName(name);
    const lines = this.#linesOf(key);
    if (!LIST_HEADERS.has(key)) return lines;
    const all: string[] = [];
    for (const line of lines) {
      for (const item of splitHeaderList(line)) all.push(item);
    }
    return all;
  }

  /** Field values as they appeared, one per header line, never split. */
  getLines(name: string): string[] {
    return this.#linesOf(canonicalHeaderName(name));
  }

  has(name: string): boolean {
    return this.#keys.includes(canonicalHeaderName(name));
  }

  /**
   * True when one of `keys` (canonical names, at most 31) names more than one line: one pass over the fields, no
   * allocation, a length check before each string comparison.
   */
  hasRepeated(keys: readonly string[]): boolean {
    let seen = 0;
    const all = this.#keys;
    for (let i = 0; i < all.length; i++) {
      const key = all[i]!;
      const length = key.length;
      for (let j = 0; j < keys.length; j++) {
        const candidate = keys[j]!;
        if (candidate.length !== length || candidate !== key) continue;
        const bit = 1 << j;
        if ((seen & bit) !== 0) return true;
        seen |= bit;
        break;
      }
    }
    return false;
  }

  /** Number of header lines with this name (a list header's comma-joined elements count once). */
  count(name: string): number {
    const key = canonicalHeaderName(name);
    const keys = this.#keys;
    let n = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] === key) n++;
    return n;
  }

  /** Number of header fields (lines after unfolding). */
  get size(): number {
    return this.#keys.length;
  }

  /** Names as spelled on the wire, in order: header order and spelling are tool fingerprints. */
  names(): string[] {
    return this.#names.slice();
  }

  *[Symbol.iterator](): IterableIterator<[name: string, value: string]> {
    for (let i = 0; i < this.#names.length; i++) yield [this.#names[i]!, this.#values[i]!];
  }

  #linesOf(key: string): string[] {
    const lines: string[] = [];
    const keys = this.#keys;
    for (let i = 0; i < keys.length; i++) {
      if (keys[i] === key) lines.push(this.#values[i]!);
    }
    return lines;
  }
}

/**
 * Splits a list header value at commas outside quoted strings and <…>, trimming each element
 * and dropping empty ones. An unclosed quote or bracket runs to the end of the value.
 */
export function splitHeaderList(value: string): string[] {
  const items: string[] = [];
  for (let start = 0; start <= value.length; ) {
    const end = listItemEnd(value, start);
    const item = trimLws(value.slice(start, end));
    if (item.length > 0) items.push(item);
    start = end + 1;
  }
  return items;
}

function firstListItem(value: string): string | undefined {
  if (value.indexOf(',') === -1) {
    const item = trimLws(value);
    return item.length > 0 ? item : undefined;
  }
  for (let start = 0; start <= value.length; ) {
    const end = listItemEnd(value, start);
    const item = trimLws(value.slice(start, end));
    if (item.length > 0) return item;
    start = end + 1;
  }
  return undefined;
}

/** Index of the comma that ends the list element starting at `start`, or the value's length. */
function listItemEnd(value: string, start: number): number {
  let inQuotes = false;
  let inAngle = false;
  for (let i = start; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuotes) {
      if (c === BACKSLASH) i++;
      else if (c === DQUOTE) inQuotes = false;
    } else if (c === DQUOTE) inQuotes = true;
    else if (c === LT) inAngle = true;
    else if (c === GT) inAngle = false;
    else if (c === COMMA && !inAngle) return i;
  }
  return value.length;
}
