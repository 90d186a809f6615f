import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { listenOn } from '../listen.js';
import { type CallOutcome, type ChannelTimings, DEFAULT_VERDICT_POLL_MS, ScriptedChannel } from './channel.js';
import { type ScriptedCall, TARPIT_CONTEXT } from './dialplan.js';
import { privilegeCategories } from './events.js';
import { type AmiField, AmiFrameReader, type AmiMessage, encodeFrame } from './frame.js';
import {
  contactListEvent,
  listCompleteEvent,
  PeerRegistrar,
  peerEntryEvent,
  sipShowPeerResponse,
} from './registrations.js';

/**
 * A wire-faithful stand-in for Asterisk 20's manager interface (AMI) on 127.0.0.1: the banner, Login
 * (accepted, or failed and then closed), Events, Setvar / Hangup / Redirect with Asterisk's responses and
 * its two different "no such channel" errors, UserEvent, Ping (answered in three writes, as recorded),
 * Logoff; event filtering by category; scripted calls that run the example dialplan's check routine; the
 * registrars' state (PJSIPShowContacts, SIPpeers, SIPshowpeer, and the ContactStatus / PeerStatus events a
 * registration change raises; see registrations.ts).
 * Responses and events are byte-identical to ../shared/fixtures/asterisk-20.20.1 (see server.test.ts).
 */

export const AMI_BANNER = 'Asterisk Call Manager/9.0.0\r\n';
const CATEGORIES = [
  'system',
  'call',
  'log',
  'verbose',
  'command',
  'agent',
  'user',
  'config',
  'dtmf',
  'reporting',
  'cdr',
  'dialplan',
  'originate',
  'agi',
  'cc',
  'aoc',
  'test',
  'security',
  'message',
];
/** Most actions kept in `received` (tests read them; a bench sends many). */
const MAX_RECORDED_ACTIONS = 100_000;

export interface AmiUser {
  secret: string;
  /** Event categories the user may read (manager.conf `read=`); default all. */
  read?: readonly string[];
  /** Action categories the user may run (`write=`); default all. */
  write?: readonly string[];
}

export interface AmiPeerOptions {
  host?: string;
  /**
   * Default: `ghostguard` / `ghostguard-secret` with read=call,user,security,system and write=call,system
   * (examples/asterisk/manager.conf).
   */
  users?: Record<string, AmiUser>;
  /** GHOSTGUARD_WAIT of the dialplan, default 2000 ms. */
  checkTimeoutMs?: number;
  /**
   * How often the check routine looks at GHOSTGUARD_VERDICT (ChannelTimings.verdictPollMs): 1, the example
   * dialplan's WaitForCondition interval (default); 50 for the `Wait(0.05)` loop it replaced.
   */
  verdictPollMs?: number;
  /** GHOSTGUARD_FAIL_POLICY, default open. */
  failPolicy?: 'open' | 'closed';
  tarpitContext?: string;
  tarpitHoldMs?: number;
  allowedCallMs?: number;
  inboundContext?: string;
  /** Answer Ping in three writes, as Asterisk 20 did in the recording (default true). */
  splitPing?: boolean;
  /** Uniqueid prefix (epoch seconds); default: now. */
  epoch?: number;
}

export interface PlacedCall {
  readonly channel: string;
  readonly uniqueid: string;
  readonly outcome: Promise<CallOutcome>;
  readonly ended: Promise<number>;
  /** The caller hangs up (cause 16) wherever the call is. */
  hangup(): void;
}

export interface ReceivedAction {
  session: number;
  at: number;
  message: AmiMessage;
}

