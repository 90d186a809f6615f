/**
 * FreeSWITCH's inbound Event Socket (port 8021): `auth/request` on connect, `auth <password>` answered
 * `+OK accepted` or `-ERR invalid` (then a disconnect notice and close), `event plain|json …` subscriptions
 * (every word after `CUSTOM` is a subclass name), `api` answered as api/response with Content-Length, events
 * sent to each authenticated client that subscribed to them. It can be stopped and started again on the same
 * port to play a FreeSWITCH restart.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { listenOn } from '../listen.js';
import { CORE_UUID } from './channel-data.js';
import { type EslCommand, EslCommandReader } from './command-reader.js';
import {
  apiResponse,
  authRequest,
  commandReply,
  type EslHeader,
  inboundGoodbye,
  jsonEvent,
  plainEvent,
} from './messages.js';
import { type EventClock, SofiaRegistrar } from './sofia-registrar.js';

export interface Subscription {
  format: 'plain' | 'json' | 'xml';
  /** Event names in the order given (CUSTOM included when given). */
  events: string[];
  /** Subclasses listed after CUSTOM. */
  subclasses: string[];
  all: boolean;
  /** The command line as received. */
  line: string;
}

export interface InboundClient {
  readonly socket: Socket;
  authed: boolean;
  subscription: Subscription | undefined;
  commands: string[];
}

export interface EslInboundServer {
  readonly host: string;
  readonly port: number;
  readonly clients: ReadonlySet<InboundClient>;
  /** Every `auth` attempt: the password given and whether it was accepted. */
  readonly authAttempts: Array<{ password: string; accepted: boolean }>;
  /** Every subscription command, in order over all connections. */
  readonly subscriptions: Subscription[];
  /** Sends an event to every authenticated client subscribed to it; returns how many got it. */
  emit(headers: readonly EslHeader[]): number;
  /** Writes raw bytes to every authenticated client (malformed-frame tests). */
  emitRaw(bytes: string | Buffer): number;
  /** A `sofia::register_failure` as FreeSWITCH 1.10.12 sends it (with `profile-name` twice). */
  registerFailure(f: RegisterFailureFields): number;
  /** mod_sofia's registrar: registrations, their events, `sofia xmlstatus … reg` and `flush_inbound_reg`. */
  readonly sofia: SofiaRegistrar;
  /** Every `api` command line received, in order over all connections. */
  readonly apiCommands: string[];
  /** Closes every client connection (FreeSWITCH restarting, the network dropping). */
  dropClients(): void;
  /** Stops listening and drops every client. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface RegisterFailureFields {
  networkIp: string;
  networkPort?: number;
  userAgent?: string;
  toUser: string;
  toHost?: string;
  profile?: string;
}

export interface EslInboundOptions {
  password?: string;
  host?: string;
  /** Fixed port (default 0: a free one). */
  port?: number;
  /** sofia profiles that exist (default `internal`). */
  profiles?: string[];
  /** The profiles' `multiple-registrations` (default off, as in the vanilla internal profile). */
  multipleRegistrations?: boolean;
  /** Commands whose answer never comes (FreeSWITCH busy): matched against the api command line. */
  silentApi?: (command: string) => boolean;
}

/** Parses `event plain CHANNEL_CREATE CUSTOM sofia::register_failure …`. */
export function parseEventCommand(line: string): Subscription | undefined {
  const words = line.split(' ').filter((w) => w.length > 0);
  if (words[0] !== 'event' || words.length < 2) return undefined;
  const fmt = words[1]!;
  const format = fmt === 'json' || fmt === 'xml' ? fmt : 'plain';
  const names = fmt === 'json' || fmt === 'xml' || fmt === 'plain' ? words.slice(2) : words.slice(1);
  const events: string[] = [];
  const subclasses: string[] = [];
  let custom = false;
  for (const w of names) {
    if (custom) subclasses.push(w);
    else {
      events.push(w);
      if (w === 'CUSTOM') custom = true;
    }
  }
  return { format, events, subclasses, all: events.includes('ALL'), line };
}

function wants(sub: Subscription | undefined, headers: readonly EslHeader[]): boolean {
  if (!sub) return false;
  if (sub.all) return true;
  const name = headers.find(([n]) => n === 'Event-Name')?.[1];
  if (name === undefined) return false;
  if (name === 'CUSTOM') {
    const subclass = headers.find(([n]) => n === 'Event-Subclass')?.[1];
    return sub.events.includes('CUSTOM') && subclass !== undefined && sub.subclasses.includes(subclass);
  }
  return sub.events.includes(name);
}

