import type { Socket } from 'node:net';
import type { Logger } from '@ghostguard/core';
import Manager, { type AmiObject, type ManagerInstance } from 'asterisk-manager';
import { AsteriskError } from './errors.js';
import { textField } from './fields.js';
import { FrameGuard } from './frame-guard.js';
import type { ResolvedAsteriskOptions } from './options.js';
import { captureSocket } from './socket-capture.js';

export type ActionResult =
  | { ok: true; response: AmiObject }
  | { ok: false; message: string; response?: AmiObject; timeout?: boolean };

/** The events of a list action (PJSIPShowContacts, SIPpeers…), or why there are none. */
export type ListResult = { ok: true; items: AmiObject[] } | { ok: false; message: string; timeout?: boolean };

interface ListCollector {
  complete: string;
  maxItems: number;
  items: AmiObject[];
  timer: NodeJS.Timeout;
  cb: (r: ListResult) => void;
}

export interface AmiLinkHandlers {
  onEvent(evt: AmiObject): void;
  onReady(): void;
  /** `failedAttempts`: attempts that failed since the connection was last ready (0 for a lost connection). */
  onDown(reason: string, failedAttempts: number): void;
  onAuthFailed(err: AsteriskError): void;
}

export interface AmiLinkStats {
  connects: number;
  drops: number;
  authFailures: number;
  oversizedFrames: number;
  keepaliveFailures: number;
}

function messageOf(err: AmiObject | Error | undefined): string {
  if (err instanceof Error) return err.message;
  return (err && textField(err, 'message')) || 'error';
}

/**
 * One logical manager connection over asterisk-manager, kept up with backoff. Every attempt uses a fresh
 * library instance: its parser state (half-read lines), held actions and login flag belong to one socket,
 * and its own keepConnected() (fixed 10–60 s delays, only if called before the socket opens, console output)
 * is not used. A failed login, which the library's auto-login ignores, is detected and reported loudly.
 */
export class AmiLink {
  private ami: ManagerInstance | undefined;
  private socket: Socket | undefined;
  private gen = 0;
  private ready = false;
  private closed = false;
  private failures = 0;
  private nextId = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private closeWaiters: Array<() => void> = [];
  private readonly pending = new Map<string, { cb: (r: ActionResult) => void; timer: NodeJS.Timeout }>();
  /** List actions in progress by ActionID: their events are collected here, not dispatched. */
  private readonly lists = new Map<string, ListCollector>();
  readonly stats: AmiLinkStats = { connects: 0, drops: 0, authFailures: 0, oversizedFrames: 0, keepaliveFailures: 0 };

