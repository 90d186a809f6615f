import type { AmiObject } from 'asterisk-manager';
import { parseHostPort, type SourceAddress } from './address.js';
import { textField } from './fields.js';

/**
 * Readers for what Asterisk says about registrations, as asterisk-manager hands it over (lower-cased keys):
 * PJSIPShowContacts' ContactList events, ContactStatus, SIPpeers' PeerEntry events, SIPshowpeer's answer and
 * PeerStatus. Field names from Asterisk 20 (res_pjsip, main/stasis_endpoints.c, chan_sip) and the recorded
 * PeerStatus sample. Never throw: a field that does not decode yields a `problem`.
 */

/** Longest name (endpoint, AOR, peer) or URI taken from an event; longer ones are refused, not cut. */
export const MAX_ROOM_FIELD = 256;

/** One registration of a room system as Asterisk holds it. */
export interface AsteriskBinding {
  tech: 'PJSIP' | 'SIP';
  /** The name in the registry: the PJSIP endpoint (or AOR when none) / the chan_sip peer. */
  name: string;
  /** Other names that dial it: the PJSIP AOR when it differs from the endpoint, chan_sip's username / caller id number. */
  aliases: string[];
  /** Where Asterisk sends its calls: the PJSIP contact URI, `sip:<peer>@<address>` for chan_sip. */
  contact: string;
  /**
   * Where the REGISTER came from, when Asterisk knows it (chan_sip's peer address; for PJSIP the adapter adds the
   * SuccessfulAuth RemoteAddress: neither ContactStatus nor the listing carries it).
   */
  source?: SourceAddress;
  /** Seconds from now; undefined when the event does not say. */
  expires?: number;
}

export type Reading<T> = { ok: true; value: T } | { ok: false; problem: string };

const fail = (problem: string): { ok: false; problem: string } => ({ ok: false, problem });

function name(evt: AmiObject, key: string): string | undefined {
  const v = textField(evt, key)?.trim();
  return v === undefined || v === '' || v.length > MAX_ROOM_FIELD ? undefined : v;
}

/** `sip:room-1@10.0.0.5:5060;transport=tcp` → 10.0.0.5:5060, when the host is an address. */
export function uriAddress(uri: string): SourceAddress | undefined {
  let s = uri.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) s = s.slice(lt + 1, s.indexOf('>', lt) > lt ? s.indexOf('>', lt) : undefined);
  s = s.replace(/^sips?:/i, '');
  const at = s.lastIndexOf('@');
  if (at >= 0) s = s.slice(at + 1);
  const cut = s.search(/[;?>]/);
  if (cut >= 0) s = s.slice(0, cut);
  return parseHostPort(s);
}

/**
 * The AOR part of a contact's sorcery id: `room1;@<hash>` as Asterisk 20.20.1 lists it
 * (ami-pjsip-guard-tollfraud-run.follow.txt), or `room-1@@<hash>`.
 */
export function aorOfContactId(id: string): string | undefined {
  const cut = id.indexOf('@@') >= 0 ? id.indexOf('@@') : id.indexOf(';@');
  const aor = cut > 0 ? id.slice(0, cut) : undefined;
  return aor === undefined || aor.length > MAX_ROOM_FIELD ? undefined : aor;
}

function pjsipNames(endpoint: string | undefined, aor: string | undefined): { name: string; aliases: string[] } {
  const n = endpoint ?? aor!;
  return { name: n, aliases: aor !== undefined && aor !== n ? [aor] : [] };
}

/**
 * A ContactList event of PJSIPShowContacts. `permanent` for a contact configured in pjsip.conf (ExpirationTime
 * 0): not a registration. `expires` is ExpirationTime (epoch seconds) minus now. No `source`: ViaAddr is the Via
 * sent-by the client wrote (svcrack from 127.0.0.75 lists `ViaAddr: 127.0.0.1`,
 * ami-pjsip-after-core-restart.follow.txt); `callId` lets the adapter find the SuccessfulAuth of that REGISTER.
 */
