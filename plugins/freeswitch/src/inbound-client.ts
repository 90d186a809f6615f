/**
 * The learning path: an inbound Event Socket connection to FreeSWITCH (port 8021). It authenticates,
 * subscribes to `CHANNEL_HANGUP_COMPLETE` first and `CUSTOM` with its subclasses last (in `event plain …`
 * every word after CUSTOM is read as a subclass name: `sofia::register_failure`, and for the room registry
 * `sofia::register`, `sofia::unregister`, `sofia::expire`), reports what it learns to the guard, and after every
 * accepted subscription lists the sofia registrations (room-sync.ts).
 *
 * Reconnects are this module's, not drachtio-modesl's: the library's own loop resets its backoff on every TCP
 * connect (a refused password would be retried about four times a second for ever), has no ceiling unless one
 * is set, and a timer it has armed survives disconnect(). Here: `initialDelay × factor^n` up to `maxDelay`, reset only
 * once a subscription is accepted; a refused password waits `maxDelay`; close() cancels everything.
 */
import { type Guard, LogThrottle } from '@ghostguard/core';
import esl, { type Connection, type EslEvent } from 'drachtio-modesl';
import { FreeswitchError } from './errors.js';
import { hardenParser } from './harden-parser.js';
import type { ResolvedFreeswitchOptions } from './options.js';
import { type ApiResult, type ApiSender, FreeswitchRooms } from './rooms.js';
import { isGuardTransferNoRoute, outcomeOfEvent } from './sofia-events.js';
import { REGISTRATION_SUBCLASSES, registrationOfEvent } from './sofia-registrations.js';
import type { FreeswitchStats } from './stats.js';

/** Channel events first, then CUSTOM and its subclasses (the registration ones only while rooms are followed). */
export const INBOUND_EVENTS = [
  'CHANNEL_HANGUP_COMPLETE',
  'CUSTOM',
  'sofia::register_failure',
  ...REGISTRATION_SUBCLASSES,
] as const;

function subscribedEvents(roomsEnabled: boolean): string[] {
  return INBOUND_EVENTS.filter((e) => roomsEnabled || !(REGISTRATION_SUBCLASSES as readonly string[]).includes(e));
}

const CLOSE_GRACE_MS = 1_000;

/** How far one inbound connection got: `connecting` (no TCP connection), … `subscribed` (events flowing). */
interface ConnectionState {
  phase: 'connecting' | 'authenticating' | 'refused' | 'subscribing' | 'subscribed';
  reason: string | undefined;
}

const LOST_MESSAGES: Record<ConnectionState['phase'], string> = {
  connecting: 'cannot connect to the FreeSWITCH event socket (adapters.freeswitch.inbound.host/port)',
  authenticating: 'the FreeSWITCH event socket closed before the password was answered',
  refused: 'the FreeSWITCH event socket refused the password; retrying',
  subscribing: 'the FreeSWITCH event socket closed before the subscription was accepted',
  subscribed: 'event socket connection lost',
};

export class InboundClient {
  private conn: Connection | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  private subscribed = false;
  private waiters: Array<() => void> = [];
  /** Answers of `api` commands still awaited on the current connection (settled with a failure when it goes). */
  private readonly pendingApi = new Set<(r: ApiResult) => void>();
  private readonly rooms: FreeswitchRooms;
  private readonly noRouteLog = new LogThrottle(60_000);

  constructor(
    private readonly opts: ResolvedFreeswitchOptions,
    private readonly guard: Guard,
    private readonly stats: FreeswitchStats,
  ) {
    this.rooms = new FreeswitchRooms(guard, opts.inbound.rooms, opts.logger, stats);
  }

  start(): void {
    this.connect();
  }

