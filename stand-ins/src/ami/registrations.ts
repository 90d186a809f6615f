import { securityEvent } from './events.js';
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
  /** The AOR's qualify_frequency (0, Asterisk's default; the recorded room template: 60). */
  qualifyFrequency?: number;
  /** Hash part of the sorcery id (`<aor>;@<hash>`). */
  hash?: string;
}

/**
 * How a REGISTER reached res_pjsip_registrar, beyond the contact it stores (the live recordings in
 * ../shared/fixtures/asterisk-20.20.1-live/).
 */
export interface PjsipRegisterOptions {
  /**
   * The address the REGISTER really came from (the packet's source, not its Via): the registrar's auth raises
   * ChallengeSent then SuccessfulAuth with `Service: PJSIP`, `AccountID: <endpoint>`, `SessionID: <Call-ID>` and
   * this RemoteAddress (ami-pjsip-register-qualify0.follow.txt, ami-pjsip-svcrack.follow.txt).
   */
  source?: { ip: string; port: number; transport?: string };
  /** The PJSIP transport that received it (the security events' LocalAddress); default 127.0.0.1:5060. */
  local?: { ip: string; port: number; transport?: string };
  /**
   * The AOR's qualify_frequency is not 0: the first OPTIONS answer raises ContactStatus Reachable after
   * NonQualified (ami-pjsip-guard-tollfraud-run.follow.txt). Without it (Asterisk's default) NonQualified is all
   * (ami-pjsip-register-qualify0.follow.txt).
   */
  qualify?: boolean;
  /**
   * `max_contacts = 1` + `remove_existing = yes` (the room template): the AOR's other contacts are removed after
   * the new one is added, each raising ContactStatus Removed (res_pjsip_registrar.c register_aor_core: contacts
   * are added, then remove_excess_contacts → registrar_contact_delete(CONTACT_DELETE_EXISTING); the deletion
   * reaches AMI through res_pjsip/pjsip_options.c as the status label "Removed").
   */
  removeExisting?: boolean;
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

/**
 * The sorcery id of a dynamic contact as Asterisk 20.20.1 lists it: `<aor>;@<md5 of the URI>`
 * (`ObjectName: room1;@fdde8570d601a0325d20e2ef27133c36` in ami-pjsip-guard-tollfraud-run.follow.txt; we only
 * need the hash stable per URI).
 */
export function contactId(c: PjsipContact): string {
  if (c.hash !== undefined) return `${c.aor};@${c.hash}`;
  let h = 0x811c9dc5;
  for (let i = 0; i < c.uri.length; i++) h = Math.imul(h ^ c.uri.charCodeAt(i), 0x01000193) >>> 0;
  return `${c.aor};@${h.toString(16).padStart(8, '0')}${'0'.repeat(24)}`;
}

const actionIdField = (id: string | undefined): AmiField[] => (id ? [['ActionID', id]] : []);

/**
 * One `ContactList` event of PJSIPShowContacts, fields in the order and spelling Asterisk 20.20.1 sends
 * (ami-pjsip-after-core-restart.follow.txt, ami-pjsip-guard-tollfraud-run.follow.txt).
 */
export function contactListEvent(c: PjsipContact, actionId: string | undefined): AmiField[] {
  const status = c.status ?? 'NonQualified';
  return [
    ['Event', 'ContactList'],
    ...actionIdField(actionId),
    ['ObjectType', 'contact'],
    ['ObjectName', contactId(c)],
    ['ViaAddr', c.viaAddr ?? ''],
    ['QualifyTimeout', '3.000000'],
    ['Qualify2xxOnly', 'false'],
    ['CallId', c.callId ?? ''],
    ['RegServer', ''],
    ['PruneOnBoot', 'no'],
    ['Path', ''],
    ['Endpoint', c.endpoint],
    ['ViaPort', String(c.viaPort ?? 0)],
    ['AuthenticateQualify', 'no'],
    ['Uri', c.uri],
    ['QualifyFrequency', String(c.qualifyFrequency ?? 0)],
    ['UserAgent', c.userAgent ?? ''],
    ['ExpirationTime', String(c.expirationTime)],
    ['OutboundProxy', ''],
    ['Status', status],
    ['RoundtripUsec', status === 'Reachable' ? '2732' : 'N/A'],
  ];
}

/**
 * `ContactStatus` (class system). The labels Asterisk 20 sends (res_pjsip/pjsip_options.c short_status_map):
 * NonQualified (a contact just created: never "Created"), Reachable, Unreachable, Unknown, Removed.
 */
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

/**
 * `PeerStatus` (class system), as in the svcrack-101 recording: Registered carries the new Address. PJSIP raises
 * it too, `ChannelType: PJSIP`, `PeerStatus: Reachable` when an endpoint gets its first contact
 * (ami-pjsip-register-qualify0.follow.txt).
 */
export function peerStatusEvent(
  peer: string,
  status: 'Registered' | 'Unregistered' | 'Rejected' | 'Reachable' | 'Unreachable',
  extra: { address?: string; cause?: string; channelType?: 'SIP' | 'PJSIP' } = {},
): AmiField[] {
  const type = extra.channelType ?? 'SIP';
  return [
    ['Event', 'PeerStatus'],
    ['Privilege', 'system,all'],
    ['ChannelType', type],
    ['Peer', `${type}/${peer}`],
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

  /**
   * A REGISTER res_pjsip_registrar accepted. A new URI raises, as recorded: [ChallengeSent, SuccessfulAuth when
   * `source` is given], then with qualify off PeerStatus (PJSIP) Reachable + DeviceStateChange (first contact of the
   * endpoint) + ContactStatus NonQualified (ami-pjsip-register-qualify0.follow.txt); with qualify on ContactStatus
   * NonQualified, DeviceStateChange, PeerStatus Reachable, ContactStatus Reachable
   * (ami-pjsip-guard-tollfraud-run.follow.txt). A refresh of the same URI raises no ContactStatus
   * (pjsip_options.c contact_observer_updated: only with send_contact_status_on_update_registration, default no).
   */
  pjsipRegister(
    c: Omit<PjsipContact, 'expirationTime'> & { expires: number },
    quiet = false,
    opts: PjsipRegisterOptions = {},
  ): void {
    const { expires, ...rest } = c;
    const contact: PjsipContact = { ...rest, expirationTime: Math.floor(this.now() / 1000) + expires };
    const key = `${c.aor}\n${c.uri}`;
    const existed = this.contacts.has(key);
    const firstOfEndpoint =
      c.endpoint !== '' && ![...this.contacts.values()].some((x) => x.endpoint === c.endpoint && x.uri !== c.uri);
    if (opts.qualify) {
      contact.status = 'Reachable';
      contact.qualifyFrequency ??= 60;
    }
    this.contacts.set(key, contact);
    if (quiet) {
      if (opts.removeExisting) this.removeOthers(c.aor, c.uri, true);
      return;
    }
    if (opts.source) {
      const sec = {
        accountId: c.endpoint || c.aor,
        remote: opts.source,
        ...(opts.local ? { local: opts.local } : {}),
        service: 'PJSIP',
        sessionId: c.callId ?? '',
      };
      this.publish(securityEvent({ ...sec, event: 'ChallengeSent', extra: [['Challenge', '']] }));
      this.publish(securityEvent({ ...sec, event: 'SuccessfulAuth', extra: [['UsingPassword', '1']] }));
    }
    if (!existed) {
      const online = (): void => {
        if (!firstOfEndpoint) return;
        this.publish(peerStatusEvent(c.endpoint, 'Reachable', { channelType: 'PJSIP' }));
      };
      const device = (): void => {
        if (!firstOfEndpoint) return;
        this.publish([
          ['Event', 'DeviceStateChange'],
          ['Privilege', 'call,all'],
          ['Device', `PJSIP/${c.endpoint}`],
          ['State', 'NOT_INUSE'],
        ]);
      };
      if (opts.qualify) {
        this.publish(contactStatusEvent(contact, 'NonQualified'));
        device();
        online();
        this.publish(contactStatusEvent(contact, 'Reachable', '1735'));
      } else {
        online();
        device();
        this.publish(contactStatusEvent(contact, 'NonQualified'));
      }
    }
    if (opts.removeExisting) this.removeOthers(c.aor, c.uri, false);
  }

  private removeOthers(aor: string, keep: string, quiet: boolean): void {
    for (const other of [...this.contacts.values()]) {
      if (other.aor === aor && other.uri !== keep && other.expirationTime !== 0)
        this.pjsipRemove(aor, other.uri, quiet);
    }
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
