/**
 * FreeSWITCH's side of an outbound Event Socket: one call whose dialplan runs
 * `<action application="socket" data="HOST:PORT async full"/>`. It connects to the ESL app, waits for
 * `connect`, answers with the CHANNEL_DATA (command/reply, URL-encoded headers, no Content-Length), then
 * obeys the app as mod_event_socket does: `myevents`/`event`/`linger`/`resume`/`exit`/`api`, `sendmsg`
 * executes run one after another on the channel (CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE when
 * subscribed), a hangup sends the disconnect notice (`linger`: then waits for `exit`).
 *
 * After the socket, `placeCall` alone applies a summary of the example dialplan (DialplanModel): a
 * `sched_transfer` armed before the socket app is the decision deadline, and the `ghostguard-checked`
 * context lets the call on only when `ghostguard_verdict` is `allow`, otherwise applies the fail policy.
 * Closing the socket without `resume` (and without `socket_resume=true`) hangs the call up. To run the real
 * dialplan files around the socket (hunting, transfers, the scheduler, bridges), use xml-dialplan.ts `runCall`,
 * which calls this with `signal` and `scheduler`.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type CallInfo, type ChannelDataOptions, channelDataHeaders } from './channel-data.js';
import { type EslCommand, EslCommandReader } from './command-reader.js';
import { causeForSipStatus, sipStatusForCause } from './hangup-causes.js';
import {
  apiResponse,
  channelDataReply,
  commandReply,
  disconnectNotice,
  type EslHeader,
  jsonEvent,
  lingerNotice,
  plainEvent,
} from './messages.js';

export interface DialplanModel {
  /** `socket_resume=true` set before the socket app: any close of the socket continues the dialplan. */
  socketResume?: boolean;
  /** `sched_transfer +N … ghostguard-fallback` armed before the socket app (ms); none: FreeSWITCH waits. */
  decisionTimeoutMs?: number;
  /** What `ghostguard-checked`/`ghostguard-fallback` do without an `allow`: continue (open) or `respond 503`. */
  failPolicy?: 'open' | 'closed';
}

export interface PlaceCallOptions {
  host?: string;
  port: number;
  call: CallInfo;
  dialplan?: DialplanModel;
  channelData?: Omit<ChannelDataOptions, 'socket'>;
  /** Replace the CHANNEL_DATA bytes (malformed-frame tests); default: the faithful encoding. */
  rawChannelData?: string;
  /** Hard cap on the whole call in the peer (tests stop by themselves); default 10 s. */
  maxCallMs?: number;
  /** Source address of the TCP connection (any 127.x on Linux). */
  localAddress?: string;
  /** The dialplan takes the call away (a scheduled transfer fired): the socket app ends (path `timeout`). */
  signal?: AbortSignal;
  /**
   * The channel's scheduled tasks (xml-dialplan.ts): `api sched_del <uuid>` deletes the group and answers
   * `+OK Deleted: <n>` (mod_commands.c sched_del_function; recorded `+OK Deleted: 1` in
   * freeswitch-1.10.12-live/setup/esl-outbound-allow-legit-call.txt).
   */
  scheduler?: { deleteGroup(group: string): number };
}

export type CallOutcome = 'continued' | 'transferred' | 'hungup';
export type CallPath = 'verdict' | 'unreachable' | 'timeout' | 'socket-closed' | 'peer-cap';

export interface CallResult {
  outcome: CallOutcome;
  /** How the call left the socket app. */
  path: CallPath;
  /** The call went on towards a room (continued in the dialplan, or transferred by the app). */
  reached: boolean;
  /** Final SIP status sent to the caller when the call was refused before answer. */
  sipStatus?: number;
  hangupCause?: string;
  /** A 180 went to the caller (ring_ready). */
  ringing: boolean;
  transferTarget?: string;
  /** Applications executed on the channel, `name arg`, in order. */
  applications: string[];
  /** First line of every command received, in order (`connect`, `sendmsg <uuid>`, `api …`, `exit`). */
  commands: string[];
  /** Channel variables set by the app (`set`, `uuid_setvar`). */
  variables: Record<string, string>;
  uuid: string;
  timings: { start: number; connected?: number; channelData?: number; firstCommand?: number; ended: number };
}

type Subscription = { format: 'plain' | 'json'; all: boolean; names: Set<string> };