export interface AmiPeer {
  readonly host: string;
  readonly port: number;
  /** Every action received, in order (bounded). */
  readonly received: ReceivedAction[];
  /** Connections currently logged in. */
  sessions(): number;
  /** Connections ever accepted. */
  connectionsAccepted(): number;
  liveChannels(): number;
  /** Runs a call through the check routine; throws NotAcceptableHere for an offer Asterisk answers with 488. */
  placeCall(call: ScriptedCall): PlacedCall;
  /** Publishes an event to every logged-in session whose event mask takes its category. */
  publish(fields: readonly AmiField[]): void;
  /** PJSIP contacts and chan_sip peers; changes raise ContactStatus / PeerStatus to every session that reads `system`. */
  readonly registrar: PeerRegistrar;
  /** Writes bytes verbatim to every logged-in session (malformed frames, recorded streams). */
  sendRaw(text: string | Buffer): void;
  /** Closes every client connection, after writing `partial` (e.g. half an event) to each. */
  dropConnections(partial?: string): void;
  close(): Promise<void>;
}

interface Session {
  id: number;
  socket: Socket;
  reader: AmiFrameReader;
  user: string | undefined;
  read: ReadonlySet<string>;
  write: ReadonlySet<string>;
  /** Categories the session asked for (Login `Events:` or the Events action); undefined: all it may read. */
  mask: ReadonlySet<string> | undefined;
}

function parseMask(text: string): ReadonlySet<string> {
  const t = text.trim().toLowerCase();
  if (t === 'on' || t === 'all' || t === 'yes' || t === 'true') return new Set(CATEGORIES);
  if (t === 'off' || t === 'no' || t === 'false' || t === '') return new Set();
  return new Set(
    t
      .split(',')
      .map((c) => c.trim())
      .filter(Boolean),
  );
}

