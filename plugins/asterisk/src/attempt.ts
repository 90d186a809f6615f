import {
  type CallAttempt,
  type H323Alias,
  type H323Attempt,
  MAX_FIELD_LENGTH,
  type Party,
  type SipAttempt,
  type SipSection,
  type Transport,
  TransportSchema,
} from '@ghostguard/core';
import { parseNameAddr, parseSipUri, parseVia } from '@ghostguard/core/sip';
import { ooh323Caller, parseHostPort, type SourceAddress } from './address.js';
import type { CheckRequest } from './check-event.js';
import { checkMedia } from './media.js';
import type { ChannelTech } from './options.js';

export const ADAPTER = 'asterisk';
const TRANSPORTS: ReadonlySet<string> = new Set(TransportSchema.options);

/** Cuts to the attempt schema's limit without splitting a surrogate pair. */
function clip(s: string, max = MAX_FIELD_LENGTH): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}

function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

const opt = (s: string | undefined) => (s === undefined || s === '' ? undefined : clip(s));

function party(user: string | undefined, host: string | undefined, display: string | undefined): Party {
  const p: Party = {};
  put(p, 'user', opt(user));
  put(p, 'host', opt(host));
  put(p, 'display', opt(display));
  return p;
}

/**
 * A SIP call (PJSIP or chan_sip) as the check routine saw it: the INVITE's Via, From, To, Call-ID, Contact,
 * User-Agent and Request-URI as the dialplan read them. AMI never carries the body, so the SDP fields of the
 * SIP section are absent; `media` is what Asterisk's negotiation kept of the offer, when that says something
 * (see checkMedia in media.ts: the offer intersected with the endpoint's `allow`).
 */
export function sipCheckAttempt(req: CheckRequest, source: SourceAddress, time: number): SipAttempt {
  const via = req.via === undefined ? undefined : parseVia(req.via);
  const from = req.from === undefined ? undefined : parseNameAddr(req.from);
  const to = req.to === undefined ? undefined : parseNameAddr(req.to);
  const ruri = req.requestUri === undefined ? undefined : parseSipUri(req.requestUri);

  const sip: SipSection = { requestUri: clip(req.requestUri ?? ''), hasBody: false };
  put(sip, 'viaBranch', opt(via?.branch));
  put(sip, 'viaSentBy', opt(via?.sentBy));
  put(sip, 'fromTag', opt(from?.tag));
  put(sip, 'toTag', opt(to?.tag));
  put(sip, 'fromUri', opt(from?.uri));
  put(sip, 'toUri', opt(to?.uri));
  put(sip, 'contact', opt(req.contact));

  const viaTransport = via?.transport.toLowerCase();
  const transport = (source.transport ?? viaTransport) as Transport | undefined;
  const src: SipAttempt['source'] = { ip: source.ip };
  put(src, 'port', source.port);
  if (transport !== undefined && TRANSPORTS.has(transport)) src.transport = transport;

  const attempt: SipAttempt = {
    protocol: 'sip',
    method: 'INVITE',
    source: src,
    target: party(ruri?.user ?? req.dialed, ruri?.host, undefined),
    caller: party(from?.sipUri?.user ?? req.callerNum, from?.sipUri?.host, from?.display ?? req.callerName),
    time,
    adapter: ADAPTER,
    sip,
  };
  put(attempt, 'userAgent', opt(req.userAgent));
  put(attempt, 'callId', opt(req.callId));
  put(attempt, 'media', checkMedia(req.tech, req.media));
  return attempt;
}

const DIGITS = /^[0-9*#+]+$/;

/**
 * A chan_ooh323 call: what Asterisk exposes of the SETUP (the called extension, caller id, CALLER_H323ID and
 * CALLER_H323DIALEDDIGITS). The call reference, vendor and fastStart are not visible over AMI.
 */
export function h323CheckAttempt(req: CheckRequest, source: SourceAddress, time: number): H323Attempt {
  const sourceAliases: H323Alias[] = [];
  if (req.h323Id) sourceAliases.push({ type: 'h323-ID', value: clip(req.h323Id) });
  if (req.h323Digits) sourceAliases.push({ type: 'dialedDigits', value: clip(req.h323Digits) });
  const destinationAliases: H323Alias[] = [];
  const dialed = req.dialed;
  if (dialed) destinationAliases.push({ type: DIGITS.test(dialed) ? 'dialedDigits' : 'h323-ID', value: clip(dialed) });
  const h323: H323Attempt['h323'] = { callReference: 0, sourceAliases, destinationAliases, fastStartCount: 0 };
  put(h323, 'display', opt(req.callerName));
  if (req.callerNum && DIGITS.test(req.callerNum)) h323.callingNumber = clip(req.callerNum);
  if (dialed && DIGITS.test(dialed)) h323.calledNumber = clip(dialed);
  return {
    protocol: 'h323',
    method: 'SETUP',
    source: { ip: source.ip, transport: 'tcp', ...(source.port !== undefined ? { port: source.port } : {}) },
    target: party(dialed, undefined, undefined),
    caller: party(req.callerNum ?? req.h323Digits, undefined, req.callerName ?? req.h323Id),
    time,
    adapter: ADAPTER,
    h323,
  };
}

export function checkAttempt(req: CheckRequest, source: SourceAddress, time: number): CallAttempt {
  return req.tech === 'OOH323' ? h323CheckAttempt(req, source, time) : sipCheckAttempt(req, source, time);
}

/**
 * Where a checked call came from, per channel driver; a problem text when it cannot be told. chan_ooh323 puts
 * the caller's address in no AMI field. Its channel name carries the address of the TCP connection
 * (`OOH323/<remoteIP>-<n>`, call->remoteIP) for a caller no `[user]` matched; for a configured one only the
 * user's name, and chan_ooh323 matches that by the caller's Display name from any address (chan_ooh323.c
 * find_user): the address is unknown, never inferred (an inferred address would take the caller's ban).
 */
export function sourceOf(tech: ChannelTech, channel: string, text: string | undefined): SourceAddress | string {
  if (tech === 'OOH323') {
    const caller = ooh323Caller(channel);
    if (caller === undefined) return `chan_ooh323 channel name ${JSON.stringify(channel.slice(0, 80))} names no caller`;
    if ('ip' in caller) return { ip: caller.ip, transport: 'tcp' };
    return `chan_ooh323 matched the configured user ${JSON.stringify(caller.name.slice(0, 80))} (by Display name, from any address): the caller's address is in no AMI field (put the H.323 gate in front: README)`;
  }
  if (text === undefined) return 'the check event has no Source';
  return parseHostPort(text) ?? `Source ${JSON.stringify(text.slice(0, 80))} is not an address`;
}
