import { parseParams, type SipParams } from './params.js';
import { isToken, trimLws } from './tokens.js';

export interface MediaType {
  /** `type/subtype`, lowercased: `application/sdp`. */
  readonly mediaType: string;
  readonly type: string;
  readonly subtype: string;
  /** Parameters such as charset or boundary (names lowercased, values unquoted). */
  readonly params: SipParams;
}

/** Parses a Content-Type value (RFC 3261 §20.15); undefined unless `token/token`. Never throws. */
export function parseContentType(value: string): MediaType | undefined {
  const s = trimLws(value);
  const semicolon = s.indexOf(';');
  const mediaEnd = semicolon === -1 ? s.length : semicolon;
  const slash = s.indexOf('/');
  if (slash === -1 || slash > mediaEnd) return undefined;
  const type = trimLws(s.slice(0, slash)).toLowerCase();
  const subtype = trimLws(s.slice(slash + 1, mediaEnd)).toLowerCase();
  if (!isToken(type) || !isToken(subtype)) return undefined;
  return { mediaType: `${type}/${subtype}`, type, subtype, params: parseParams(s, mediaEnd) };
}
