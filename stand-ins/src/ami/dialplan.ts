import type { AmiField } from './frame.js';
import {
  CHAN_SIP_DEFAULT_ALLOW,
  EXAMPLE_PJSIP_ALLOW,
  formatNames,
  nativeFormats,
  pjsipContentLength,
  pjsipContentType,
} from './media.js';

/**
 * The dialplan contract of examples/asterisk/extensions.conf, as Asterisk would run it: what the
 * `ghostguard-check` routine puts into `UserEvent(GhostguardCheck, …)` for each channel driver.
 * Every value goes through URIENCODE() in the dialplan (commas would split UserEvent's arguments,
 * and a header could carry anything), so the peer encodes the same way.
 */

export const CHECK_EVENT = 'GhostguardCheck';
export const VERDICT_VARIABLE = 'GHOSTGUARD_VERDICT';
export const CHECK_CONTEXT = 'ghostguard-check';
export const TARPIT_CONTEXT = 'ghostguard-tarpit';

export type ChannelTech = 'PJSIP' | 'SIP' | 'OOH323';

/** A call the test scripts into the peer: what the caller sent, as the channel driver would expose it. */
export interface ScriptedCall {
  tech: ChannelTech;
  /** Where the call came from. OOH323 channels of unconfigured callers are named after `ip`. */
  source: { ip: string; port?: number };
  /** The dialled extension. */
  exten: string;
  callerNum?: string;
  callerName?: string;
  /** PJSIP endpoint or chan_sip peer name the call matched (default: anonymous / the From host). */
  endpoint?: string;
  userAgent?: string;
  via?: string;
  from?: string;
  to?: string;
  callId?: string;
  requestUri?: string;
  contact?: string;
  /** chan_sip's SIPDOMAIN (the Request-URI host). */
  sipDomain?: string;
  h323Id?: string;
  h323Digits?: string;
  /** A caller configured in ooh323.conf: its channel is named `OOH323/<name>-<n>` instead of after its address. */
  h323Name?: string;
  /**
   * The INVITE's body as the caller sent it: the Content-Type and Content-Length header values (absent: the
   * INVITE had no such header) and the body text (the SDP offer). With it, the check event carries the media
   * fields (AudioFormats, VideoFormats, EndpointAllow, ContentLength, ContentType) as Asterisk computes them
   * (see media.ts); an offer Asterisk would refuse with 488 throws NotAcceptableHere from placeCall (no channel
   * would exist). Without it, the peer raises the event of a dialplan that predates those fields.
   */
  invite?: { contentType?: string; contentLength?: string; body?: string };
  /**
   * The PJSIP endpoint's or chan_sip's `allow`, Asterisk format names in order. Default: the example
   * pjsip.conf's anonymous endpoint (opus, g722, ulaw, h264) / chan_sip's built-in default (ulaw, alaw, gsm, h263).
   */
  allow?: readonly string[];
  /** chan_sip's `videosupport` (default no, as chan_sip's). */
  videoSupport?: boolean;
  /** Replaces the check event's body (malformed-field tests). */
  bodyOverride?: readonly AmiField[];
  /**
   * The call enters a context without the ghostguard-check Gosub: the no-check arm of the recorded latency run
   * (127.0.0.30 → identify → a context without the Gosub, ../shared/fixtures/asterisk-20.20.1-live/
   * latency-interleaved-200x2.json), the bench's baseline.
   */
  noCheck?: boolean;
}

/**
 * Asterisk's URIENCODE (main/utils.c ast_uri_encode with ast_uri_http = AST_URI_UNRESERVED): every byte but
 * letters, digits and RFC 2396's marks `-_.!~*'()` as %XX (upper-case hex), which is what encodeURIComponent
 * does to UTF-8 text: `(ulaw|h264)` → `(ulaw%7Ch264)`.
 */
export function uriEncode(s: string): string {
  return encodeURIComponent(s);
}

