/**
 * mod_sofia's registrar as the inbound Event Socket sees it (FreeSWITCH 1.10.12, sofia_reg.c and mod_sofia.c):
 * the sip_registrations table of each profile, the CUSTOM events a REGISTER fires, and the api commands that
 * read or flush the table.
 *
 * - A REGISTER without credentials is challenged (401) and fires `sofia::pre_register` (recorded, sample 7b);
 *   a wrong password gets 403 and `sofia::register_failure` (sample 7a, `profile-name` twice); a good one
 *   stores the binding and fires `sofia::register` (profile-name, from-user, from-host, presence-hosts, contact,
 *   call-id, rpid, status, expires, to-user, to-host, network-ip, network-port, username, realm, user-agent).
 *   Without `multiple-registrations` (the vanilla internal profile) a new binding replaces every other of the
 *   same user@host.
 * - Expires 0 removes the binding and fires `sofia::unregister` (profile-name, username, from-user, from-host,
 *   contact, call-id, rpid, realm, expires).
 * - Expiry and `sofia profile <p> flush_inbound_reg [<call-id> | <user@host>]` fire `sofia::expire` per binding
 *   (profile-name, call-id, user, host, contact, expires (the epoch second), user-agent, realm).
 * - `sofia xmlstatus profile <p> reg` answers mod_sofia.c's show_reg_callback_xml rows; an unknown profile
 *   answers `Invalid Profile!`.
 * The contact is stored as sofia builds it: `<display> <sip:user@host:port;params>`, the display taken from the
 * Contact, else the To header, else `""`.
 */
import { CORE_UUID } from './channel-data.js';
import type { EslHeader } from './messages.js';
import { fsUrlEncode } from './url-encode.js';

export interface SofiaRegistration {
  profile: string;
  user: string;
  /** sip_host: the realm the REGISTER was for (To host). */
  host: string;
  /** As sofia stores it, e.g. `"1000" <sip:1000@10.0.0.21:5060>`. */
  contact: string;
  callId: string;
  networkIp: string;
  networkPort: number;
  /** Epoch seconds. */
  expiresAt: number;
  userAgent: string;
  /** The digest user (sip_auth_username) and realm. */
  username: string;
  realm: string;
  /** Registered(UDP), Registered(TCP), Registered(UDP-NAT)… */
  status: string;
}

export interface SofiaRegisterFields {
  profile?: string;
  user: string;
  host?: string;
  /** The Contact URI (`sip:1000@10.0.0.21:5060`); sofia adds the display. */
  contactUri: string;
  display?: string;
  networkIp: string;
  networkPort?: number;
  /** Seconds; 0 unregisters. Default 3600. */
  expires?: number;
  callId?: string;
  userAgent?: string;
  /** How sofia's auth ended: `none` (no Authorization: 401), `wrong` (403), `ok` (stored). */
  auth: 'none' | 'wrong' | 'ok';
  transport?: 'UDP' | 'TCP' | 'TLS';
}

export interface EventClock {
  /** Microseconds since the epoch. */
  nowUs(): number;
  nextSequence(): number;
}

/** Event-Date-Local as FreeSWITCH writes it (`%Y-%m-%d %T`, here UTC: the recording's host ran in UTC). */
export function eventDateLocal(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', ' ');
}

/** The headers every event starts with (switch_event_prep_for_delivery), then the event's own. */
export function sofiaEventHeaders(
  subclass: string,
  calling: { fn: string; line: number },
  fields: readonly EslHeader[],
  clock: EventClock,
): EslHeader[] {
  const us = clock.nowUs();
  const d = new Date(Math.floor(us / 1000));
  return [
    ['Event-Subclass', subclass],
    ['Event-Name', 'CUSTOM'],
    ['Core-UUID', CORE_UUID],
    ['FreeSWITCH-Hostname', 'vm'],
    ['FreeSWITCH-Switchname', 'vm'],
    ['FreeSWITCH-IPv4', '192.0.2.2'],
    ['FreeSWITCH-IPv6', 'fd00::2'],
    ['Event-Date-Local', eventDateLocal(d)],
    ['Event-Date-GMT', d.toUTCString()],
    ['Event-Date-Timestamp', String(us)],
    ['Event-Calling-File', 'sofia_reg.c'],
    ['Event-Calling-Function', calling.fn],
    ['Event-Calling-Line-Number', String(calling.line)],
    ['Event-Sequence', String(clock.nextSequence())],
    ...fields,
  ];
}

