import type { AmiObject } from 'asterisk-manager';
import { AsteriskError } from './errors.js';
import { textField } from './fields.js';
import type { CheckMediaFields } from './media.js';
import { CHANNEL_TECHS, type ChannelTech } from './options.js';

/**
 * The body of `UserEvent(GhostguardCheck, …)` raised by the example dialplan's check routine. Every value was
 * URIENCODE()d by the dialplan (see examples/asterisk/extensions.conf); asterisk-manager lower-cases the keys.
 */
export interface CheckRequest {
  /** The channel to act on (from the event's channel snapshot). */
  channel: string;
  uniqueid?: string;
  tech: ChannelTech;
  source?: string;
  dialed?: string;
  callerNum?: string;
  callerName?: string;
  userAgent?: string;
  via?: string;
  from?: string;
  to?: string;
  callId?: string;
  requestUri?: string;
  contact?: string;
  h323Id?: string;
  h323Digits?: string;
  /** What the dialplan read about the offer; absent when the event has no ContentType field (older dialplans). */
  media?: CheckMediaFields;
}

/** Longest encoded value read from an event (a SIP header is rarely over 1 kB; this is 4× that, encoded). */
export const MAX_ENCODED_FIELD = 12_288;

const BODY_FIELDS = {
  source: 'source',
  dialed: 'dialed',
  callerNum: 'callernum',
  callerName: 'callername',
  userAgent: 'useragent',
  via: 'via',
  from: 'from',
  to: 'to',
  callId: 'callid',
  requestUri: 'requesturi',
  contact: 'contact',
  h323Id: 'h323id',
  h323Digits: 'h323digits',
} as const satisfies Record<string, string>;

/** Wire names (lower-cased keys) of every field of the check event. */
const WIRE_KEYS: ReadonlySet<string> = new Set([
  'tech',
  ...Object.values(BODY_FIELDS),
  'audioformats',
  'videoformats',
  'endpointallow',
  'contentlength',
  'contenttype',
]);

const MERGED_FIELD = /,(?=[A-Za-z0-9]+: )/;

/**
 * UserEvent splits its arguments with __ast_app_separate_args (main/app.c, from apps/app_userevent.c
 * userevent_exec), which does not split inside parentheses, and URIENCODE leaves `(` and `)` alone (RFC 2396
 * marks, main/utils.c ast_uri_encode): an unbalanced `(` in a caller's value (a display name, an extension)
 * makes every later `Key: value` part of that value. A URIENCODE()d value never holds a raw comma, so the
 * fields are cut out again here instead of being lost (a caller could otherwise hide its User-Agent or Via).
 */
function unmerge(evt: AmiObject): AmiObject {
  let out: AmiObject | undefined;
  for (const key of WIRE_KEYS) {
    const value = textField(evt, key);
    if (value === undefined || !MERGED_FIELD.test(value)) continue;
    out ??= { ...evt };
    const [own, ...merged] = value.split(MERGED_FIELD);
    out[key] = own!;
    for (const part of merged) {
      const colon = part.indexOf(': ');
      const k = part.slice(0, colon).toLowerCase();
      if (WIRE_KEYS.has(k) && textField(out, k) === undefined) out[k] = part.slice(colon + 2).trim();
    }
  }
  return out ?? evt;
}

export type CheckEventResult =
  | { ok: true; request: CheckRequest }
  /**
   * `channel` is set when the event named one: the call can still be decided. `partial` holds the fields that
   * did decode (a caller's header can make one field undecodable: cut at Asterisk's 8191-byte event line, or
   * over MAX_ENCODED_FIELD); the adapter judges those together with the undecodable signal.
   */
  | {
      ok: false;
      channel?: string;
      uniqueid?: string;
      tech?: ChannelTech;
      source?: string;
      problem: string;
      partial?: CheckRequest;
    };

function techOf(text: string | undefined, channel: string): ChannelTech {
  const t = (text || channel.slice(0, Math.max(0, channel.indexOf('/')))).toUpperCase();
  return (CHANNEL_TECHS as readonly string[]).includes(t) && t !== 'OTHER' ? (t as ChannelTech) : 'other';
}

/** Decodes one URIENCODE()d value; empty → undefined. Throws GG_ASTERISK_FIELD on bad encoding or size. */
function decode(value: string | undefined, name: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  if (value.length > MAX_ENCODED_FIELD) {
    throw new AsteriskError('GG_ASTERISK_FIELD', `${name}: ${value.length} bytes (limit ${MAX_ENCODED_FIELD})`);
  }
  try {
    return decodeURIComponent(value);
  } catch {
    throw new AsteriskError('GG_ASTERISK_FIELD', `${name}: not URI-encoded text`);
  }
}

/** Reads a GhostguardCheck UserEvent; never throws. */
export function readCheckEvent(raw: AmiObject): CheckEventResult {
  const evt = unmerge(raw);
  const channel = textField(evt, 'channel');
  const uniqueid = textField(evt, 'uniqueid');
  if (channel === undefined || channel === '') return { ok: false, problem: 'no Channel in the check event' };
  const base = { channel, ...(uniqueid ? { uniqueid } : {}) };
  let tech: ChannelTech = techOf(undefined, channel);
  let source: string | undefined;
  try {
    tech = techOf(decode(textField(evt, 'tech'), 'Tech'), channel);
    source = decode(textField(evt, 'source'), 'Source');
  } catch (err) {
    return { ok: false, ...base, tech, problem: (err as Error).message };
  }
  // Every other field is read on its own: one that does not decode costs the caller a signal, not the rest.
  const problems: string[] = [];
  const read = (wire: string): string | undefined => {
    try {
      return decode(textField(evt, wire), wire);
    } catch (err) {
      problems.push((err as Error).message);
      return undefined;
    }
  };
  const request: CheckRequest = { ...base, tech, ...(source !== undefined ? { source } : {}) };
  for (const [key, wire] of Object.entries(BODY_FIELDS) as Array<[keyof typeof BODY_FIELDS, string]>) {
    if (key === 'source') continue;
    const v = read(wire);
    if (v !== undefined) request[key] = v;
  }
  // The media fields come together; ContentType (even empty) says the dialplan sends them.
  if (textField(evt, 'contenttype') !== undefined) {
    const field = (wire: string) => read(wire) ?? '';
    request.media = {
      audioFormats: field('audioformats'),
      videoFormats: field('videoformats'),
      endpointAllow: field('endpointallow'),
      contentLength: field('contentlength'),
      contentType: field('contenttype'),
    };
  }
  if (problems.length === 0) return { ok: true, request };
  return {
    ok: false,
    ...base,
    tech,
    ...(source !== undefined ? { source } : {}),
    problem: problems.slice(0, 3).join('; '),
    partial: request,
  };
}
