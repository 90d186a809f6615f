import { NO_PARAMS, parseParams, type SipParams } from './params.js';
import { isDigit, parseBoundedInt, trimLws } from './tokens.js';

export type SipUriScheme = 'sip' | 'sips' | 'tel';
export type HostKind = 'domain' | 'ipv4' | 'ipv6';

export interface SipUri {
  readonly scheme: SipUriScheme;
  /** User part (sip/sips) or the number (tel), %-escapes resolved. */
  readonly user?: string;
  readonly password?: string;
  /** Lowercased; an IPv6 literal without its brackets. Absent for tel. */
  readonly host?: string;
  readonly hostKind?: HostKind;
  readonly port?: number;
  readonly params: SipParams;
  /** The `?…` headers part, raw. */
  readonly headers?: string;
}

/**
 * Parses a sip:, sips: or tel: URI (RFC 3261 §19.1, RFC 3966); undefined for other schemes
 * or when there is no usable host or port. Never throws.
 */
export function parseSipUri(text: string): SipUri | undefined {
  const s = trimLws(text);
  const colon = s.indexOf(':');
  if (colon < 3 || colon > 4) return undefined;
  const scheme = s.slice(0, colon).toLowerCase();
  if (scheme === 'tel') return parseTelUri(s, colon + 1);
  if (scheme !== 'sip' && scheme !== 'sips') return undefined;

  const start = colon + 1;
  // Neither params nor headers may hold a bare '@', so the first one ends the userinfo.
  const at = s.indexOf('@', start);
  const hostStart = at === -1 ? start : at + 1;
  const question = s.indexOf('?', hostStart);
  const end = question === -1 ? s.length : question;

  let host: string;
  let hostKind: HostKind;
  let i: number;
  if (s.charCodeAt(hostStart) === 0x5b /* [ */) {
    const close = s.indexOf(']', hostStart);
    if (close === -1 || close > end) return undefined;
    host = s.slice(hostStart + 1, close).toLowerCase();
    if (!isIpv6Text(host)) return undefined;
    hostKind = 'ipv6';
    i = close + 1;
  } else {
    i = hostStart;
    while (i < end && s.charCodeAt(i) !== 0x3a /* : */ && s.charCodeAt(i) !== 0x3b /* ; */) i++;
    host = s.slice(hostStart, i).toLowerCase();
    if (!isHostname(host)) return undefined;
    hostKind = isIpv4(host) ? 'ipv4' : 'domain';
  }

  let port: number | undefined;
  if (i < end && s.charCodeAt(i) === 0x3a) {
    const portStart = i + 1;
    i = portStart;
    while (i < end && s.charCodeAt(i) !== 0x3b) i++;
    port = parseBoundedInt(s.slice(portStart, i), 65535);
    if (port === undefined) return undefined;
  }
  if (i < end && s.charCodeAt(i) !== 0x3b) return undefined;

  let user: string | undefined;
  let password: string | undefined;
  if (at !== -1) {
    const userinfo = s.slice(start, at);
    const pw = userinfo.indexOf(':');
    user = unescapeUriPart(pw === -1 ? userinfo : userinfo.slice(0, pw));
    if (pw !== -1) password = unescapeUriPart(userinfo.slice(pw + 1));
  }

  const uri: Writable<SipUri> = { scheme, host, hostKind, params: i < end ? parseParams(s, i, end) : NO_PARAMS };
  if (user) uri.user = user;
  if (password !== undefined) uri.password = password;
  if (port !== undefined) uri.port = port;
  if (question !== -1) uri.headers = s.slice(question + 1);
  return uri;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };

function parseTelUri(s: string, start: number): SipUri | undefined {
  const semicolon = s.indexOf(';', start);
  const number = unescapeUriPart(s.slice(start, semicolon === -1 ? s.length : semicolon));
  if (number.length === 0) return undefined;
  return { scheme: 'tel', user: number, params: semicolon === -1 ? NO_PARAMS : parseParams(s, semicolon) };
}

/** %XX escapes resolved; text that is not valid escaped UTF-8 is kept as written. */
export function unescapeUriPart(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// hostname chars: alphanum, '-', '.', and '_' (seen in the wild though not in the grammar).
function isHostname(host: string): boolean {
  if (host.length === 0) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (!((c >= 97 && c <= 122) || isDigit(c) || c === 0x2d || c === 0x2e || c === 0x5f)) return false;
  }
  return true;
}

export function isIpv4(host: string): boolean {
  let parts = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= host.length; i++) {
    const c = i === host.length ? 0x2e : host.charCodeAt(i);
    if (c === 0x2e) {
      if (digits === 0 || value > 255) return false;
      parts++;
      digits = 0;
      value = 0;
    } else if (isDigit(c) && digits < 3) {
      value = value * 10 + (c - 48);
      digits++;
    } else {
      return false;
    }
  }
  return parts === 4;
}

// Loose shape check (hex, ':' and '.' for an embedded IPv4); the core canonicalizes addresses.
function isIpv6Text(host: string): boolean {
  if (host.length < 2 || host.length > 45 || host.indexOf(':') === -1) return false;
  for (let i = 0; i < host.length; i++) {
    const c = host.charCodeAt(i);
    if (!(isDigit(c) || (c >= 97 && c <= 102) || c === 0x3a || c === 0x2e)) return false;
  }
  return true;
}