/** switch_amp_encode: the five XML specials. */
export function ampEncode(s: string): string {
  return s.replace(/["'<>&]/g, (c) =>
    c === '"' ? '&quot;' : c === "'" ? '&apos;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&amp;',
  );
}

/** One `<registration>` of `sofia xmlstatus profile <p> reg` (mod_sofia.c show_reg_callback_xml). */
export function registrationXml(r: SofiaRegistration, nowSeconds: number): string {
  const exp = eventDateLocal(new Date(r.expiresAt * 1000));
  return (
    '    <registration>\n' +
    `        <call-id>${r.callId}</call-id>\n` +
    `        <user>${r.user}@${r.host}</user>\n` +
    `        <contact>${ampEncode(r.contact)}</contact>\n` +
    `        <agent>${ampEncode(r.userAgent)}</agent>\n` +
    `        <status>${r.status}(unknown) exp(${exp}) expsecs(${r.expiresAt - nowSeconds})</status>\n` +
    '        <ping-status>Reachable</ping-status>\n' +
    '        <host>vm</host>\n' +
    `        <network-ip>${r.networkIp}</network-ip>\n` +
    `        <network-port>${r.networkPort}</network-port>\n` +
    `        <sip-auth-user>${fsUrlEncode(r.username)}</sip-auth-user>\n` +
    `        <sip-auth-realm>${r.realm}</sip-auth-realm>\n` +
    `        <mwi-account>${r.user}@${r.host}</mwi-account>\n` +
    '    </registration>\n'
  );
}

export function regListingXml(rows: readonly SofiaRegistration[], nowSeconds: number): string {
  return (
    '<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n' +
    rows.map((r) => registrationXml(r, nowSeconds)).join('') +
    '  </registrations>\n</profile>\n'
  );
}

/** The sip_registrations tables and the events they fire; `emit` delivers an event to subscribed clients. */
/** sofia's default `sip-expires-late-margin` (sofia.c): how much longer than its Expires a binding is kept. */
export const SOFIA_EXPIRES_LATE_MARGIN = 60;

export class SofiaRegistrar {
  /** `profile user@host` → its bindings, oldest first (a Map keeps insertion order for listings). */
  private readonly table = new Map<string, SofiaRegistration[]>();
  private callIds = 0;

  constructor(
    readonly profiles: readonly string[],
    private readonly clock: EventClock,
    private readonly emit: (headers: readonly EslHeader[]) => number,
    private readonly multipleRegistrations = false,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.clock.nowUs() / 1e6);
  }

  private get rows(): SofiaRegistration[] {
    return [...this.table.values()].flat();
  }

  list(profile?: string): SofiaRegistration[] {
    return this.rows.filter((r) => profile === undefined || r.profile === profile).map((r) => ({ ...r }));
  }

  /**
   * A REGISTER reaching sofia. `silent` stores without events (registrations made while no client was
   * connected, or before). Returns the SIP status sofia answered.
   */
  register(f: SofiaRegisterFields, silent = false): 200 | 401 | 403 {
    const profile = f.profile ?? 'internal';
    const host = f.host ?? '127.0.0.1';
    const port = f.networkPort ?? 5060;
    const callId = f.callId ?? `fs-peer-${++this.callIds}`;
    const expires = f.expires ?? 3_600;
    const display = f.display ?? `"${f.user}"`;
    const contact = `${display} <${f.contactUri}>`;
    const status = `Registered(${f.transport ?? 'UDP'})`;
    const ua = f.userAgent ?? '';
    if (f.auth === 'none') {
      if (!silent) {
        this.emit(
          sofiaEventHeaders(
            'sofia::pre_register',
            { fn: 'sofia_reg_handle_register_token', line: 1810 },
            [
              ['profile-name', profile],
              ['from-user', f.user],
              ['from-host', host],
              ['contact', contact],
              ['call-id', callId],
              ['rpid', 'unknown'],
              ['status', status],
              ['expires', String(expires)],
              ['to-user', f.user],
              ['to-host', host],
              ['network-ip', f.networkIp],
              ['network-port', String(port)],
              ['user-agent', ua],
            ],
            this.clock,
          ),
        );
      }
      return 401;
    }
    if (f.auth === 'wrong') {
      if (!silent) {
        this.emit(
          sofiaEventHeaders(
            'sofia::register_failure',
            { fn: 'sofia_reg_handle_register_token', line: 1792 },
            [
              ['profile-name', profile],
              ['to-user', f.user],
              ['to-host', host],
              ['network-ip', f.networkIp],
              ['user-agent', ua],
              ['profile-name', profile],
              ['network-port', String(port)],
              ['registration-type', 'REGISTER'],
            ],
            this.clock,
          ),
        );
      }
      return 403;
    }
    if (expires === 0) {
      this.unregister({ profile, user: f.user, host, callId, contact }, silent);
      return 200;
    }
    const now = this.nowSeconds();
    const key = `${profile} ${f.user}@${host}`;
    const kept = (this.table.get(key) ?? []).filter((r) => this.multipleRegistrations && r.callId !== callId);
    const row: SofiaRegistration = {
      profile,
      user: f.user,
      host,
      contact,
      callId,
      networkIp: f.networkIp,
      networkPort: port,
      // sofia_reg.c stores reg_time + exptime + the profile's sip-expires-late-margin (60 s by default): recorded
      // `expires: 3600` in sofia::register but `expsecs(3660)` in the listing
      // (freeswitch-1.10.12-live/registry/xmlstatus-internal-reg.txt), and room7 registered with Expires 5 at
      // 1796546818 expired with `expires: 1796546883` in its sofia::expire (registry/registry-restart.pcapng).
      expiresAt: now + expires + SOFIA_EXPIRES_LATE_MARGIN,
      userAgent: ua,
      username: f.user,
      realm: host,
      status,
    };
    kept.push(row);
    this.table.delete(key);
    this.table.set(key, kept);
    if (!silent) {
      this.emit(
        sofiaEventHeaders(
          'sofia::register',
          { fn: 'sofia_reg_handle_register_token', line: 2076 },
          [
            ['profile-name', profile],
            ['from-user', f.user],
            ['from-host', host],
            ['presence-hosts', 'n/a'],
            ['contact', contact],
            ['call-id', callId],
            ['rpid', 'unknown'],
            ['status', status],
            ['expires', String(expires)],
            ['to-user', f.user],
            ['to-host', host],
            ['network-ip', f.networkIp],
            ['network-port', String(port)],
            ['username', f.user],
            ['realm', host],
            ['user-agent', ua],
          ],
          this.clock,
        ),
      );
    }
    return 200;
  }

  /** A REGISTER with expires 0 for a binding (by Call-ID, else every binding of user@host). */
  unregister(
    b: { profile?: string; user: string; host?: string; callId?: string; contact?: string },
    silent = false,
  ): number {
    const profile = b.profile ?? 'internal';
    const host = b.host ?? '127.0.0.1';
    const gone = this.take(
      (r) =>
        r.profile === profile &&
        r.user === b.user &&
        r.host === host &&
        (b.callId === undefined || r.callId === b.callId),
    );
    if (!silent) {
      for (const r of gone) {
        this.emit(
          sofiaEventHeaders(
            'sofia::unregister',
            { fn: 'sofia_reg_handle_register_token', line: 2206 },
            [
              ['profile-name', profile],
              ['username', r.username],
              ['from-user', r.user],
              ['from-host', r.host],
              ['contact', b.contact ?? r.contact],
              ['call-id', r.callId],
              ['rpid', 'unknown'],
              ['realm', r.realm],
              ['expires', '0'],
            ],
            this.clock,
          ),
        );
      }
    }
    return gone.length;
  }

  /** Bindings whose time ran out (sofia checks every few seconds); `all` ends every one (a flush). */
  expire(match: (r: SofiaRegistration) => boolean, silent = false): number {
    const gone = this.take(match);
    if (!silent) for (const r of gone) this.emitExpire(r);
    return gone.length;
  }

  /** `sofia profile <p> flush_inbound_reg [<call-id> | <user@host>]`: the api answer. */
  flush(profile: string, arg: string | undefined): string {
    if (!this.profiles.includes(profile)) return `Invalid Profile [${profile}]`;
    if (arg === undefined) {
      this.expire((r) => r.profile === profile);
      return '+OK flushing all registrations\n';
    }
    const at = arg.indexOf('@');
    const user = at >= 0 ? arg.slice(0, at) : undefined;
    const host = at >= 0 ? arg.slice(at + 1) : arg;
    // sofia_reg_expire_call_id: call_id = arg, or (sip_user, sip_host) / sip_host alone.
    this.expire(
      (r) =>
        r.profile === profile && (r.callId === arg || (user ? r.user === user && r.host === host : r.host === host)),
    );
    return '+OK flushing all registrations matching specified call_id\n';
  }

  /** `sofia xmlstatus profile <p> reg`: the api answer. */
  xmlStatus(profile: string): string {
    if (!this.profiles.includes(profile)) return 'Invalid Profile!\n';
    const now = this.nowSeconds();
    this.expire((r) => r.expiresAt <= now);
    return regListingXml(
      this.rows.filter((r) => r.profile === profile),
      now,
    );
  }

  private take(match: (r: SofiaRegistration) => boolean): SofiaRegistration[] {
    const gone: SofiaRegistration[] = [];
    for (const [key, rows] of this.table) {
      const left = rows.filter((r) => !match(r));
      if (left.length === rows.length) continue;
      gone.push(...rows.filter(match));
      if (left.length > 0) this.table.set(key, left);
      else this.table.delete(key);
    }
    return gone;
  }

  private emitExpire(r: SofiaRegistration): void {
    this.emit(
      sofiaEventHeaders(
        'sofia::expire',
        { fn: 'sofia_reg_del_callback', line: 1112 },
        [
          ['profile-name', r.profile],
          ['call-id', r.callId],
          ['user', r.user],
          ['host', r.host],
          ['contact', r.contact],
          ['expires', String(r.expiresAt)],
          ['user-agent', r.userAgent],
          ['realm', r.realm],
        ],
        this.clock,
      ),
    );
  }
}