export function readContactList(
  evt: AmiObject,
  nowMs: number,
): Reading<AsteriskBinding & { permanent: boolean; callId?: string }> {
  const uri = name(evt, 'uri');
  if (uri === undefined) return fail('ContactList without a usable Uri');
  const objectName = textField(evt, 'objectname') ?? '';
  const aor = aorOfContactId(objectName);
  const endpoint = name(evt, 'endpoint');
  if (endpoint === undefined && aor === undefined) return fail('ContactList names neither an Endpoint nor an AOR');
  const expText = textField(evt, 'expirationtime')?.trim() ?? '';
  if (!/^\d{1,12}$/.test(expText)) return fail(`ContactList ExpirationTime ${JSON.stringify(expText.slice(0, 40))}`);
  const expiration = Number(expText);
  const callId = name(evt, 'callid');
  return {
    ok: true,
    value: {
      tech: 'PJSIP',
      ...pjsipNames(endpoint, aor),
      contact: uri,
      ...(callId ? { callId } : {}),
      expires: expiration === 0 ? 0 : Math.floor(expiration - nowMs / 1000),
      permanent: expiration === 0,
    },
  };
}

/** An IPv6 address goes in brackets before a port. */
function hostText(ip: string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
}

export type ContactStatusKind = 'created' | 'present' | 'removed' | 'unreachable' | 'other';

/**
 * A ContactStatus event. `created`: a contact just stored — `NonQualified` on Asterisk 20 (res_pjsip/pjsip_options.c
 * labels CREATED so; ami-pjsip-register-qualify0.follow.txt), `Created` on older ones. `present`: Reachable /
 * Updated (a qualify answer, a refresh). `removed`: gone. `unreachable`: a qualify failed, the binding stands.
 */
export function readContactStatus(
  evt: AmiObject,
): Reading<{ kind: ContactStatusKind; status: string; binding: AsteriskBinding }> {
  const uri = name(evt, 'uri');
  if (uri === undefined) return fail('ContactStatus without a usable URI');
  const aor = name(evt, 'aor');
  const endpoint = name(evt, 'endpointname');
  if (endpoint === undefined && aor === undefined)
    return fail('ContactStatus names neither an EndpointName nor an AOR');
  const status = (textField(evt, 'contactstatus') ?? '').trim();
  const lower = status.toLowerCase();
  const kind: ContactStatusKind =
    lower === 'nonqualified' || lower === 'created'
      ? 'created'
      : lower === 'updated' || lower === 'reachable'
        ? 'present'
        : lower === 'removed'
          ? 'removed'
          : lower === 'unreachable'
            ? 'unreachable'
            : 'other';
  // No source: the URI is what the client wrote (svwar's names the PBX itself).
  return {
    ok: true,
    value: {
      kind,
      status: status.slice(0, 40),
      binding: { tech: 'PJSIP', ...pjsipNames(endpoint, aor), contact: uri },
    },
  };
}

/** A PeerEntry of SIPpeers: the peer name, whether it is dynamic, and its address when it has one. */
export function readPeerEntry(evt: AmiObject): Reading<{ name: string; dynamic: boolean; address?: SourceAddress }> {
  const peer = name(evt, 'objectname');
  if (peer === undefined) return fail('PeerEntry without a usable ObjectName');
  const dynamic = (textField(evt, 'dynamic') ?? '').trim().toLowerCase() === 'yes';
  const ip = textField(evt, 'ipaddress')?.trim() ?? '';
  const port = textField(evt, 'ipport')?.trim() ?? '';
  const address =
    ip === '' || ip === '-none-' ? undefined : parseHostPort(/^\d{1,5}$/.test(port) ? `${hostText(ip)}:${port}` : ip);
  return { ok: true, value: { name: peer, dynamic, ...(address ? { address } : {}) } };
}

