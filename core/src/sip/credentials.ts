import { NO_PARAMS, type SipParams } from './params.js';
import { DQUOTE, isLws, isToken, readQuotedString, skipLws, trimLws } from './tokens.js';

/** An Authorization / Proxy-Authorization value: `Digest username="101",realm="…",…`. */
export interface Credentials {
  /** Auth scheme as sent, e.g. `Digest`. */
  readonly scheme: string;
  /** auth-params, names lowercased, quoted values unquoted, first occurrence kept. */
  readonly params: SipParams;
}

/** Parses credentials (RFC 3261 §25.1 credentials / digest-response); undefined without a scheme token. Never throws. */
export function parseCredentials(value: string): Credentials | undefined {
  const s = trimLws(value);
  let i = 0;
  while (i < s.length && !isLws(s.charCodeAt(i))) i++;
  const scheme = s.slice(0, i);
  if (!isToken(scheme)) return undefined;

  let params: Map<string, string> | undefined;
  const n = s.length;
  while (i < n) {
    i = skipLws(s, i);
    const nameStart = i;
    while (i < n) {
      const c = s.charCodeAt(i);
      if (c === 0x3d /* = */ || c === 0x2c /* , */ || isLws(c)) break;
      i++;
    }
    const name = s.slice(nameStart, i).toLowerCase();
    i = skipLws(s, i);
    let paramValue = '';
    if (s.charCodeAt(i) === 0x3d) {
      i = skipLws(s, i + 1);
      if (s.charCodeAt(i) === DQUOTE) {
        const quoted = readQuotedString(s, i);
        if (quoted === undefined) {
          paramValue = s.slice(i + 1);
          i = n;
        } else {
          paramValue = quoted.value;
          i = quoted.end;
        }
      } else {
        const valueStart = i;
        while (i < n && s.charCodeAt(i) !== 0x2c && !isLws(s.charCodeAt(i))) i++;
        paramValue = s.slice(valueStart, i);
      }
    }
    if (name.length > 0) {
      params ??= new Map();
      if (!params.has(name)) params.set(name, paramValue);
    }
    // Skip to the next ',' so stray text cannot stall the loop.
    while (i < n && s.charCodeAt(i) !== 0x2c) i++;
    i++;
  }
  return { scheme, params: params ?? NO_PARAMS };
}

/** The `username` auth-param of a credentials value, when present and non-empty. */
export function credentialsUsername(value: string): string | undefined {
  const username = parseCredentials(value)?.params.get('username');
  return username ? username : undefined;
}