/** The media fields of the check routine (see ScriptedCall.invite and media.ts), in the UserEvent's order. */
function mediaFields(call: ScriptedCall): Array<[string, string]> {
  const names = ['AudioFormats', 'VideoFormats', 'EndpointAllow', 'ContentLength', 'ContentType'];
  if (call.tech === 'OOH323') return names.map((n) => [n, '']);
  const invite = call.invite ?? {};
  const allow = call.allow ?? (call.tech === 'PJSIP' ? EXAMPLE_PJSIP_ALLOW : CHAN_SIP_DEFAULT_ALLOW);
  const native = nativeFormats({
    tech: call.tech,
    contentType: invite.contentType,
    contentLength: invite.contentLength,
    body: invite.body ?? '',
    allow,
    videoSupport: call.videoSupport ?? false,
  });
  const pjsip = call.tech === 'PJSIP';
  const header = (v: string | undefined, reprint: (x: string) => string) =>
    v === undefined ? '' : pjsip ? reprint(v) : v.trim();
  return [
    ['AudioFormats', formatNames(native.audio)],
    ['VideoFormats', formatNames(native.video)],
    ['EndpointAllow', pjsip ? formatNames(allow) : ''],
    ['ContentLength', header(invite.contentLength, pjsipContentLength)],
    ['ContentType', header(invite.contentType, pjsipContentType)],
  ];
}

/** PJSIP's CHANNEL(pjsip,remote_addr): `1.2.3.4:5060`, `[2001:db8::1]:5060`. */
function remoteAddr(source: ScriptedCall['source']): string {
  const host = source.ip.includes(':') ? `[${source.ip}]` : source.ip;
  return `${host}:${source.port ?? 5060}`;
}

/** The fields the check routine raises, in the order of the UserEvent() line of the example dialplan. */
export function checkEventBody(call: ScriptedCall): AmiField[] {
  if (call.bodyOverride) return [...call.bodyOverride];
  const sip = call.tech !== 'OOH323';
  const source = call.tech === 'PJSIP' ? remoteAddr(call.source) : call.tech === 'SIP' ? call.source.ip : '';
  const requestUri =
    call.tech === 'PJSIP'
      ? (call.requestUri ?? '')
      : call.tech === 'SIP'
        ? `sip:${call.exten}@${call.sipDomain ?? ''}`
        : '';
  const pairs: Array<[string, string]> = [
    ['Tech', call.tech],
    ['Source', source],
    ['Dialed', call.exten],
    ...(call.invite === undefined ? [] : mediaFields(call)),
    ['CallerNum', call.callerNum ?? ''],
    ['CallerName', call.callerName ?? ''],
    ['UserAgent', sip ? (call.userAgent ?? '') : ''],
    ['Via', sip ? (call.via ?? '') : ''],
    ['From', sip ? (call.from ?? '') : ''],
    ['To', sip ? (call.to ?? '') : ''],
    ['CallID', sip ? (call.callId ?? '') : ''],
    ['RequestURI', requestUri],
    ['Contact', sip ? (call.contact ?? '') : ''],
    ['H323ID', sip ? '' : (call.h323Id ?? '')],
    ['H323Digits', sip ? '' : (call.h323Digits ?? '')],
  ];
  return pairs.map(([k, v]) => [k, uriEncode(v)] as const);
}

/**
 * The fields of the UserEvent Asterisk raises for `UserEvent(name,<Key: value>,…)`: apps/app_userevent.c
 * userevent_exec splits its arguments with AST_STANDARD_APP_ARGS (main/app.c __ast_app_separate_args), which
 * does not split inside parentheses, brackets or double quotes, drops the quotes and turns `\x` into `x`; each
 * argument's text before its first ':' is the key, the rest (ast_strip()ped) the value, and an argument
 * without ':' is dropped. URIENCODE leaves `(` and `)` as they are (RFC 2396 marks), so an unbalanced `(` in
 * a value makes the following fields part of that value: `UserAgent: x(,Via: …,From: …` arrives as one field.
 */
export function userEventFields(args: readonly AmiField[]): AmiField[] {
  const data = args.map(([k, v]) => `${k}: ${v}`).join(',');
  const parts: string[] = [];
  let cur = '';
  let paren = 0;
  let bracket = 0;
  let quote = false;
  for (let i = 0; i < data.length; i++) {
    const c = data[i]!;
    if (c === '"') {
      quote = !quote;
      continue;
    }
    if (c === '\\') {
      if (i + 1 < data.length) cur += data[++i];
      continue;
    }
    if (c === ',' && paren === 0 && bracket === 0 && !quote) {
      parts.push(cur);
      cur = '';
      continue;
    }
    if (c === '(') paren++;
    else if (c === ')' && paren > 0) paren--;
    else if (c === '[') bracket++;
    else if (c === ']' && bracket > 0) bracket--;
    cur += c;
  }
  parts.push(cur);
  const fields = new Map<string, string>();
  for (const part of parts) {
    const colon = part.indexOf(':');
    if (colon !== -1) fields.set(part.slice(0, colon), part.slice(colon + 1).trim());
  }
  return [...fields];
}