/** `sip:<peer>@<address>`: where chan_sip sends a registered peer's calls (peer->addr). */
export function sipPeerContact(peer: string, address: SourceAddress): string {
  return `sip:${peer}@${hostText(address.ip)}${address.port !== undefined ? `:${address.port}` : ''}`;
}

/** `"Lab" <5551001>` → 5551001. */
function callerIdNumber(text: string | undefined): string | undefined {
  const m = text === undefined ? null : /<([^<>]{1,64})>\s*$/.exec(text);
  const num = m?.[1]?.trim();
  return num && num !== 'unknown' ? num : undefined;
}

/**
 * SIPshowpeer's answer for a registered peer: its address (Address-IP/Address-Port), the seconds left
 * (`RegExpire: 3597 seconds`), and the names that dial it (Default-Username, the caller id number).
 */
export function readSipShowPeer(evt: AmiObject, peer: string): Reading<AsteriskBinding | undefined> {
  const ip = textField(evt, 'address-ip')?.trim() ?? '';
  if (ip === '' || ip === '(null)') return { ok: true, value: undefined };
  const port = textField(evt, 'address-port')?.trim() ?? '';
  const address = parseHostPort(/^\d{1,5}$/.test(port) && port !== '0' ? `${hostText(ip)}:${port}` : ip);
  if (!address) return fail(`SIPshowpeer Address-IP ${JSON.stringify(ip.slice(0, 60))} is not an address`);
  const exp = /^(-?\d{1,9}) seconds$/.exec(textField(evt, 'regexpire')?.trim() ?? '');
  const expires = exp ? Number(exp[1]) : undefined;
  const aliases = [name(evt, 'default-username'), callerIdNumber(textField(evt, 'callerid'))].filter(
    (a): a is string => a !== undefined && a !== peer && a.length <= MAX_ROOM_FIELD,
  );
  return {
    ok: true,
    value: {
      tech: 'SIP',
      name: peer,
      aliases: [...new Set(aliases)],
      contact: sipPeerContact(peer, address),
      source: address,
      ...(expires !== undefined ? { expires } : {}),
    },
  };
}

export type PeerStatusKind = 'registered' | 'unregistered' | 'rejected' | 'other';

/** A PeerStatus event (chan_sip): `Peer: SIP/101`, `PeerStatus: Registered`, `Address: 127.0.0.1:5060`. */
export function readPeerStatus(
  evt: AmiObject,
): Reading<{ kind: PeerStatusKind; status: string; peer: string; address?: SourceAddress }> {
  const channelType = (textField(evt, 'channeltype') ?? '').trim().toUpperCase();
  const full = textField(evt, 'peer')?.trim() ?? '';
  const slash = full.indexOf('/');
  const peer = slash >= 0 ? full.slice(slash + 1) : full;
  if (peer === '' || peer.length > MAX_ROOM_FIELD) return fail(`PeerStatus Peer ${JSON.stringify(full.slice(0, 60))}`);
  if (channelType !== 'SIP' && !full.toUpperCase().startsWith('SIP/'))
    return fail(`PeerStatus of channel type ${JSON.stringify(channelType.slice(0, 20))}`);
  const status = (textField(evt, 'peerstatus') ?? '').trim();
  const lower = status.toLowerCase();
  const kind: PeerStatusKind =
    lower === 'registered'
      ? 'registered'
      : lower === 'unregistered'
        ? 'unregistered'
        : lower === 'rejected'
          ? 'rejected'
          : 'other';
  const addressText = textField(evt, 'address');
  const address = addressText === undefined ? undefined : parseHostPort(addressText);
  if (kind === 'registered' && !address)
    return fail(`PeerStatus Registered with Address ${JSON.stringify((addressText ?? '').slice(0, 60))}`);
  return { ok: true, value: { kind, status: status.slice(0, 40), peer, ...(address ? { address } : {}) } };
}
