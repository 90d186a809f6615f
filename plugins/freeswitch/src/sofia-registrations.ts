/**
 * What mod_sofia says about registrations, read into one shape:
 * - `api sofia xmlstatus profile <p> reg`: `<?xml …?>`, `<profile>`, `<registrations>`, one `<registration>` per
 *   row of sip_registrations (mod_sofia.c show_reg_callback_xml: call-id, user (`sip_user@sip_host`), contact
 *   (XML-escaped), agent, status (`Registered(UDP)(unknown) exp(…) expsecs(N)`), ping-status, host, network-ip,
 *   network-port, sip-auth-user, sip-auth-realm, mwi-account). An unknown profile answers `Invalid Profile!`.
 * - `CUSTOM sofia::register` (sofia_reg.c, after the binding is stored): profile-name, from-user, from-host,
 *   presence-hosts, contact, call-id, rpid, status, expires (seconds), to-user, to-host, network-ip,
 *   network-port, username, realm, user-agent[, update-reg].
 * - `CUSTOM sofia::unregister` (a REGISTER with expires 0): profile-name, username, from-user, from-host,
 *   contact, call-id, rpid, realm, expires.
 * - `CUSTOM sofia::expire` (sofia_reg_del_callback: expiry, flush_inbound_reg): profile-name, call-id, user,
 *   host, contact, expires (the epoch second it ran out), user-agent, realm.
 * Every field is the caller's text in the end: lengths are capped and addresses checked here.
 */
import { parseIp } from '@ghostguard/core';
import type { ChannelHeaders } from './attempt.js';

export interface SofiaBinding {
  profile: string | undefined;
  /** sip_user and sip_host: the AOR is `user@host`. */
  user: string;
  host: string;
  /** The contact as sofia stores it (`"1000" <sip:1000@192.0.2.50:5060;fs_nat=yes>`). */
  contact: string;
  callId: string | undefined;
  /** Where the REGISTER came from (network-ip / network-port). */
  source: { ip: string; port?: number } | undefined;
  /** Seconds from now; undefined when the source does not say. */
  expires: number | undefined;
  userAgent: string | undefined;
}

export type RegistrationEvent =
  | { kind: 'register'; binding: SofiaBinding }
  | { kind: 'unregister' | 'expire'; binding: SofiaBinding };

/** Subclasses this module reads, in the order the inbound client subscribes to them. */
export const REGISTRATION_SUBCLASSES = ['sofia::register', 'sofia::unregister', 'sofia::expire'] as const;

const MAX_NAME = 256;
const MAX_CONTACT = 1024;

const clip = (v: string | undefined, n: number): string | undefined =>
  v === undefined ? undefined : v.length > n ? v.slice(0, n) : v;

function ipOf(v: string | undefined): string | undefined {
  return v !== undefined && v.length >= 2 && v.length <= 64 && parseIp(v) !== undefined ? v : undefined;
}

function portOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n > 0 && n <= 65_535 ? n : undefined;
}

function sourceOf(ip: string | undefined, port: string | undefined): SofiaBinding['source'] {
  const addr = ipOf(ip);
  if (addr === undefined) return undefined;
  const p = portOf(port);
  return p === undefined ? { ip: addr } : { ip: addr, port: p };
}

function secondsOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d{1,10}$/.test(v)) return undefined;
  return Number(v);
}

