import type { AmiField } from './frame.js';

/**
 * What Asterisk 20's registrars hold (PJSIP contacts, chan_sip dynamic peers) and how AMI shows it: the list
 * actions' events (PJSIPShowContacts → ContactList…ContactListComplete, SIPpeers → PeerEntry…PeerlistComplete),
 * SIPshowpeer's one-message answer, and the ContactStatus / PeerStatus events a registration change raises.
 * Field names and orders follow Asterisk's sources (res_pjsip ast_sip_sorcery_object_to_ami and
 * format_ami_contactlist_handler, main/stasis_endpoints.c contactstatus_to_ami / peerstatus_to_ami, chan_sip
 * _sip_show_peers_one / _sip_show_peer) and the recorded PeerStatus sample
 * (../shared/fixtures/asterisk-20.20.1/ami-event-samples.txt). List events are written with astman_append: they
 * carry the action's ActionID and no Privilege line, and they reach the session whatever its event mask.
 */

/** A PJSIP contact as res_pjsip stores it (sorcery `contact` object). */
export interface PjsipContact {
  /** The AOR it registered to. */
  aor: string;
  /** The endpoint whose AOR it is (empty when none). */
  endpoint: string;
  uri: string;
  /** Absolute expiry, epoch seconds; 0 for a permanent contact (aor `contact=` in pjsip.conf). */
  expirationTime: number;
  viaAddr?: string;
  viaPort?: number;
  callId?: string;
  userAgent?: string;
  /** ast_sip_get_contact_status_label: Reachable, Unreachable, NonQualified, Unknown. */
  status?: string;
  /** Hash part of the sorcery id (`<aor>@@<hash>`). */
  hash?: string;
}

/** A chan_sip peer that registers (`host=dynamic`). */
export interface SipPeer {
  name: string;
  /** Where chan_sip sends its calls (peer->addr); undefined while not registered. */
  address?: { ip: string; port: number };
  /** Absolute expiry, ms since the epoch. */
  expiresAt?: number;
  /** The REGISTER's Contact (peer->fullcontact). */
  contact?: string;
  callerIdName?: string;
  callerIdNum?: string;
  /** `defaultuser` / the username it registered with. */
  username?: string;
  userAgent?: string;
  dynamic?: boolean;
}