class OutboundChannel {
  readonly result: Omit<CallResult, 'outcome' | 'path' | 'reached' | 'timings'> & { timings: CallResult['timings'] };
  private readonly reader = new EslCommandReader();
  private sub: Subscription | undefined;
  private linger = false;
  private resume: boolean;
  private hungUp = false;
  private transferred = false;
  private exited = false;
  private answered = false;
  private readonly queue: Array<{ app: string; arg: string; eventUuid: string }> = [];
  private running = false;
  private sleepTimer: NodeJS.Timeout | undefined;
  private wakeSleep: (() => void) | undefined;
  private sequence = 1000;
  /** The app deleted the dialplan's fallback sched_transfer (`api sched_del <uuid>`). */
  schedCancelled = false;

  constructor(
    private readonly socket: Socket,
    private readonly headers: EslHeader[],
    /** The CHANNEL_DATA reply, encoded before the call connects (FreeSWITCH builds it in C, in microseconds). */
    private readonly channelData: string,
    dialplan: DialplanModel,
    start: number,
    private readonly scheduler?: { deleteGroup(group: string): number },
  ) {
    this.resume = dialplan.socketResume ?? false;
    const uuid = headers.find(([n]) => n === 'Unique-ID')?.[1] ?? '';
    this.result = { ringing: false, applications: [], commands: [], variables: {}, uuid, timings: { start, ended: 0 } };
  }

  get channelName(): string {
    return this.headers.find(([n]) => n === 'Channel-Name')?.[1] ?? '';
  }

  get done(): { hungUp: boolean; transferred: boolean; resumed: boolean; exited: boolean } {
    return { hungUp: this.hungUp, transferred: this.transferred, resumed: this.resume, exited: this.exited };
  }

  onData(chunk: Buffer): void {
    let commands: EslCommand[];
    try {
      commands = this.reader.push(chunk);
    } catch {
      this.socket.destroy();
      return;
    }
    for (const c of commands) this.command(c);
  }

  private write(text: string): void {
    if (!this.socket.destroyed && this.socket.writable) this.socket.write(text);
  }

  private command(c: EslCommand): void {
    const now = performance.now();
    this.result.commands.push(c.line);
    if (this.result.commands.length === 2) this.result.timings.firstCommand = now;
    const [verb = '', ...rest] = c.line.split(' ');
    switch (verb) {
      case 'connect':
        this.write(this.channelData);
        this.result.timings.channelData = performance.now();
        return;
      case 'myevents':
        this.sub = { format: rest[0] === 'json' ? 'json' : 'plain', all: true, names: new Set() };
        {
          this.write(commandReply('+OK Events Enabled'));
          return;
        }
      case 'event': {
        const format = rest[0] === 'json' ? 'json' : 'plain';
        const names = rest.slice(1);
        this.sub = { format, all: names.includes('ALL'), names: new Set(names) };
        this.write(commandReply(`+OK event listener enabled ${format}`));
        return;
      }
      case 'noevents':
        this.sub = undefined;
        {
          this.write(commandReply('+OK no longer listening for events'));
          return;
        }
      case 'linger':
        this.linger = true;
        {
          this.write(commandReply('+OK will linger'));
          return;
        }
      case 'nolinger':
        this.linger = false;
        {
          this.write(commandReply('+OK will not linger'));
          return;
        }
      case 'resume':
        this.resume = true;
        {
          this.write(commandReply('+OK'));
          return;
        }
      case 'exit':
        this.exited = true;
        this.write(commandReply('+OK bye'));
        this.write(disconnectNotice(this.result.uuid));
        this.socket.end();
        return;
      case 'api': {
        this.write(apiResponse(this.api(rest)));
        return;
      }
      case 'sendmsg': {
        this.sendmsg(c);
        return;
      }
      default: {
        this.write(commandReply('-ERR command not found'));
        return;
      }
    }
  }