export async function startAmiPeer(opts: AmiPeerOptions = {}): Promise<AmiPeer> {
  const host = opts.host ?? '127.0.0.1';
  const users: Record<string, AmiUser> = opts.users ?? {
    ghostguard: {
      secret: 'ghostguard-secret',
      read: ['call', 'user', 'security', 'system'],
      write: ['call', 'system'],
    },
  };
  const timings: ChannelTimings = {
    checkTimeoutMs: opts.checkTimeoutMs ?? 2_000,
    failPolicy: opts.failPolicy ?? 'open',
    tarpitContext: opts.tarpitContext ?? TARPIT_CONTEXT,
    tarpitHoldMs: opts.tarpitHoldMs ?? 1_000,
    verdictPollMs: opts.verdictPollMs ?? DEFAULT_VERDICT_POLL_MS,
    allowedCallMs: opts.allowedCallMs ?? 0,
  };
  const inboundContext = opts.inboundContext ?? 'from-external';
  const epoch = opts.epoch ?? Math.floor(Date.now() / 1000);
  const sessions = new Set<Session>();
  const channels = new Map<string, ScriptedChannel>();
  const received: ReceivedAction[] = [];
  let nextSession = 0;
  let accepted = 0;
  let seq = 0;
  let closing = false;

  const wants = (s: Session, categories: readonly string[]): boolean => {
    if (s.user === undefined) return false;
    for (const c of categories) if (s.read.has(c) && (s.mask === undefined || s.mask.has(c))) return true;
    return false;
  };

  const publish = (fields: readonly AmiField[]): void => {
    const categories = privilegeCategories(fields);
    let frame: string | undefined;
    for (const s of sessions) {
      if (!wants(s, categories) || s.socket.destroyed) continue;
      frame ??= encodeFrame(fields);
      s.socket.write(frame);
    }
  };

  const registrar = new PeerRegistrar(publish);

  const host_ = {
    publish: (f: AmiField[]) => publish(f),
    remove: (c: ScriptedChannel) => channels.delete(c.name),
  };

  const handle = (s: Session, m: AmiMessage) => {
    if (received.length < MAX_RECORDED_ACTIONS) received.push({ session: s.id, at: performance.now(), message: m });
    const action = (m.get('Action') ?? '').trim().toLowerCase();
    const id = m.get('ActionID');
    const respond = (response: string, ...rest: AmiField[]): void => {
      if (s.socket.destroyed) return;
      s.socket.write(
        encodeFrame([['Response', response], ...(id !== undefined ? [['ActionID', id] as const] : []), ...rest]),
      );
    };
    const error = (message: string) => respond('Error', ['Message', message]);
    if (action === '') return error('Missing action in request');
    if (s.user === undefined && action !== 'login' && action !== 'logoff' && action !== 'challenge') {
      return error('Permission denied');
    }
    const may = (category: string) => s.write.has(category);
    switch (action) {
      case 'login': {
        const name = m.get('Username') ?? '';
        const user = users[name];
        if (!user || user.secret !== (m.get('Secret') ?? '')) {
          error('Authentication failed');
          s.socket.end();
          return;
        }
        s.user = name;
        s.read = new Set(user.read ?? CATEGORIES);
        s.write = new Set(user.write ?? CATEGORIES);
        const events = m.get('Events');
        if (events !== undefined) s.mask = parseMask(events);
        respond('Success', ['Message', 'Authentication accepted']);
        if (wants(s, ['system'])) {
          s.socket.write(
            encodeFrame([
              ['Event', 'FullyBooted'],
              ['Privilege', 'system,all'],
              ['Uptime', '42'],
              ['LastReload', '42'],
              ['Status', 'Fully Booted'],
            ]),
          );
        }
        return;
      }
      case 'events': {
        const mask = parseMask(m.get('EventMask') ?? '');
        s.mask = mask;
        return respond('Success', ['Events', mask.size > 0 ? 'On' : 'Off']);
      }
      case 'ping': {
        const now = Date.now() * 1000 + Math.floor((performance.now() % 1) * 1000);
        const ts = `${Math.floor(now / 1e6)}.${String(now % 1e6).padStart(6, '0')}`;
        if (opts.splitPing === false) return respond('Success', ['Ping', 'Pong'], ['Timestamp', ts]);
        s.socket.write('Response: Success\r\n');
        if (id !== undefined) s.socket.write(`ActionID: ${id}\r\n`);
        s.socket.write(`Ping: Pong\r\nTimestamp: ${ts}\r\n\r\n`);
        return;
      }
      case 'logoff':
        respond('Goodbye', ['Message', 'Thanks for all the fish.']);
        s.socket.end();
        return;
      case 'userevent': {
        if (!may('user')) return error('Permission denied');
        const body = m.fields.filter(([n]) => !/^(action|userevent)$/i.test(n));
        respond('Success', ['Message', 'Event Sent']);
        publish([['Event', 'UserEvent'], ['Privilege', 'user,all'], ['UserEvent', m.get('UserEvent') ?? ''], ...body]);
        return;
      }
      case 'setvar': {
        if (!may('call')) return error('Permission denied');
        const variable = m.get('Variable') ?? '';
        if (variable === '') return error('No variable specified');
        const name = m.get('Channel') ?? '';
        if (name === '') return respond('Success', ['Message', 'Variable Set']);
        const c = channels.get(name);
        if (!c) return error('No such channel');
        respond('Success', ['Message', 'Variable Set']);
        c.setvar(variable, m.get('Value') ?? '');
        return;
      }
      case 'hangup': {
        if (!may('call')) return error('Permission denied');
        const name = m.get('Channel') ?? '';
        if (name === '') return error('No channel specified');
        const c = channels.get(name);
        if (!c) return error('No such channel');
        const cause = Number.parseInt(m.get('Cause') ?? '', 10);
        respond('Success', ['Message', 'Channel Hungup']);
        c.hangup(Number.isInteger(cause) && cause > 0 ? cause : 16);
        return;
      }
      case 'redirect': {
        if (!may('call')) return error('Permission denied');
        const name = m.get('Channel') ?? '';
        if (name === '') return error('Channel not specified');
        const c = channels.get(name);
        if (!c) return error(`Channel does not exist: ${name}`);
        const priority = Number.parseInt(m.get('Priority') ?? '1', 10);
        respond('Success', ['Message', 'Redirect successful']);
        c.redirect(m.get('Context') ?? '', m.get('Exten') ?? '', Number.isInteger(priority) ? priority : 1);
        return;
      }
      case 'pjsipshowcontacts': {
        // res_pjsip registers it with EVENT_FLAG_SYSTEM.
        if (!may('system')) return error('Permission denied');
        const contacts = registrar.pjsipContacts();
        // Nothing registered: an error, not an empty list, and the message keeps the "\n" res_pjsip gives it
        // (pjsip_options.c: astman_send_error(s, m, "No Contacts found\n"); ami-login-empty-contacts.follow.txt).
        if (contacts.length === 0) return error('No Contacts found\n');
        respond(
          'Success',
          ['EventList', 'start'],
          ['Message', 'A listing of Contacts follows, presented as ContactList events'],
        );
        // List events go to this session only, whatever its event mask (astman_append).
        let out = '';
        for (const c of contacts) out += encodeFrame(contactListEvent(c, id));
        out += encodeFrame(listCompleteEvent('ContactListComplete', id, contacts.length));
        if (!s.socket.destroyed) s.socket.write(out);
        return;
      }
      case 'sippeers': {
        // chan_sip: EVENT_FLAG_SYSTEM | EVENT_FLAG_REPORTING (either grants it).
        if (!may('system') && !may('reporting')) return error('Permission denied');
        respond('Success', ['EventList', 'start'], ['Message', 'Peer status list will follow']);
        const peers = registrar.sipPeers();
        let out = '';
        for (const p of peers) out += encodeFrame(peerEntryEvent(p, id));
        out += encodeFrame(listCompleteEvent('PeerlistComplete', id, peers.length));
        if (!s.socket.destroyed) s.socket.write(out);
        return;
      }
      case 'sipshowpeer': {
        if (!may('system') && !may('reporting')) return error('Permission denied');
        const name = m.get('Peer') ?? '';
        if (name === '') return error('Peer: <name> missing.');
        const p = registrar.sipPeer(name);
        if (!p) return error(`Peer ${name} not found.`);
        if (!s.socket.destroyed) s.socket.write(encodeFrame(sipShowPeerResponse(p, id, Date.now())));
        return;
      }
      default:
        return error('Invalid/unknown command');
    }
  };

  const server: Server = createServer({ noDelay: true }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    accepted++;
    const s: Session = {
      id: nextSession++,
      socket,
      reader: new AmiFrameReader(),
      user: undefined,
      read: new Set(),
      write: new Set(),
      mask: undefined,
    };
    sessions.add(s);
    socket.on('error', () => {});
    socket.on('close', () => sessions.delete(s));
    socket.on('data', (chunk: Buffer) => {
      let messages: AmiMessage[];
      try {
        messages = s.reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const m of messages) handle(s, m);
    });
    socket.write(AMI_BANNER);
  });
  const port = await listenOn(server, host, 0, 'ami peer');

  return {
    host,
    port,
    received,
    sessions: () => [...sessions].filter((s) => s.user !== undefined && !s.socket.destroyed).length,
    connectionsAccepted: () => accepted,
    liveChannels: () => channels.size,
    placeCall(call) {
      const n = seq++;
      const c = new ScriptedChannel(host_, call, timings, n, `${epoch}.${n}`, inboundContext);
      channels.set(c.name, c);
      c.start();
      return {
        channel: c.name,
        uniqueid: c.uniqueid,
        outcome: c.outcome,
        ended: c.ended,
        hangup: () => c.hangup(16, 'caller'),
      };
    },
    publish,
    registrar,
    sendRaw(text) {
      for (const s of sessions) if (s.user !== undefined && !s.socket.destroyed) s.socket.write(text);
    },
    dropConnections(partial) {
      for (const s of sessions) {
        if (partial !== undefined && !s.socket.destroyed) s.socket.write(partial);
        s.socket.destroy();
      }
    },
    close() {
      closing = true;
      for (const c of channels.values()) c.dispose();
      channels.clear();
      for (const s of sessions) s.socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