/** The sorcery id of a dynamic contact: `<aor>@@<md5 of the URI>` (we only need it stable per URI). */
export function contactId(c: PjsipContact): string {
  if (c.hash !== undefined) return `${c.aor}@@${c.hash}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < c.uri.length; i++) h = Math.imul(h ^ c.uri.charCodeAt(i), 0x01000193) >>> 0;
  return `${c.aor}@@${h.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
}

const actionIdField = (id: string | undefined): AmiField[] => (id ? [['ActionID', id]] : []);

/** One `ContactList` event of PJSIPShowContacts: the sorcery object's fields, then Status and RoundtripUsec. */
export function contactListEvent(c: PjsipContact, actionId: string | undefined): AmiField[] {
  const status = c.status ?? 'NonQualified';
  return [
    ['Event', 'ContactList'],
    ...actionIdField(actionId),
    ['ObjectType', 'contact'],
    ['ObjectName', contactId(c)],
    ['ViaAddr', c.viaAddr ?? ''],
    ['ViaPort', String(c.viaPort ?? 0)],
    ['QualifyTimeout', '3.000000'],
    ['CallId', c.callId ?? ''],
    ['RegServer', ''],
    ['PruneOnBoot', c.expirationTime === 0 ? 'false' : 'true'],
    ['Path', ''],
    ['Endpoint', c.endpoint],
    ['AuthenticateQualify', 'false'],
    ['Uri', c.uri],
    ['QualifyFrequency', '0'],
    ['UserAgent', c.userAgent ?? ''],
    ['ExpirationTime', String(c.expirationTime)],
    ['OutboundProxy', ''],
    ['Qualify2xxOnly', 'false'],
    ['Status', status],
    ['RoundtripUsec', status === 'Reachable' ? '1042' : 'N/A'],
  ];
}

/** `ContactStatus` (class system): Created, Updated, Removed, Reachable, Unreachable… */
export function contactStatusEvent(
  c: Pick<PjsipContact, 'aor' | 'endpoint' | 'uri'>,
  status: string,
  roundtripUsec = '0',
): AmiField[] {
  return [
    ['Event', 'ContactStatus'],
    ['Privilege', 'system,all'],
    ['URI', c.uri],
    ['ContactStatus', status],
    ['AOR', c.aor],
    ['EndpointName', c.endpoint],
    ['RoundtripUsec', roundtripUsec],
  ];
}

/** One `PeerEntry` event of SIPpeers. */
export function peerEntryEvent(p: SipPeer, actionId: string | undefined): AmiField[] {
  return [
    ['Event', 'PeerEntry'],
    ...actionIdField(actionId),
    ['Channeltype', 'SIP'],
    ['ObjectName', p.name],
    ['ChanObjectType', 'peer'],
    ['IPaddress', p.address ? p.address.ip : '-none-'],
    ['IPport', p.address ? String(p.address.port) : '0'],
    ['Dynamic', p.dynamic === false ? 'no' : 'yes'],
    ['AutoForcerport', 'yes'],
    ['Forcerport', 'no'],
    ['AutoComedia', 'no'],
    ['Comedia', 'no'],
    ['VideoSupport', 'yes'],
    ['TextSupport', 'no'],
    ['ACL', 'no'],
    ['Status', 'Unmonitored'],
    ['RealtimeDevice', 'no'],
    ['Description', ''],
    ['Accountcode', ''],
  ];
}

/** ast_callerid_merge: `"name" <num>`, or the one that is set. */
function callerId(p: SipPeer): string {
  const name = p.callerIdName ?? '';
  const num = p.callerIdNum ?? '';
  if (name && num) return `"${name}" <${num}>`;
  return name || (num ? `<${num}>` : '<unknown>');
}

/**
 * SIPshowpeer's answer: one message, `Response: Success` then the peer's settings (abridged to the lines a
 * registration needs and their neighbours, in chan_sip's order). RegExpire counts seconds from now.
 */
export function sipShowPeerResponse(p: SipPeer, actionId: string | undefined, now: number): AmiField[] {
  const expire = p.expiresAt === undefined ? -1 : Math.max(0, Math.round((p.expiresAt - now) / 1000));
  return [
    ['Response', 'Success'],
    ...actionIdField(actionId),
    ['Channeltype', 'SIP'],
    ['ObjectName', p.name],
    ['ChanObjectType', 'peer'],
    ['SecretExist', 'Y'],
    ['RemoteSecretExist', 'N'],
    ['MD5SecretExist', 'N'],
    ['Context', 'from-rooms'],
    ['Language', ''],
    ['AMAflags', 'Unknown'],
    ['CID-CallingPres', 'Presentation Allowed, Not Screened'],
    ['Callgroup', ''],
    ['Pickupgroup', ''],
    ['MOHSuggest', ''],
    ['VoiceMailbox', ''],
    ['TransferMode', 'open'],
    ['LastMsgsSent', '-1'],
    ['Maxforwards', '0'],
    ['Call-limit', '2147483647'],
    ['Busy-level', '0'],
    ['MaxCallBR', '384 kbps'],
    ['Dynamic', p.dynamic === false ? 'N' : 'Y'],
    ['Callerid', callerId(p)],
    ['RegExpire', `${expire} seconds`],
    ['SIP-AuthInsecure', 'no'],
    ['SIP-Forcerport', 'a'],
    ['SIP-Comedia', 'N'],
    ['ACL', 'N'],
    ['SIP-CanReinvite', 'Y'],
    ['SIP-DirectMedia', 'Y'],
    ['SIP-PromiscRedir', 'N'],
    ['SIP-UserPhone', 'N'],
    ['SIP-VideoSupport', 'Y'],
    ['SIP-TextSupport', 'N'],
    ['SIP-DTMFmode', 'rfc2833'],
    ['ToHost', ''],
    ['Address-IP', p.address ? p.address.ip : '(null)'],
    ['Address-Port', p.address ? String(p.address.port) : '0'],
    ['Default-addr-IP', '(null)'],
    ['Default-addr-port', '0'],
    ['Default-Username', p.username ?? ''],
    ['Codecs', '(ulaw|alaw|h264)'],
    ['Status', 'Unmonitored'],
    ['SIP-Useragent', p.userAgent ?? ''],
    ['Reg-Contact', p.contact ?? ''],
    ['QualifyFreq', '60000 ms'],
    ['Parkinglot', ''],
    ['SIP-Use-Reason-Header', 'N'],
    ['Description', ''],
  ];
}

/** `PeerStatus` (class system), as in the svcrack-101 recording: Registered carries the new Address. */
export function peerStatusEvent(
  peer: string,
  status: 'Registered' | 'Unregistered' | 'Rejected' | 'Reachable' | 'Unreachable',
  extra: { address?: string; cause?: string } = {},
): AmiField[] {
  return [
    ['Event', 'PeerStatus'],
    ['Privilege', 'system,all'],
    ['ChannelType', 'SIP'],
    ['Peer', `SIP/${peer}`],
    ['PeerStatus', status],
    ...(extra.cause !== undefined ? [['Cause', extra.cause] as const] : []),
    ...(extra.address !== undefined ? [['Address', extra.address] as const] : []),
  ];
}

/** The closing event of a list action (astman_send_list_complete_start/end). */
export function listCompleteEvent(event: string, actionId: string | undefined, items: number): AmiField[] {
  return [['Event', event], ...actionIdField(actionId), ['EventList', 'Complete'], ['ListItems', String(items)]];
}

/**
 * The registrar state of the peer: tests register and remove room systems here; every change raises the event
 * Asterisk would (ContactStatus for PJSIP, PeerStatus for chan_sip) through `publish`.
 */
export class PeerRegistrar {
  private readonly contacts = new Map<string, PjsipContact>();
  private readonly peers = new Map<string, SipPeer>();

  constructor(
    private readonly publish: (fields: readonly AmiField[]) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** PJSIP contacts, in sorcery id order (what PJSIPShowContacts walks). */
  pjsipContacts(): PjsipContact[] {
    return [...this.contacts.values()].sort((a, b) => (contactId(a) < contactId(b) ? -1 : 1));
  }

  /** chan_sip peers in name order (SIPpeers sorts by name). */
  sipPeers(): SipPeer[] {
    return [...this.peers.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  sipPeer(name: string): SipPeer | undefined {
    return this.peers.get(name);
  }

  /** A REGISTER res_pjsip_registrar accepted: ContactStatus Created (new URI) or Updated (refresh). */
  pjsipRegister(c: Omit<PjsipContact, 'expirationTime'> & { expires: number }, quiet = false): void {
    const { expires, ...rest } = c;
    const contact: PjsipContact = { ...rest, expirationTime: Math.floor(this.now() / 1000) + expires };
    const key = `${c.aor}\n${c.uri}`;
    const existed = this.contacts.has(key);
    this.contacts.set(key, contact);
    if (!quiet) this.publish(contactStatusEvent(contact, existed ? 'Updated' : 'Created'));
  }

  /** A contact removed (expired, or REGISTER with Expires: 0): ContactStatus Removed. */
  pjsipRemove(aor: string, uri: string, quiet = false): boolean {
    const key = `${aor}\n${uri}`;
    const c = this.contacts.get(key);
    if (!c) return false;
    this.contacts.delete(key);
    if (!quiet) this.publish(contactStatusEvent(c, 'Removed'));
    return true;
  }

  /** A qualify result: ContactStatus Reachable / Unreachable. */
  pjsipQualify(aor: string, uri: string, reachable: boolean): void {
    const c = this.contacts.get(`${aor}\n${uri}`);
    if (!c) return;
    c.status = reachable ? 'Reachable' : 'Unreachable';
    this.publish(contactStatusEvent(c, c.status, reachable ? '1042' : '0'));
  }

  /** chan_sip accepted a REGISTER for a dynamic peer: PeerStatus Registered with the new address. */
  sipRegister(
    p: Omit<SipPeer, 'expiresAt' | 'address'> & { address: { ip: string; port: number }; expires: number },
    quiet = false,
  ): void {
    const { expires, ...rest } = p;
    const peer: SipPeer = { ...this.peers.get(p.name), ...rest, expiresAt: this.now() + expires * 1000 };
    this.peers.set(p.name, peer);
    if (!quiet) {
      const host = p.address.ip.includes(':') ? `[${p.address.ip}]` : p.address.ip;
      this.publish(peerStatusEvent(p.name, 'Registered', { address: `${host}:${p.address.port}` }));
    }
  }

  /** A configured peer that is not registered (listed by SIPpeers with IPaddress -none-). */
  sipDefine(p: Omit<SipPeer, 'address' | 'expiresAt' | 'contact'>): void {
    this.peers.set(p.name, { ...p });
  }

  /** The registration ended: PeerStatus Unregistered (`Cause: Expired` when it timed out). */
  sipUnregister(name: string, cause?: 'Expired', quiet = false): boolean {
    const p = this.peers.get(name);
    if (!p?.address) return false;
    this.peers.set(name, {
      name: p.name,
      ...(p.callerIdName !== undefined ? { callerIdName: p.callerIdName } : {}),
      ...(p.callerIdNum !== undefined ? { callerIdNum: p.callerIdNum } : {}),
      ...(p.username !== undefined ? { username: p.username } : {}),
    });
    if (!quiet) this.publish(peerStatusEvent(name, 'Unregistered', cause ? { cause } : {}));
    return true;
  }
}
