import { DQUOTE, isLws, readQuotedString } from './tokens.js';

const SEMICOLON = 59;
const EQUALS = 61;

/** `;name=value` parameters, names lowercased, first occurrence kept, quoted values unquoted, flags as ''. */
export type SipParams = ReadonlyMap<string, string>;

export const NO_PARAMS: SipParams = new Map();

/**
 * Parses generic parameters (`;tag=x;lr;q="0.5"`) in `s` from `start` to `end`.
 * Stops quietly at anything that cannot continue the list; never throws.
 * A Map, not an object: names come from the wire (`__proto__` is just a name here).
 */
export function parseParams(s: string, start: number, end = s.length): SipParams {
  let params: Map<string, string> | undefined;
  let i = start;
  const n = end;
  for (;;) {
    while (i < n && isLws(s.charCodeAt(i))) i++;
    if (i >= n || s.charCodeAt(i) !== SEMICOLON) break;
    i++;
    while (i < n && isLws(s.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === SEMICOLON || c === EQUALS || isLws(c)) break;
      i++;
    }
    const name = s.slice(nameStart, i).toLowerCase();
    while (i < n && isLws(s.charCodeAt(i))) i++;
    let value = '';
    if (i < n && s.charCodeAt(i) === EQUALS) {
      i++;
      while (i < n && isLws(s.charCodeAt(i))) i++;
      if (i < n && s.charCodeAt(i) === DQUOTE) {
        const quoted = readQuotedString(s, i, n);
        value = quoted === undefined ? s.slice(i + 1, n) : quoted.value;
        i = quoted === undefined ? n : quoted.end;
      } else {
        const valueStart = i;
        while (i < n) {
          const c = s.charCodeAt(i);
          if (c === SEMICOLON || isLws(c)) break;
          i++;
        }
        value = s.slice(valueStart, i);
      }
    }
    if (name.length === 0) continue;
    params ??= new Map();
    if (!params.has(name)) params.set(name, value);
  }
  return params ?? NO_PARAMS;
}
