import { NO_PARAMS, parseParams, type SipParams } from './params.js';
import { DQUOTE, isLws, readQuotedString, skipLws, trimLws } from './tokens.js';
import { parseSipUri, type SipUri } from './uri.js';

/** A From / To / Contact / Route value: optional display name, the URI, and the header's own parameters. */
export interface NameAddr {
  /** Display name, quotes and escapes resolved; absent when empty. */
  readonly display?: string;
  /** The URI text as written (inside the brackets when there are brackets). */
  readonly uri: string;
  /** The URI parsed, when it is a sip/sips/tel URI. */
  readonly sipUri?: SipUri;
  readonly tag?: string;
  /** Header parameters (after `>`, or after the URI when it has no brackets). */
  readonly params: SipParams;
}

/**
 * Parses name-addr / addr-spec (RFC 3261 §20.10, §25.1):
 * `"Display" <sip:u@h;uri-param>;tag=x`, `Display Name <sip:u@h>`, `<sip:u@h>;tag=x`, `sip:u@h;tag=x`
 * (without brackets a `;` starts the header's parameters, not the URI's), and Contact's `*`.
 * undefined when the shape is broken (unclosed quote or bracket); never throws.
 */
export function parseNameAddr(value: string): NameAddr | undefined {
  const s = trimLws(value);
  if (s.length === 0) return undefined;

  let display: string | undefined;
  let i = 0;
  if (s.charCodeAt(0) === DQUOTE) {
    const quoted = readQuotedString(s, 0);
    if (quoted === undefined) return undefined;
    display = quoted.value;
    i = skipLws(s, quoted.end);
    if (s.charCodeAt(i) !== 0x3c /* < */) return undefined;
  } else {
    const lt = s.indexOf('<');
    const semicolon = s.indexOf(';');
    if (lt !== -1 && (semicolon === -1 || lt < semicolon)) {
      display = trimLws(s.slice(0, lt));
      i = lt;
    } else {
      // addr-spec: the URI runs to the first ';' and cannot contain spaces.
      const uriEnd = semicolon === -1 ? s.length : semicolon;
      const uri = trimLws(s.slice(0, uriEnd));
      if (uri.length === 0 || hasLws(uri)) return undefined;
      return build(undefined, uri, semicolon === -1 ? NO_PARAMS : parseParams(s, semicolon));
    }
  }

  const gt = s.indexOf('>', i + 1);
  if (gt === -1) return undefined;
  const uri = trimLws(s.slice(i + 1, gt));
  if (uri.length === 0) return undefined;
  return build(display, uri, parseParams(s, gt + 1));
}

function build(display: string | undefined, uri: string, params: SipParams): NameAddr {
  const nameAddr: { -readonly [K in keyof NameAddr]: NameAddr[K] } = { uri, params };
  if (display) nameAddr.display = display;
  const sipUri = parseSipUri(uri);
  if (sipUri !== undefined) nameAddr.sipUri = sipUri;
  const tag = params.get('tag');
  if (tag !== undefined) nameAddr.tag = tag;
  return nameAddr;
}

function hasLws(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (isLws(s.charCodeAt(i))) return true;
  }
  return false;
}