/** A user or host part: no spaces, no angle brackets, bounded (sofia's own strings, but from the wire). */
function namePart(v: string | undefined): string | undefined {
  if (v === undefined || v === '' || v.length > MAX_NAME || /[\s<>"]/.test(v)) return undefined;
  return v;
}

/** sofia's default `sip-expires-late-margin` (sofia.c, profile->sip_expires_late_margin = 60). */
export const SOFIA_EXPIRES_LATE_MARGIN = 60;

function withMargin(expires: number | undefined, margin: number): number | undefined {
  return expires === undefined || expires <= 0 ? expires : expires + margin;
}

export function bindingAor(b: Pick<SofiaBinding, 'user' | 'host'>): string {
  return `${b.user}@${b.host}`;
}

/**
 * `sofia::register`, `sofia::unregister`, `sofia::expire` → a registration event; undefined for anything else or unusable.
 * `sofia::register`'s `expires` is what the room asked for, while sofia keeps the binding `lateMargin` seconds longer
 * (sofia_reg.c stores reg_time + exptime + the profile's `sip-expires-late-margin`, 60 s by default, sofia.c) and the
 * listing's `expsecs` counts that margin in (recorded: `expires: 3600` in the event, `expsecs(3660)` in
 * freeswitch-1.10.12-live/registry/xmlstatus-internal-reg.txt); the margin is added here so that both say the same.
 */
export function registrationOfEvent(
  h: ChannelHeaders,
  nowSeconds: number,
  lateMargin = SOFIA_EXPIRES_LATE_MARGIN,
): RegistrationEvent | undefined {
  if (h('Event-Name') !== 'CUSTOM') return undefined;
  const subclass = h('Event-Subclass');
  if (subclass === 'sofia::register' || subclass === 'sofia::unregister') {
    const user = namePart(h('from-user'));
    const host = namePart(h('from-host'));
    const contact = clip(h('contact'), MAX_CONTACT);
    if (!user || !host || contact === undefined) return undefined;
    const binding: SofiaBinding = {
      profile: clip(h('profile-name'), 64),
      user,
      host,
      contact,
      callId: clip(h('call-id'), MAX_NAME),
      source: sourceOf(h('network-ip'), h('network-port')),
      expires: subclass === 'sofia::unregister' ? 0 : withMargin(secondsOf(h('expires')), lateMargin),
      userAgent: clip(h('user-agent'), 200),
    };
    return subclass === 'sofia::register' ? { kind: 'register', binding } : { kind: 'unregister', binding };
  }
  if (subclass === 'sofia::expire') {
    const user = namePart(h('user'));
    const host = namePart(h('host'));
    const contact = clip(h('contact'), MAX_CONTACT);
    if (!user || !host || contact === undefined) return undefined;
    const at = secondsOf(h('expires'));
    return {
      kind: 'expire',
      binding: {
        profile: clip(h('profile-name'), 64),
        user,
        host,
        contact,
        callId: clip(h('call-id'), MAX_NAME),
        source: undefined,
        expires: at === undefined ? 0 : Math.max(0, at - nowSeconds),
        userAgent: clip(h('user-agent'), 200),
      },
    };
  }
  return undefined;
}

export type RegListing =
  | { ok: true; bindings: SofiaBinding[]; invalid: number }
  | { ok: false; problem: string; tooMany?: boolean };

const XML_ENTITIES: Record<string, string> = { quot: '"', apos: "'", lt: '<', gt: '>', amp: '&' };

/** switch_amp_encode's five entities (and numeric ones) back to text. */
export function xmlUnescape(s: string): string {
  if (!s.includes('&')) return s;
  return s.replace(/&(#x[0-9a-fA-F]{1,6}|#\d{1,7}|quot|apos|lt|gt|amp);/g, (all, e: string) => {
    if (e[0] !== '#') return XML_ENTITIES[e] ?? all;
    const code = e[1] === 'x' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : all;
  });
}

function element(block: string, name: string): string | undefined {
  const open = `<${name}>`;
  const start = block.indexOf(open);
  if (start < 0) return undefined;
  const end = block.indexOf(`</${name}>`, start + open.length);
  if (end < 0) return undefined;
  return xmlUnescape(block.slice(start + open.length, end));
}

/**
 * The body of `api sofia xmlstatus profile <p> reg`. At most `maxItems` registrations are read; more is a
 * failed listing (the caller then prunes nothing). Rows without a usable user or contact are counted invalid.
 */
export function parseRegListing(body: string, profile: string, maxItems: number): RegListing {
  const text = body.trimStart();
  if (!text.startsWith('<?xml') || !text.includes('<profile>')) {
    return { ok: false, problem: (text.split('\n', 1)[0] ?? '').slice(0, 200) || 'empty answer' };
  }
  if (!text.includes('</profile>')) return { ok: false, problem: 'truncated answer (no </profile>)' };
  const bindings: SofiaBinding[] = [];
  let invalid = 0;
  let at = 0;
  for (;;) {
    const start = text.indexOf('<registration>', at);
    if (start < 0) break;
    const end = text.indexOf('</registration>', start);
    if (end < 0) return { ok: false, problem: 'truncated answer (open <registration>)' };
    at = end + '</registration>'.length;
    if (bindings.length + invalid >= maxItems) {
      return { ok: false, problem: `more than ${maxItems} registrations`, tooMany: true };
    }
    const block = text.slice(start, end);
    const userAt = element(block, 'user') ?? '';
    const sep = userAt.lastIndexOf('@');
    const user = namePart(sep > 0 ? userAt.slice(0, sep) : undefined);
    const host = namePart(sep > 0 ? userAt.slice(sep + 1) : undefined);
    const contact = clip(element(block, 'contact'), MAX_CONTACT);
    if (!user || !host || !contact) {
      invalid++;
      continue;
    }
    const expsecs = /expsecs\((-?\d{1,10})\)/.exec(element(block, 'status') ?? '')?.[1];
    const expires = expsecs === undefined ? undefined : Number(expsecs);
    bindings.push({
      profile,
      user,
      host,
      contact,
      callId: clip(element(block, 'call-id'), MAX_NAME),
      source: sourceOf(element(block, 'network-ip'), element(block, 'network-port')),
      expires,
      userAgent: clip(element(block, 'agent'), 200),
    });
  }
  return { ok: true, bindings, invalid };
}