  /** Resolves once a subscription has been accepted (now, if it already is). */
  whenSubscribed(): Promise<void> {
    if (this.subscribed) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private get log() {
    return this.opts.logger;
  }

  private connect(): void {
    if (this.stopped) return;
    const { host, port, password } = this.opts.inbound;
    const conn = new esl.Connection(host, port, password);
    // Switch off modesl's reconnect loop (see the header comment); this class schedules its own.
    conn.closing = true;
    this.conn = conn;
    let gone = false;
    /** How far this connection got, and the last socket error: what the "lost" line says. */
    const state: ConnectionState = { phase: 'connecting', reason: undefined };
    // modesl emits esl::end when the socket closes (refused, reset or ended): one reconnect per connection.
    conn.on('error', (err: unknown) => {
      state.reason = (err as NodeJS.ErrnoException)?.code ?? (err as Error)?.message ?? String(err);
      this.stats.socketErrors++;
      const e = new FreeswitchError('GG_ESL_SOCKET', (err as Error)?.message ?? String(err), { cause: err });
      this.log.debug({ event: 'freeswitch-inbound-error', code: e.code, err: e.message });
    });
    conn.on('esl::connect', () => {
      state.phase = 'authenticating';
      this.stats.inbound.connects++;
      hardenParser(conn, {
        maxFrameBytes: this.opts.inbound.maxFrameBytes,
        onBadEscape: () => {
          this.stats.badEscapes++;
        },
        onTooLarge: (bytes) => {
          this.stats.oversizedFrames++;
          this.log.warn({
            event: 'freeswitch-frame-too-large',
            code: 'GG_ESL_FRAME_TOO_LARGE',
            bytes,
            path: 'inbound',
          });
          this.rooms.frameTooLarge();
          conn.socket?.destroy();
        },
        onParseError: (err) => {
          this.stats.socketErrors++;
          this.log.warn({
            event: 'freeswitch-frame-unreadable',
            code: 'GG_ESL_SOCKET',
            path: 'inbound',
            err: String(err),
          });
        },
      });
    });
    conn.on('esl::event::auth::success', () => {
      state.phase = 'subscribing';
      this.subscribe(conn, state);
    });
    conn.on('esl::event::auth::fail', () => {
      state.phase = 'refused';
      this.stats.inbound.authFailures++;
      this.failures = Number.POSITIVE_INFINITY;
      this.log.error(
        { event: 'freeswitch-inbound-auth-failed', code: 'GG_ESL_AUTH_FAILED', host, port },
        'FreeSWITCH refused the event socket password (adapters.freeswitch.inbound.password)',
      );
    });
    conn.on('esl::event::**', (evt: EslEvent, headers?: Record<string, unknown>) => {
      const type = headers?.['Content-Type'];
      if (typeof type !== 'string' || !type.startsWith('text/event-')) return;
      try {
        this.onEvent(evt, conn);
      } catch (err) {
        // Runs inside the socket's data handler: nothing may escape into the host.
        this.log.error({ event: 'freeswitch-internal-error', where: 'inbound-event', err: String(err) });
      }
    });
    conn.on('esl::end', () => {
      if (gone) return;
      gone = true;
      this.lost(conn, state);
    });
  }

  /** `api <command>` on `conn`, answered once: the body, or a failure on timeout or connection loss. */
  private apiOn(conn: Connection): ApiSender {
    return (command, done) => {
      if (conn !== this.conn || !conn.socket || conn.socket.destroyed) {
        done({ ok: false, problem: 'not connected' });
        return;
      }
      const ms = this.opts.inbound.rooms.apiTimeout;
      const finish = (r: ApiResult): void => {
        if (!this.pendingApi.delete(finish)) return;
        clearTimeout(timer);
        done(r);
      };
      // A late answer still arrives in order (modesl queues api callbacks) and is ignored by `finish`.
      const timer = setTimeout(() => finish({ ok: false, problem: `no answer within ${ms} ms` }), ms);
      this.pendingApi.add(finish);
      conn.api(command, (evt: EslEvent) => {
        const body = typeof evt?.getBody === 'function' ? evt.getBody() : '';
        finish({ ok: true, body: typeof body === 'string' ? body : '' });
      });
    };
  }

  private failPendingApi(problem: string): void {
    for (const finish of [...this.pendingApi]) finish({ ok: false, problem });
  }

  private subscribe(conn: Connection, state: ConnectionState): void {
    const events = subscribedEvents(this.opts.inbound.rooms.enabled);
    conn.events('plain', events, (reply: EslEvent) => {
      if (reply.getHeader('Modesl-Reply-OK') === undefined) {
        this.log.error({
          event: 'freeswitch-inbound-subscribe-failed',
          code: 'GG_ESL_SUBSCRIBE_FAILED',
          reply: String(reply.getHeader('Reply-Text') ?? '').slice(0, 200),
        });
        conn.socket?.destroy();
        return;
      }
      this.failures = 0;
      state.phase = 'subscribed';
      this.subscribed = true;
      this.stats.inbound.connected = true;
      this.log.info({ event: 'freeswitch-inbound-subscribed', events: events.join(' ') });
      for (const w of this.waiters.splice(0)) w();
      this.rooms.resync(this.apiOn(conn));
    });
  }

  private onEvent(evt: EslEvent, conn: Connection): void {
    this.stats.inbound.events++;
    const header = (name: string) => {
      const v = evt.getHeader(name);
      return typeof v === 'string' ? v : undefined;
    };
    const registration = registrationOfEvent(
      header,
      Math.floor(Date.now() / 1000),
      this.opts.inbound.rooms.expiresLateMargin,
    );
    if (registration) {
      this.rooms.onEvent(registration, this.apiOn(conn));
      return;
    }
    if (isGuardTransferNoRoute(header)) {
      this.stats.inbound.transferNoRoute++;
      const suppressed = this.noRouteLog.take();
      if (suppressed !== undefined) {
        this.log.warn(
          {
            event: 'freeswitch-transfer-no-route',
            transfer: this.opts.allow.transfer,
            target: String(header('Caller-Destination-Number') ?? '').slice(0, 128),
            suppressed: suppressed || undefined,
          },
          'a call moved with adapters.freeswitch.allow.transfer found no route there (not reported against the caller)',
        );
      }
      return;
    }
    const outcome = outcomeOfEvent(header, this.opts.inbound, Date.now());
    if (!outcome) return;
    const r = this.stats.inbound.reported;
    if (outcome.kind === 'auth-failure') r.authFailures++;
    else if (outcome.kind === 'completed-call') r.completedCalls++;
    else if (outcome.kind === 'unknown-target') r.unknownTargets++;
    const ban = this.guard.report(outcome);
    this.log.debug({
      event: 'freeswitch-report',
      kind: outcome.kind,
      source: outcome.source.ip,
      target: outcome.target,
      ban: ban?.until,
    });
  }

  private lost(conn: Connection, state: ConnectionState): void {
    if (conn !== this.conn) return;
    this.conn = undefined;
    this.subscribed = false;
    this.stats.inbound.connected = false;
    this.failPendingApi('connection lost');
    conn.removeAllListeners();
    conn.on('error', () => {});
    if (this.stopped) return;
    const { initialDelay, maxDelay, factor } = this.opts.inbound.reconnect;
    const delay = Math.min(maxDelay, initialDelay * factor ** Math.min(this.failures, 64));
    this.failures++;
    this.stats.inbound.reconnects++;
    const { host, port } = this.opts.inbound;
    const why = LOST_MESSAGES[state.phase];
    this.log.warn(
      {
        event: 'freeswitch-inbound-lost',
        phase: state.phase,
        reason: state.reason,
        address: `${host}:${port}`,
        retryIn: Math.round(delay),
      },
      state.reason ? `${why} (${state.reason})` : why,
    );
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect();
    }, delay);
  }

  async close(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.rooms.close();
    this.failPendingApi('closed');
    for (const w of this.waiters.splice(0)) w();
    const conn = this.conn;
    this.conn = undefined;
    const socket = conn?.socket;
    if (!conn || !socket || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const grace = setTimeout(() => socket.destroy(), CLOSE_GRACE_MS);
      socket.once('close', () => {
        clearTimeout(grace);
        resolve();
      });
      if (socket.writable) socket.end('exit\n\n');
      else socket.destroy();
    });
    conn.removeAllListeners();
  }
}
