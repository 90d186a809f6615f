/**
 * Character classes and small scanners shared by the SIP parsers (RFC 3261 §25.1).
 * Plain loops over char codes: linear on any input, no regex backtracking.
 */

export const HT = 9;
export const LF = 10;
export const CR = 13;
export const SP = 32;
export const DQUOTE = 34;
export const BACKSLASH = 92;

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
const TOKEN_CHARS = new Uint8Array(128);
for (let c = 48; c <= 57; c++) TOKEN_CHARS[c] = 1;
for (let c = 65; c <= 90; c++) TOKEN_CHARS[c] = 1;
for (let c = 97; c <= 122; c++) TOKEN_CHARS[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN_CHARS[ch.charCodeAt(0)] = 1;

export function isTokenChar(code: number): boolean {
  return code < 128 && TOKEN_CHARS[code] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!isTokenChar(s.charCodeAt(i))) return false;
  }
  return true;
}

export function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}

export function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    if (!isDigit(s.charCodeAt(i))) return false;
  }
  return true;
}

export function isLws(code: number): boolean {
  return code === SP || code === HT;
}

/** Index of the first non SP/HT character at or after `i`. */
export function skipLws(s: string, i: number): number {
  while (i < s.length && isLws(s.charCodeAt(i))) i++;
  return i;
}

/**
 * Trims SP and HT only. String.prototype.trim would also eat U+00A0, which in a latin1 view
 * of the wire is the last byte of UTF-8 sequences such as "à" (C3 A0).
 */
export function trimLws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && isLws(s.charCodeAt(start))) start++;
  while (end > start && isLws(s.charCodeAt(end - 1))) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

export interface QuotedString {
  /** Content with quoted-pairs resolved. */
  value: string;
  /** Index just after the closing quote. */
  end: number;
}

/** Reads a quoted-string whose opening quote is at `start`; undefined when it is not closed before `end`. */
export function readQuotedString(s: string, start: number, end = s.length): QuotedString | undefined {
  let value = '';
  let chunkStart = start + 1;
  for (let i = start + 1; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) return { value: value + s.slice(chunkStart, i), end: i + 1 };
    if (c === BACKSLASH && i + 1 < end) {
      value += s.slice(chunkStart, i);
      chunkStart = i + 1;
      i++;
    }
  }
  return undefined;
}

/** Parses 1*DIGIT no larger than `max`; undefined otherwise (also for over-long digit runs). */
export function parseBoundedInt(s: string, max: number): number | undefined {
  if (s.length === 0 || s.length > 10) return undefined;
  // Digit arithmetic rather than Number(): several times faster on these short strings.
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!isDigit(c)) return undefined;
    n = n * 10 + (c - 48);
  }
  return n <= max ? n : undefined;
}