  private api(words: string[]): string {
    const [cmd = '', uuid, ...args] = words;
    const mine = uuid === this.result.uuid;
    switch (cmd) {
      case 'uuid_setvar':
        if (!mine || args.length === 0) return '-ERR No such channel!\n';
        this.result.variables[args[0]!] = args.slice(1).join(' ');
        return '+OK\n';
      case 'uuid_transfer':
        if (!mine || args.length === 0 || this.hungUp) return '-ERR No such channel!\n';
        this.transferred = true;
        this.result.transferTarget = args.join(' ');
        return '+OK\n';
      case 'sched_del': {
        // The fallback sched_transfer's group is the channel uuid. mod_commands.c answers `+OK Deleted: <n>`
        // whatever n is (0 when nothing matched).
        if (this.scheduler) return `+OK Deleted: ${this.scheduler.deleteGroup(uuid ?? '')}\n`;
        if (mine) this.schedCancelled = true;
        return `+OK Deleted: ${mine ? 1 : 0}\n`;
      }
      default:
        return `-ERR ${cmd} Command not found!\n`;
    }
  }

  private sendmsg(c: EslCommand): void {
    const h = new Map(c.headers.map(([k, v]) => [k.toLowerCase(), v]));
    const target = c.line.split(' ')[1];
    if (target !== undefined && target !== this.result.uuid) {
      this.write(commandReply('-ERR invalid session id'));
      return;
    }
    const command = h.get('call-command');
    if (command === 'execute') {
      this.queue.push({
        app: h.get('execute-app-name') ?? '',
        arg: h.get('execute-app-arg') ?? '',
        eventUuid: h.get('event-uuid') ?? '',
      });
      this.write(commandReply('+OK'));
      void this.runQueue();
      return;
    }
    if (command === 'hangup') {
      this.write(commandReply('+OK'));
      this.hangup(h.get('hangup-cause') ?? 'NORMAL_CLEARING');
      return;
    }
    this.write(commandReply('+OK'));
  }

  private async runQueue(): Promise<void> {
    if (this.running) return;
    this.running = true;
    while (this.queue.length > 0 && !this.hungUp && !this.transferred && !this.socket.destroyed) {
      const { app, arg, eventUuid } = this.queue.shift()!;
      this.result.applications.push(arg ? `${app} ${arg}` : app);
      this.event('CHANNEL_EXECUTE', [
        ['Application', app],
        ['Application-Data', arg],
        ['Application-UUID', eventUuid],
      ]);
      await this.execute(app, arg);
      this.event('CHANNEL_EXECUTE_COMPLETE', [
        ['Application', app],
        ['Application-Data', arg],
        ['Application-Response', '_none_'],
        ['Application-UUID', eventUuid],
      ]);
      if (this.hungUp) this.afterHangup();
    }
    this.running = false;
  }

  private async execute(app: string, arg: string): Promise<void> {
    switch (app) {
      case 'respond': {
        const code = Number.parseInt(arg, 10);
        if (code === 180) this.result.ringing = true;
        if (code >= 300) {
          this.result.sipStatus = code;
          this.markHungUp(causeForSipStatus(code));
        }
        return;
      }
      case 'ring_ready':
        this.result.ringing = true;
        return;
      case 'answer':
        this.answered = true;
        return;
      case 'sleep': {
        const ms = Math.max(0, Number.parseInt(arg, 10) || 0);
        await new Promise<void>((resolve) => {
          this.wakeSleep = resolve;
          this.sleepTimer = setTimeout(resolve, ms);
        });
        this.sleepTimer = undefined;
        this.wakeSleep = undefined;
        return;
      }
      case 'hangup':
        this.markHungUp(arg || 'NORMAL_CLEARING');
        return;
      case 'transfer':
        this.transferred = true;
        this.result.transferTarget = arg;
        return;
      case 'set': {
        const eq = arg.indexOf('=');
        if (eq > 0) this.result.variables[arg.slice(0, eq)] = arg.slice(eq + 1);
        return;
      }
      default:
        return;
    }
  }

  private markHungUp(cause: string): void {
    if (this.hungUp) return;
    this.hungUp = true;
    this.result.hangupCause = cause;
    if (!this.answered && this.result.sipStatus === undefined) this.result.sipStatus = sipStatusForCause(cause);
  }

  /** Hangup from outside the queue (`call-command: hangup`, the deadline). */
  hangup(cause: string): void {
    if (this.hungUp) return;
    this.markHungUp(cause);
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
    this.afterHangup();
  }

  private hangupNoticeSent = false;

