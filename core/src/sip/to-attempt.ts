import {
  type Endpoint,
  MAX_FIELD_LENGTH,
  type MediaOffer,
  type Party,
  type SipAttempt,
  type SipSection,
  type Transport,
  TransportSchema,
} from '../attempt.js';
import { GhostguardError } from '../errors.js';
import { parseContentType } from './content-type.js';
import { credentialsUsername } from './credentials.js';
import { parseCSeq } from './cseq.js';
import { parseMaxForwards } from './max-forwards.js';
import { parseSipMessage, type SipMessage, type SipParseOptions, type SipRequest } from './message.js';
import { type NameAddr, parseNameAddr } from './name-addr.js';
import { sdpSessionName } from './sdp.js';
import { noMediaOffer, summarizeSdpOffer } from './sdp-offer.js';
import { parseSipUri } from './uri.js';
import { parseVia } from './via.js';

/** What the adapter knows that the message does not say. */
export interface SipAttemptContext {
  /** Where the packet came from; its transport wins over the Via's. */
  source: Endpoint;
  local?: Partial<Endpoint>;
  /** Arrival time, ms since the epoch. */
  time: number;
  adapter?: string;
}

// Limits of the CallAttempt schema for the short fields and the anomaly list.
const MAX_METHOD_LENGTH = 32;
const MAX_ANOMALIES = 8;
const MAX_ANOMALY_LENGTH = 200;
/** Joins the User-Agent values of a request that sends more than one. */
const USER_AGENT_SEPARATOR = ' | ';
/**
 * Single-valued fields the rules read (RFC 3261 §7.3.1: not comma lists, so never legitimately repeated): a
 * second one is an anomaly, since the rules read the first and a stack may read another. Several User-Agent
 * values are all kept (joined); of the others the rules read the first.
 */
const SINGLE_FIELDS: ReadonlyArray<readonly [key: string, name: string]> = [
  ['user-agent', 'User-Agent'],
  ['from', 'From'],
  ['to', 'To'],
  ['call-id', 'Call-ID'],
  ['cseq', 'CSeq'],
  ['max-forwards', 'Max-Forwards'],
  ['content-type', 'Content-Type'],
];
const SINGLE_FIELD_KEYS: readonly string[] = SINGLE_FIELDS.map(([key]) => key);
const TRANSPORTS: ReadonlySet<string> = new Set(TransportSchema.options);

/**
 * Maps a parsed SIP request to the core's CallAttempt. Every string is cut to the schema's
 * limits, so the result is valid for any request the parser accepts (given a valid ctx).
 * What the parser skipped (`msg.anomalies`) becomes `attempt.anomalies`, with a repeated User-Agent or
 * single-valued field added; several User-Agent values are all kept, joined with ` | `, so a benign one put
 * before the sender's own cannot hide it. A response throws GG_SIP_PARSE.
 */
export function sipRequestToAttempt(msg: SipMessage, ctx: SipAttemptContext): SipAttempt {
  if (msg.kind !== 'request') throw new GhostguardError('GG_SIP_PARSE', 'not a request');
  const headers = msg.headers;

  const viaValue = headers.get('via');
  const via = viaValue === undefined ? undefined : parseVia(viaValue);
  const from = nameAddrOf(headers.get('from'));
  const to = nameAddrOf(headers.get('to'));
  const requestUri = parseSipUri(msg.requestUri);
  const cseqValue = headers.get('cseq');
  const cseq = cseqValue === undefined ? undefined : parseCSeq(cseqValue);
  const maxForwardsValue = headers.get('max-forwards');
  const contentTypeValue = headers.get('content-type');
  const hasBody = msg.body.length > 0;

  const sip: SipSection = { requestUri: clip(msg.requestUri), hasBody };
  put(sip, 'viaBranch', clipOptional(via?.branch));
  put(sip, 'viaSentBy', clipOptional(via?.sentBy));
  put(sip, 'fromTag', clipOptional(from?.tag));
  put(sip, 'toTag', clipOptional(to?.tag));
  put(sip, 'fromUri', clipOptional(from?.uri));
  put(sip, 'toUri', clipOptional(to?.uri));
  put(sip, 'contact', clipOptional(headers.get('contact')));
  if (maxForwardsValue !== undefined) put(sip, 'maxForwards', parseMaxForwards(maxForwardsValue));
  if (cseq !== undefined) sip.cseq = { seq: cseq.seq, method: clip(cseq.method, MAX_METHOD_LENGTH) };
  if (contentTypeValue !== undefined) {
    // The media type without parameters is what rules compare; the raw value when it does not parse.
    sip.contentType = clip(parseContentType(contentTypeValue)?.mediaType ?? contentTypeValue);
  }
  if (hasBody) put(sip, 'sdpSessionName', clipOptional(sdpSessionName(msg.body, contentTypeValue)));
  put(sip, 'authUser', clipOptional(authUser(msg)));
  put(sip, 'assertedIdentity', clipOptional(nameAddrOf(headers.get('p-asserted-identity'))?.uri));
  put(sip, 'remotePartyId', clipOptional(nameAddrOf(headers.get('remote-party-id'))?.uri));

  const viaTransport = via?.transport.toLowerCase();
  const transport =
    ctx.source.transport ?? (viaTransport && TRANSPORTS.has(viaTransport) ? (viaTransport as Transport) : undefined);
  const source: Endpoint = { ip: ctx.source.ip };
  put(source, 'port', ctx.source.port);
  put(source, 'transport', transport);

  const attempt: SipAttempt = {
    protocol: 'sip',
    method: clip(msg.method, MAX_METHOD_LENGTH),
    source,
    target: party(requestUri?.user, requestUri?.host, undefined),
    caller: party(from?.sipUri?.user, from?.sipUri?.host, from?.display),
    time: ctx.time,
    sip,
  };
  put(attempt, 'local', ctx.local);
  // One pass tells whether any single-valued field repeats (rare): only then are they counted and joined.
  const repeated = headers.hasRepeated(SINGLE_FIELD_KEYS);
  put(
    attempt,
    'userAgent',
    repeated
      ? clipOptional(headers.getLines('user-agent').join(USER_AGENT_SEPARATOR) || undefined)
      : clipOptional(headers.get('user-agent')),
  );
  put(attempt, 'callId', clipOptional(headers.get('call-id')));
  put(attempt, 'media', mediaOf(msg, contentTypeValue));
  if (ctx.adapter !== undefined) attempt.adapter = clip(ctx.adapter, 32);
  const anomalies = anomaliesOf(msg, repeated);
  if (anomalies !== undefined) attempt.anomalies = anomalies;
  return attempt;
}

