import type { AmiField } from './frame.js';

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
  /** Replaces the check event's body (malformed-field tests). */
  bodyOverride?: readonly AmiField[];
}

/** Asterisk's URIENCODE (ast_uri_encode with ast_uri_http): everything but unreserved characters as %XX. */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
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
