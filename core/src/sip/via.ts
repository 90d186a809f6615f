import { parseParams, type SipParams } from './params.js';
import { isLws, isToken, parseBoundedInt, skipLws, trimLws } from './tokens.js';

/** One Via element (`SIP/2.0/UDP host:port;branch=…;rport`), i.e. one hop. */
export interface Via {
  /** `SIP/2.0` (name and version as sent). */
  readonly protocol: string;
  /** Transport as sent, e.g. `UDP`, `TCP`, `TLS`, `WSS`. */
  readonly transport: string;
  /** sent-by as written, whitespace removed: `host`, `host:port`, `[v6]:port`. */
  readonly sentBy: string;
  /** Host of sent-by, lowercased, IPv6 without brackets. */
  readonly host: string;
  readonly port?: number;
  readonly branch?: string;
  readonly received?: string;
  /** rport value, or true when the parameter is present without a value (RFC 3581 request). */
  readonly rport?: number | true;
  readonly params: SipParams;
}

/**
 * Parses one via-parm (RFC 3261 §20.42); split a Via header into elements first
 * (SipHeaders.get('via') gives the topmost one). undefined when the sent-protocol or
 * sent-by is missing; never throws.
 */
export function parseVia(value: string): Via | undefined {
  const s = trimLws(value);
  // sent-protocol = name LWS? "/" LWS? version LWS? "/" LWS? transport
  const name = readToken(s, 0);
  const slash1 = skipLws(s, name.end);
  if (s.charCodeAt(slash1) !== 0x2f) return undefined;
  const version = readToken(s, skipLws(s, slash1 + 1));
  const slash2 = skipLws(s, version.end);
  if (s.charCodeAt(slash2) !== 0x2f) return undefined;
  const transport = readToken(s, skipLws(s, slash2 + 1));
  if (!isToken(name.text) || !isToken(version.text) || !isToken(transport.text)) return undefined;

  // sent-by = host [ COLON port ]; LWS around the colon is allowed, so collect until ';'.
  const sentByStart = skipLws(s, transport.end);
  let i = sentByStart;
  while (i < s.length && s.charCodeAt(i) !== 0x3b /* ; */) i++;
  const sentBy = removeLws(s.slice(sentByStart, i));
  if (sentBy.length === 0) return undefined;
  const { host, port } = splitHostPort(sentBy);
  const params = parseParams(s, i);

  const via: { -readonly [K in keyof Via]: Via[K] } = {
    protocol: `${name.text}/${version.text}`,
    transport: transport.text,
    sentBy,
    host,
    params,
  };
  if (port !== undefined) via.port = port;
  const branch = params.get('branch');
  if (branch !== undefined) via.branch = branch;
  const received = params.get('received');
  if (received !== undefined) via.received = received;
  const rport = params.get('rport');
  if (rport !== undefined) {
    const rportValue = parseBoundedInt(rport, 65535);
    if (rport === '') via.rport = true;
    else if (rportValue !== undefined) via.rport = rportValue;
  }
  return via;
}

function readToken(s: string, start: number): { text: string; end: number } {
  let i = start;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x2f || isLws(c)) break;
    i++;
  }
  return { text: s.slice(start, i), end: i };
}

function removeLws(s: string): string {
  let out = '';
  let chunk = 0;
  for (let i = 0; i < s.length; i++) {
    if (isLws(s.charCodeAt(i))) {
      out += s.slice(chunk, i);
      chunk = i + 1;
    }
  }
  return chunk === 0 ? s : out + s.slice(chunk);
}

function splitHostPort(sentBy: string): { host: string; port: number | undefined } {
  if (sentBy.charCodeAt(0) === 0x5b /* [ */) {
    const close = sentBy.indexOf(']');
    if (close === -1) return { host: sentBy.toLowerCase(), port: undefined };
    const rest = sentBy.slice(close + 1);
    return {
      host: sentBy.slice(1, close).toLowerCase(),
      port: rest.charCodeAt(0) === 0x3a ? parseBoundedInt(rest.slice(1), 65535) : undefined,
    };
  }
  const colon = sentBy.lastIndexOf(':');
  if (colon === -1) return { host: sentBy.toLowerCase(), port: undefined };
  return { host: sentBy.slice(0, colon).toLowerCase(), port: parseBoundedInt(sentBy.slice(colon + 1), 65535) };
}
