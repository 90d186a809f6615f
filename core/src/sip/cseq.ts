import { isLws, isToken, parseBoundedInt, trimLws } from './tokens.js';

export interface CSeq {
  readonly seq: number;
  readonly method: string;
}

/** `CSeq: 1 INVITE` → { seq: 1, method: 'INVITE' }; undefined unless 1*DIGIT (< 2^32) LWS method. Never throws. */
export function parseCSeq(value: string): CSeq | undefined {
  const s = trimLws(value);
  let i = 0;
  while (i < s.length && !isLws(s.charCodeAt(i))) i++;
  const seq = parseBoundedInt(s.slice(0, i), 0xffffffff);
  const method = trimLws(s.slice(i));
  if (seq === undefined || !isToken(method)) return undefined;
  return { seq, method };
}
