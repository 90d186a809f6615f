import { randomBytes } from 'node:crypto';
import { parseVia, type SipMessage, splitHeaderList } from '@ghostguard/core/sip';

/** SIP text helpers for the stand-in: what sofia-sip does to messages that pass through drachtio-server. */

const CRLF = '\r\n';
const TAG_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/** A To-tag shaped like drachtio-server's (13 letters and digits, e.g. `3XQ37ragD7Dpc`). */
export function newTag(): string {
  const bytes = randomBytes(13);
  let tag = '';
  for (const b of bytes) tag += TAG_ALPHABET[b % TAG_ALPHABET.length];
  return tag;
}

/** `z9hG4bK` + random hex, for the stand-in's own Via when it proxies. */
export function newBranch(): string {
  return `z9hG4bK${randomBytes(8).toString('hex')}`;
}

/** drachtio's time token: UTC `HH:MM:SS.micro` (e.g. `20:33:44.126098`). */
export function stackTime(ms: number): string {
  const d = new Date(ms);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())}.${String(d.getUTCMilliseconds() * 1000).padStart(6, '0')}`;
}

const VIA_LINE = /^(via|v)[ \t]*:/i;

/**
 * RFC 3581 as sofia applies it to a received request: the topmost Via gets `rport=<source port>` when it asked
 * for rport, and `received=<source ip>` when its sent-by host is not the address the packet came from. Only that
 * header line changes; every other byte is forwarded as received.
 */
export function stampTopVia(raw: string, sourceIp: string, sourcePort: number): string {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = headEnd === -1 ? raw : raw.slice(0, headEnd);
  const lines = head.split(CRLF);
  const index = lines.findIndex((l, i) => i > 0 && VIA_LINE.test(l));
  if (index === -1) return raw;
  const line = lines[index]!;
  const colon = line.indexOf(':');
  const values = splitHeaderList(line.slice(colon + 1));
  const top = values[0];
  if (top === undefined) return raw;
  const stamped = stampVia(top, sourceIp, sourcePort);
  if (stamped === top.trim()) return raw;
  const rest = values.slice(1);
  lines[index] = `${line.slice(0, colon + 1)} ${[stamped, ...rest].join(', ')}`;
  return lines.join(CRLF) + (headEnd === -1 ? '' : raw.slice(headEnd));
}

/** One Via element with RFC 3581's rport value and received parameter filled in (see stampTopVia). */
export function stampVia(value: string, sourceIp: string, sourcePort: number): string {
  const via = parseVia(value);
  let stamped = value.trim();
  if (via === undefined) return stamped;
  if (via.rport === true) stamped = stamped.replace(/;rport(?=;|$)/i, `;rport=${sourcePort}`);
  if (via.host !== sourceIp && via.received === undefined) stamped += `;received=${sourceIp}`;
  return stamped;
}

/**
 * A From/To value as sofia writes it: `"Display" <uri>;params` (a space before `<`, brackets added to a bare
 * addr-spec), with `tag` appended when given and not already present.
 */
export function formatNameAddr(value: string, tag?: string): string {
  let v = value.trim();
  if (v.includes('<')) {
    v = v.replace(/"\s*</, '" <');
  } else {
    const semi = v.indexOf(';');
    v = semi === -1 ? `<${v}>` : `<${v.slice(0, semi)}>${v.slice(semi)}`;
  }
  if (tag !== undefined && !/;\s*tag=/i.test(v)) v += `;tag=${tag}`;
  return v;
}

/** Every Via element of a message, topmost first (folded lists and repeated lines alike). */
export function viaValues(msg: SipMessage): string[] {
  return msg.headers.getAll('via');
}

export interface ResponseParts {
  status: number;
  reason: string;
  vias: readonly string[];
  from: string;
  to: string;
  callId: string;
  cseq: string;
  /** Further headers in order (never Via/From/To/Call-ID/CSeq/Content-Length). */
  extra?: ReadonlyArray<readonly [string, string]>;
  body?: string;
}

/** A response in sofia's header order: Via…, From, To, Call-ID, CSeq, the rest, Content-Length last. */
export function buildResponse(p: ResponseParts): string {
  const lines = [`SIP/2.0 ${p.status} ${p.reason}`];
  for (const v of p.vias) lines.push(`Via: ${v}`);
  lines.push(`From: ${p.from}`, `To: ${p.to}`, `Call-ID: ${p.callId}`, `CSeq: ${p.cseq}`);
  for (const [name, value] of p.extra ?? []) lines.push(`${name}: ${value}`);
  const body = p.body ?? '';
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`);
  return `${lines.join(CRLF)}${CRLF}${CRLF}${body}`;
}

/** Header fields the stand-in writes itself when it turns an app's response into a wire response. */
export const STACK_OWNED_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'content-length',
]);