  private afterHangup(): void {
    if (this.hangupNoticeSent) return;
    this.hangupNoticeSent = true;
    this.event('CHANNEL_HANGUP', [['Hangup-Cause', this.result.hangupCause ?? 'NORMAL_CLEARING']]);
    if (this.linger) {
      this.write(lingerNotice(this.result.uuid, this.channelName));
      return;
    }
    this.write(disconnectNotice(this.result.uuid));
    this.socket.end();
  }

  private event(name: string, extra: EslHeader[]): void {
    const sub = this.sub;
    if (!sub || !(sub.all || sub.names.has(name))) return;
    const base: EslHeader[] = [
      ['Event-Name', name],
      ['Core-UUID', '0d064601-fe56-48ef-b6ec-fd222360de02'],
      ['Event-Sequence', String(this.sequence++)],
      ['Channel-Name', this.channelName],
      ['Unique-ID', this.result.uuid],
      ['Answer-State', this.hungUp ? 'hangup' : this.answered ? 'answered' : 'ringing'],
    ];
    const all = [...base, ...extra];
    this.write(sub.format === 'json' ? jsonEvent(all) : plainEvent(all));
  }

  stopTimers(): void {
    if (this.sleepTimer) clearTimeout(this.sleepTimer);
    this.wakeSleep?.();
  }
}

/** What the dialplan does with a call that left the socket app without a hangup or a transfer. */
function afterSocket(
  variables: Record<string, string>,
  dialplan: DialplanModel,
): Pick<CallResult, 'outcome' | 'reached' | 'sipStatus' | 'hangupCause'> {
  if (variables.ghostguard_verdict === 'allow' || (dialplan.failPolicy ?? 'open') === 'open') {
    return { outcome: 'continued', reached: true };
  }
  return { outcome: 'hungup', reached: false, sipStatus: 503, hangupCause: 'NORMAL_TEMPORARY_FAILURE' };
}

/** Places one call on the ESL app listening at `port`; resolves when the call has left the socket app. */
export function placeCall(opts: PlaceCallOptions): Promise<CallResult> {
  const host = opts.host ?? '127.0.0.1';
  const dialplan = opts.dialplan ?? {};
  const start = performance.now();
  const headers = channelDataHeaders(opts.call, { ...opts.channelData, socket: { host, port: opts.port } });
  return new Promise((resolve) => {
    const socket = netConnect({
      host,
      port: opts.port,
      noDelay: true,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    const channelData = opts.rawChannelData ?? channelDataReply(headers, { async: true, full: true });
    const channel = new OutboundChannel(socket, headers, channelData, dialplan, start, opts.scheduler);
    let connected = false;
    let deadlineFired = false;
    let capped = false;
    const deadline =
      dialplan.decisionTimeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            if (channel.schedCancelled || channel.done.hungUp || channel.done.transferred) return;
            deadlineFired = true;
            socket.destroy();
          }, dialplan.decisionTimeoutMs);
    const cap = setTimeout(() => {
      capped = true;
      socket.destroy();
    }, opts.maxCallMs ?? 10_000);
    opts.signal?.addEventListener(
      'abort',
      () => {
        deadlineFired = true;
        socket.destroy();
      },
      { once: true },
    );
    socket.on('connect', () => {
      connected = true;
      channel.result.timings.connected = performance.now();
    });
    socket.on('data', (chunk: Buffer) => channel.onData(chunk));
    socket.on('error', () => {});
    socket.on('end', () => socket.end());
    socket.on('close', () => {
      clearTimeout(cap);
      if (deadline) clearTimeout(deadline);
      channel.stopTimers();
      const r = channel.result;
      r.timings.ended = performance.now();
      const d = channel.done;
      const path: CallPath = !connected
        ? 'unreachable'
        : deadlineFired
          ? 'timeout'
          : capped
            ? 'peer-cap'
            : d.hungUp || d.transferred || d.exited
              ? 'verdict'
              : 'socket-closed';
      if (d.hungUp) return resolve({ ...r, outcome: 'hungup', reached: false, path });
      if (d.transferred) return resolve({ ...r, outcome: 'transferred', reached: true, path });
      if (!connected || deadlineFired || d.resumed)
        return resolve({ ...r, ...afterSocket(r.variables, dialplan), path });
      // Socket closed without resume: mod_event_socket hangs the channel up.
      return resolve({ ...r, outcome: 'hungup', reached: false, sipStatus: 480, hangupCause: 'NORMAL_CLEARING', path });
    });
  });
}