export async function startEslInbound(opts: EslInboundOptions = {}): Promise<EslInboundServer> {
  const password = opts.password ?? 'ClueCon';
  const host = opts.host ?? '127.0.0.1';
  const clients = new Set<InboundClient>();
  const authAttempts: Array<{ password: string; accepted: boolean }> = [];
  const subscriptions: Subscription[] = [];
  let server: Server | undefined;
  let port = opts.port ?? 0;
  let sequence = 560;
  const apiCommands: string[] = [];
  const clock: EventClock = { nowUs: () => Date.now() * 1000, nextSequence: () => sequence++ };
  // Assigned below; the registrar fires its events through emit().
  let emitRef: (headers: readonly EslHeader[]) => number = () => 0;
  const sofia = new SofiaRegistrar(
    opts.profiles ?? ['internal'],
    clock,
    (h) => emitRef(h),
    opts.multipleRegistrations ?? false,
  );

  /** The api commands this stand-in knows; anything else is answered as FreeSWITCH does for an unknown one. */
  const apiAnswer = (cmd: string): string => {
    if (cmd === 'status') {
      return 'UP 0 years, 0 days, 0 hours, 1 minute, 2 seconds, 0 milliseconds, 0 microseconds\nFreeSWITCH (Version 1.10.12 -release 64bit) is ready\n';
    }
    const w = cmd.split(' ').filter((x) => x.length > 0);
    if (w[0] === 'sofia' && w[1] === 'xmlstatus' && w[2] === 'profile' && w[3] !== undefined && w[4] === 'reg') {
      return sofia.xmlStatus(w[3]);
    }
    if (w[0] === 'sofia' && w[1] === 'profile' && w[2] !== undefined && w[3] === 'flush_inbound_reg') {
      return sofia.flush(w[2], w[4]);
    }
    return `-ERR ${w[0] ?? ''} Command not found!\n`;
  };

  const onCommand = (client: InboundClient, c: EslCommand): void => {
    const s = client.socket;
    client.commands.push(c.line);
    if (!client.authed) {
      if (c.line.startsWith('auth ')) {
        const given = c.line.slice(5);
        const accepted = given === password;
        authAttempts.push({ password: given, accepted });
        if (accepted) {
          client.authed = true;
          s.write(commandReply('+OK accepted'));
        } else {
          s.write(commandReply('-ERR invalid'));
          s.write(inboundGoodbye());
          s.end();
        }
        return;
      }
      s.write(commandReply('-ERR command not found'));
      return;
    }
    if (c.line.startsWith('event ')) {
      const sub = parseEventCommand(c.line);
      if (!sub) return void s.write(commandReply('-ERR invalid syntax'));
      client.subscription = sub;
      subscriptions.push(sub);
      s.write(commandReply(`+OK event listener enabled ${sub.format}`));
      return;
    }
    if (c.line === 'noevents') {
      client.subscription = undefined;
      s.write(commandReply('+OK no longer listening for events'));
      return;
    }
    if (c.line.startsWith('api ')) {
      const cmd = c.line.slice(4);
      apiCommands.push(cmd);
      if (opts.silentApi?.(cmd)) return;
      s.write(apiResponse(apiAnswer(cmd)));
      return;
    }
    if (c.line === 'exit') {
      s.write(commandReply('+OK bye'));
      s.write(inboundGoodbye());
      s.end();
      return;
    }
    s.write(commandReply('-ERR command not found'));
  };

  const listen = async (): Promise<void> => {
    const srv = createServer({ noDelay: true }, (socket) => {
      const client: InboundClient = { socket, authed: false, subscription: undefined, commands: [] };
      clients.add(client);
      const reader = new EslCommandReader();
      socket.on('error', () => {});
      socket.on('end', () => socket.end());
      socket.on('close', () => clients.delete(client));
      socket.on('data', (chunk: Buffer) => {
        let commands: EslCommand[];
        try {
          commands = reader.push(chunk);
        } catch {
          socket.destroy();
          return;
        }
        for (const c of commands) onCommand(client, c);
      });
      socket.write(authRequest());
    });
    port = await listenOn(srv, host, port, 'esl inbound');
    server = srv;
  };

  const dropClients = (): void => {
    for (const c of clients) c.socket.destroy();
    clients.clear();
  };

  const stop = async (): Promise<void> => {
    const srv = server;
    server = undefined;
    dropClients();
    if (srv) await new Promise<void>((resolve) => srv.close(() => resolve()));
  };

  const send = (bytes: string | Buffer, filter: (c: InboundClient) => boolean): number => {
    let n = 0;
    for (const c of clients) {
      if (!c.authed || !filter(c) || c.socket.destroyed) continue;
      c.socket.write(bytes);
      n++;
    }
    return n;
  };

  const emit = (headers: readonly EslHeader[]): number => {
    let n = 0;
    for (const c of clients) {
      if (!c.authed || c.socket.destroyed || !wants(c.subscription, headers)) continue;
      c.socket.write(c.subscription?.format === 'json' ? jsonEvent(headers) : plainEvent(headers));
      n++;
    }
    return n;
  };

  emitRef = emit;
  await listen();
  return {
    sofia,
    apiCommands,
    host,
    get port() {
      return port;
    },
    clients,
    authAttempts,
    subscriptions,
    emit,
    emitRaw: (bytes) => send(bytes, () => true),
    registerFailure: (f) =>
      emit([
        ['Event-Subclass', 'sofia::register_failure'],
        ['Event-Name', 'CUSTOM'],
        ['Core-UUID', CORE_UUID],
        ['FreeSWITCH-Hostname', 'vm'],
        ['FreeSWITCH-Switchname', 'vm'],
        ['FreeSWITCH-IPv4', '192.0.2.2'],
        ['FreeSWITCH-IPv6', 'fd00::2'],
        ['Event-Date-Local', '2026-11-21 20:39:55'],
        ['Event-Date-GMT', 'Sat, 21 Nov 2026 20:39:55 GMT'],
        ['Event-Date-Timestamp', '1795293595111734'],
        ['Event-Calling-File', 'sofia_reg.c'],
        ['Event-Calling-Function', 'sofia_reg_handle_register_token'],
        ['Event-Calling-Line-Number', '1792'],
        ['Event-Sequence', String(sequence++)],
        ['profile-name', f.profile ?? 'internal'],
        ['to-user', f.toUser],
        ['to-host', f.toHost ?? '127.0.0.1'],
        ['network-ip', f.networkIp],
        ['user-agent', f.userAgent ?? ''],
        ['profile-name', f.profile ?? 'internal'],
        ['network-port', String(f.networkPort ?? 5060)],
        ['registration-type', 'REGISTER'],
      ]),
    dropClients,
    stop,
    start: listen,
    close: stop,
  };
}