  constructor(
    private readonly o: ResolvedAsteriskOptions,
    private readonly log: Logger,
    private readonly h: AmiLinkHandlers,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  start(): void {
    if (!this.closed && this.ami === undefined) this.open();
  }

  /** Sends an action on the ready connection; false (and no callback) when there is none. */
  send(action: Record<string, string>, cb: (r: ActionResult) => void, timeoutMs = this.o.actionTimeout): boolean {
    if (!this.ready || this.ami === undefined) return false;
    this.request(this.ami, action, cb, timeoutMs);
    return true;
  }

  /**
   * Sends a list action and collects the events that carry its ActionID until `completeEvent` (e.g.
   * ContactListComplete). Bounded: more than `maxItems` events, or no complete event within `timeoutMs`, fails
   * the listing. false (and no callback) when not connected.
   */
  list(
    action: Record<string, string>,
    completeEvent: string,
    cb: (r: ListResult) => void,
    opts: { maxItems: number; timeoutMs: number },
  ): boolean {
    if (!this.ready || this.ami === undefined) return false;
    const id = `gg-${++this.nextId}`;
    const timer = setTimeout(
      () => this.finishList(id, { ok: false, message: `list not complete within ${opts.timeoutMs} ms`, timeout: true }),
      opts.timeoutMs,
    );
    this.lists.set(id, { complete: completeEvent.toLowerCase(), maxItems: opts.maxItems, items: [], timer, cb });
    this.request(
      this.ami,
      action,
      (r) => {
        if (!r.ok) this.finishList(id, { ok: false, message: r.message, ...(r.timeout ? { timeout: true } : {}) });
      },
      this.o.actionTimeout,
      id,
    );
    return true;
  }

  private finishList(id: string, result: ListResult): void {
    const l = this.lists.get(id);
    if (!l) return;
    this.lists.delete(id);
    clearTimeout(l.timer);
    l.cb(result);
  }

  /** True when the event belongs to a list in progress (and was taken). */
  private collect(evt: AmiObject): boolean {
    const id = textField(evt, 'actionid');
    const l = id === undefined ? undefined : this.lists.get(id);
    if (l === undefined || id === undefined) return false;
    if ((textField(evt, 'event') ?? '').toLowerCase() === l.complete) {
      this.finishList(id, { ok: true, items: l.items });
    } else if (l.items.length >= l.maxItems) {
      this.finishList(id, { ok: false, message: `more than ${l.maxItems} list events` });
    } else l.items.push(evt);
    return true;
  }

  private request(
    ami: ManagerInstance,
    action: Record<string, string>,
    cb: (r: ActionResult) => void,
    timeoutMs: number,
    id = `gg-${++this.nextId}`,
  ): void {
    const timer = setTimeout(() => {
      if (!this.pending.delete(id)) return;
      ami.removeAllListeners(id);
      cb({ ok: false, message: `no response within ${timeoutMs} ms`, timeout: true });
    }, timeoutMs);
    this.pending.set(id, { cb, timer });
    ami.action({ ...action, actionid: id }, (err, res) => {
      const p = this.pending.get(id);
      if (!p) return;
      this.pending.delete(id);
      clearTimeout(p.timer);
      if (err) {
        const response = err instanceof Error ? undefined : err;
        p.cb({ ok: false, message: messageOf(err), ...(response ? { response } : {}) });
      } else p.cb({ ok: true, response: res ?? {} });
    });
  }

  private open(): void {
    const gen = ++this.gen;
    const { host, port, username, secret } = this.o;
    const ami = Manager(undefined, host, username, secret, false);
    this.ami = ami;
    ami.on('managerevent', (evt: AmiObject) => {
      if (gen === this.gen && !this.collect(evt)) this.h.onEvent(evt);
    });
    ami.on('close', () => this.onClose(gen));
    const socket = captureSocket(() => ami.connect(port, host, () => this.login(gen, ami)));
    this.socket = socket;
    if (socket) {
      const frames = new FrameGuard(this.o.maxFrameBytes);
      socket.on('data', (chunk: string | Buffer) => {
        if (frames.push(String(chunk)) || socket.destroyed) return;
        this.stats.oversizedFrames++;
        this.log.error(
          { event: 'ami-frame-too-large', limit: this.o.maxFrameBytes },
          'AMI message over maxFrameBytes: connection dropped and re-opened (checks in flight follow the dialplan fail policy)',
        );
        socket.destroy();
      });
    }
    this.connectTimer = setTimeout(() => {
      if (gen !== this.gen || this.ready) return;
      this.log.warn({ event: 'ami-connect-timeout', host, port }, 'AMI connect/login timed out; retrying');
      this.kill();
    }, this.o.connectTimeout);
  }

  private login(gen: number, ami: ManagerInstance): void {
    if (gen !== this.gen) return;
    ami.login((err) => {
      if (gen !== this.gen) return;
      if (err) {
        this.stats.authFailures++;
        const e = new AsteriskError(
          'GG_ASTERISK_AUTH',
          `Asterisk refused the manager login of ${JSON.stringify(this.o.username)} at ${this.o.host}:${this.o.port}: ${messageOf(err)} (check manager.conf: secret, permit/deny, and that the user exists)`,
        );
        this.h.onAuthFailed(e);
        this.kill();
        return;
      }
      // Login's `Event:` header (what the library sends) is not Asterisk's `Events:`: filter explicitly.
      this.request(
        ami,
        { action: 'Events', eventmask: this.o.eventMask },
        (r) => {
          if (gen !== this.gen) return;
          if (!r.ok) {
            this.log.warn({ event: 'ami-events-failed', detail: r.message }, 'Events action failed; reconnecting');
            this.kill();
            return;
          }
          clearTimeout(this.connectTimer);
          this.ready = true;
          this.failures = 0;
          this.stats.connects++;
          this.startKeepalive(gen, ami);
          this.h.onReady();
        },
        this.o.connectTimeout,
      );
    });
  }

  private startKeepalive(gen: number, ami: ManagerInstance): void {
    clearInterval(this.keepaliveTimer);
    this.keepaliveTimer = setInterval(() => {
      if (gen !== this.gen || !this.ready) return;
      this.request(
        ami,
        { action: 'Ping' },
        (r) => {
          if (r.ok || gen !== this.gen) return;
          this.stats.keepaliveFailures++;
          this.log.warn({ event: 'ami-keepalive-failed', detail: r.message }, 'AMI Ping unanswered; reconnecting');
          this.kill();
        },
        this.o.keepalive.timeout,
      );
    }, this.o.keepalive.interval);
  }

  /** Drops the current connection; its close event schedules the next attempt. */
  private kill(): void {
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    else if (this.ami) {
      const ami = this.ami;
      ami.disconnect();
      this.onClose(this.gen);
    }
  }

  private onClose(gen: number): void {
    if (gen !== this.gen || this.ami === undefined) return;
    const wasReady = this.ready;
    this.ready = false;
    this.ami = undefined;
    this.socket = undefined;
    clearTimeout(this.connectTimer);
    clearInterval(this.keepaliveTimer);
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.cb({ ok: false, message: 'connection closed' });
    }
    for (const id of [...this.lists.keys()]) this.finishList(id, { ok: false, message: 'connection closed' });
    if (wasReady) this.stats.drops++;
    if (this.closed) {
      for (const w of this.closeWaiters.splice(0)) w();
      return;
    }
    this.h.onDown(wasReady ? 'connection lost' : 'connection attempt failed', this.failures);
    const { minDelay, maxDelay, factor } = this.o.reconnect;
    const base = Math.min(maxDelay, minDelay * factor ** Math.min(this.failures, 30));
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.failures++;
    // One info line per outage; the attempts after it at debug (issue 15: a line per attempt was noise).
    const line = { event: 'ami-reconnect', inMs: delay, attempt: this.failures };
    if (this.failures === 1) this.log.info(line, `AMI reconnect in ${delay} ms`);
    else this.log.debug(line, `AMI reconnect in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (!this.closed) this.open();
    }, delay);
  }

  /** Stops reconnecting, closes the connection; resolves once it is closed. */
  close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnectTimer);
    clearTimeout(this.connectTimer);
    clearInterval(this.keepaliveTimer);
    if (this.ami === undefined) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.kill();
    return done;
  }
}