/** The parser's anomalies and the mapping's own, within the schema's limits; undefined when there are none. */
function anomaliesOf(msg: SipRequest, repeated: boolean): string[] | undefined {
  let own: string[] | undefined;
  if (repeated) {
    for (const [key, name] of SINGLE_FIELDS) {
      const n = msg.headers.count(key);
      if (n > 1) {
        own ??= [];
        own.push(`${n} ${name} header fields`);
      }
    }
  }
  // Read defensively: a SipRequest built by hand (an adapter's header map) may lack the parser's list.
  const parsed = msg.anomalies;
  if (own === undefined && (!Array.isArray(parsed) || parsed.length === 0)) return undefined;
  const out: string[] = [];
  for (const list of [Array.isArray(parsed) ? (parsed as readonly unknown[]) : [], own ?? []]) {
    for (let i = 0; i < list.length && out.length < MAX_ANOMALIES; i++) {
      const a = list[i];
      if (typeof a === 'string' && a.length > 0) out.push(clip(a, MAX_ANOMALY_LENGTH));
    }
  }
  return out.length > 0 ? out : undefined;
}

/** Parses bytes (or text) and maps the request in one step; a response throws GG_SIP_PARSE. */
export function parseSipRequestAttempt(
  input: Uint8Array | string,
  ctx: SipAttemptContext,
  options?: SipParseOptions,
): SipAttempt {
  return sipRequestToAttempt(parseSipMessage(input, options), ctx);
}

function nameAddrOf(value: string | undefined): NameAddr | undefined {
  return value === undefined ? undefined : parseNameAddr(value);
}

/**
 * The body's SDP offer; no offer for an INVITE that arrived without a body (delayed offer); undefined when the
 * body is not SDP or the body is missing because the message was cut short (nothing can be told).
 */
function mediaOf(msg: SipRequest, contentType: string | undefined): MediaOffer | undefined {
  if (msg.body.length > 0) return summarizeSdpOffer(msg.body, contentType);
  return msg.method === 'INVITE' && !msg.truncated ? noMediaOffer() : undefined;
}

function authUser(msg: SipMessage): string | undefined {
  for (const name of ['authorization', 'proxy-authorization']) {
    for (const value of msg.headers.getLines(name)) {
      const user = credentialsUsername(value);
      if (user !== undefined) return user;
    }
  }
  return undefined;
}

/** Sets optional fields only when defined, so attempts carry no `key: undefined` noise. */
function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

function party(user: string | undefined, host: string | undefined, display: string | undefined): Party {
  const p: Party = {};
  put(p, 'user', clipOptional(user));
  put(p, 'host', clipOptional(host));
  put(p, 'display', clipOptional(display));
  return p;
}

function clipOptional(s: string | undefined): string | undefined {
  return s === undefined ? undefined : clip(s);
}

/** Cuts to `max` UTF-16 units without splitting a surrogate pair. */
function clip(s: string, max = MAX_FIELD_LENGTH): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
