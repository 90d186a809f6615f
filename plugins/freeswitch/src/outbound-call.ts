/**
 * One call on the outbound socket: FreeSWITCH connected (modesl has written `connect`), the CHANNEL_DATA
 * comes back, the guard judges it, and the verdict's commands go out in one write. The call then ends on
 * FreeSWITCH's side (it closes the socket after a hangup or `exit`); ghostguard closes it itself when that
 * does not happen within `settleTimeout` (after the tarpit hold), so no socket or slot outlives its call.
 */
import {
  countEnforced,
  type Guard,
  type LogThrottle,
  type RefusalLog,
  type RefusalNote,
  type TarpitSlot,
  type Verdict,
} from '@ghostguard/core';
import type { Connection } from 'drachtio-modesl';
import { readChannelData } from './attempt.js';
import { commandSafeUuid, enforcedLabel, expandTransfer, planCommands, serializeCommands } from './enforce.js';
import { FreeswitchError } from './errors.js';
import { hardenParser } from './harden-parser.js';
import type { ResolvedFreeswitchOptions } from './options.js';
import type { FreeswitchStats } from './stats.js';

/** After a forced `exit`, how long FreeSWITCH gets to close before the socket is destroyed. */
const EXIT_GRACE_MS = 1_000;

type Action = Verdict['action'];

export class OutboundCall {
  private readyTimer: NodeJS.Timeout | undefined;
  private settleTimer: NodeJS.Timeout | undefined;
  private slot: TarpitSlot | undefined;
  private decided = false;
  private finished = false;
  private badEscapeLogged = false;
  private tooLarge = false;

  constructor(
    private readonly conn: Connection,
    private readonly guard: Guard,
    private readonly opts: ResolvedFreeswitchOptions,
    private readonly stats: FreeswitchStats,
    private readonly remote: string,
    /** Allowed calls are logged at info: 20 lines a second at most, shared by the socket's calls. */
    private readonly allowedLog: LogThrottle,
    /**
     * Refused calls (and monitor mode's would-be refusals), shared by the socket's calls: one line per source per
     * window, a budget of lines per second (the core's RefusalLog).
     */
    private readonly refusals: RefusalLog,
  ) {}

  get holdsSlot(): boolean {
    return this.slot !== undefined;
  }

  /** Called as soon as the connection exists (before any byte from FreeSWITCH is parsed). */
  start(): void {
    const log = this.opts.logger;
    this.conn.on('error', (err: unknown) => {
      this.stats.socketErrors++;
      const e = new FreeswitchError('GG_ESL_SOCKET', (err as Error)?.message ?? String(err), { cause: err });
      log.debug({ event: 'freeswitch-socket-error', code: e.code, remote: this.remote, err: e.message });
    });
    const patched = hardenParser(this.conn, {
      maxFrameBytes: this.opts.outbound.maxFrameBytes,
      onBadEscape: (header) => {
        this.stats.badEscapes++;
        if (this.badEscapeLogged) return;
        this.badEscapeLogged = true;
        log.warn({ event: 'freeswitch-bad-escape', code: 'GG_ESL_BAD_ESCAPE', header, remote: this.remote });
      },
      onTooLarge: (bytes) => this.oversized(bytes),
      onParseError: (err) => {
        this.stats.socketErrors++;
        log.warn({
          event: 'freeswitch-frame-unreadable',
          code: 'GG_ESL_SOCKET',
          remote: this.remote,
          err: String(err),
        });
      },
    });
    if (!patched) log.error({ event: 'freeswitch-parser-unknown', remote: this.remote }, 'modesl parser not patched');
    this.readyTimer = setTimeout(() => this.noChannelData(), this.opts.outbound.channelDataTimeout);
  }

  private oversized(bytes: number): void {
    if (this.tooLarge) return;
    this.tooLarge = true;
    this.stats.oversizedFrames++;
    this.opts.logger.warn({
      event: 'freeswitch-frame-too-large',
      code: 'GG_ESL_FRAME_TOO_LARGE',
      bytes,
      max: this.opts.outbound.maxFrameBytes,
      remote: this.remote,
      decided: this.decided,
      failPolicy: this.decided ? undefined : this.opts.failPolicy,
    });
    // Before a verdict the fail policy's commands still go out (resume, or the fail-closed hangup); then the
    // connection is half-closed, read no further, and destroyed after a grace period.
    if (!this.decided) this.failDecision('frame too large');
    const socket = this.conn.socket;
    if (!socket || socket.destroyed) return;
    socket.pause();
    socket.end();
    clearTimeout(this.settleTimer);
    this.settleTimer = setTimeout(() => socket.destroy(), EXIT_GRACE_MS);
  }

  private noChannelData(): void {
    if (this.decided || this.finished) return;
    this.stats.noChannelData++;
    this.opts.logger.warn({
      event: 'freeswitch-no-channel-data',
      code: 'GG_ESL_NO_CHANNEL_DATA',
      remote: this.remote,
      failPolicy: this.opts.failPolicy,
    });
    this.failDecision('no CHANNEL_DATA');
  }

  /** The adapter could not judge: `open` resumes the dialplan, `closed` applies failClosedAction. */
  private failDecision(detail: string, uuid?: string): void {
    if (this.decided) return;
    const action: Action = this.opts.failPolicy === 'open' ? 'allow' : this.opts.failClosedAction;
    if (this.opts.failPolicy === 'open') this.stats.failedOpen++;
    else this.stats.failedClosed++;
    this.opts.logger.warn({
      event: 'freeswitch-fail-policy',
      failPolicy: this.opts.failPolicy,
      action,
      detail,
      remote: this.remote,
    });
    this.enforce(action, uuid);
  }

  /** CHANNEL_DATA arrived (modesl's `esl::ready`). */
  ready(): void {
    if (this.decided || this.finished) return;
    clearTimeout(this.readyTimer);
    // One pass over modesl's header list (its getHeader is a linear search per call).
    const headers = new Map<string, string>();
    for (const h of this.conn.getInfo()?.headers ?? []) {
      if (typeof h?.value === 'string' && !headers.has(h.name)) headers.set(h.name, h.value);
    }
    const header = (name: string): string | undefined => headers.get(name);
    let read: ReturnType<typeof readChannelData>;
    try {
      read = readChannelData(header, Date.now());
    } catch (err) {
      // readChannelData does not throw on any input; this is the belt to its braces.
      this.stats.errors++;
      this.failDecision(`internal error: ${(err as Error)?.message ?? String(err)}`);
      return;
    }
    if (!read.ok) {
      this.stats.malformed++;
      this.opts.logger.warn({
        event: 'freeswitch-channel-data-invalid',
        code: 'GG_ESL_CHANNEL_DATA_INVALID',
        detail: read.detail,
      });
      this.failDecision(read.detail, read.uuid);
      return;
    }
    this.stats.judged++;
    let verdict: Verdict;
    try {
      verdict = this.guard.judge(read.attempt);
    } catch (err) {
      // judge() never throws by contract; a host-supplied guard might.
      this.stats.errors++;
      this.failDecision(`internal error: ${(err as Error)?.message ?? String(err)}`, read.uuid);
      return;
    }
    const template = this.opts.allow.transfer;
    const transfer = template === undefined ? undefined : expandTransfer(template, header);
    if (template !== undefined && transfer === undefined) this.stats.transferUnsafe++;
    const action = this.enforce(verdict.action, read.uuid, transfer);
    const allowed = action === 'allow' || action === 'transfer';
    // Allowed calls are logged at info too (a ghost call that rang a room must leave a line), within a budget
    // since any caller can produce them; refused ones (and would-be refusals in monitor mode) go through the
    // refusal log: the first of a source's window is itemised, the rest counted into one line.
    const a = read.attempt;
    let suppressed: number | undefined = 0;
    let refusal: RefusalNote | undefined;
    if (!allowed || verdict.intended !== 'allow') {
      refusal = this.refusals.take(a.source.ip, allowed ? verdict.intended : action, verdict.reasons);
      if (refusal === undefined) return;
    } else suppressed = this.allowedLog.take();
    if (suppressed === undefined) return;
    const line = {
      event: 'freeswitch-call',
      source: a.source.ip,
      port: a.source.port,
      channel: read.channelName.slice(0, 128),
      uuid: read.uuid,
      target: a.target.user,
      userAgent: a.userAgent,
      action,
      verdict: verdict.intended,
      score: verdict.score,
      monitor: verdict.monitor || undefined,
      rules: verdict.reasons.map((r) => r.rule),
      transfer: allowed && template !== undefined ? (transfer ?? 'unsafe: resumed') : undefined,
      suppressed: suppressed || undefined,
      ...refusal,
    };
    this.opts.logger.info(line);
  }

  private enforce(wanted: Action, uuid: string | undefined, transfer?: string): string {
    this.decided = true;
    clearTimeout(this.readyTimer);
    let action = wanted;
    const o = this.opts;
    if (action === 'tarpit') {
      this.slot = this.guard.tarpits.tryAcquire();
      if (!this.slot) {
        this.stats.tarpitNoSlot++;
        action = 'drop';
      }
    }
    // A delayed drop holds the call like a tarpit does: only with a slot of the same cap.
    let dropDelay = 0;
    if (action === 'drop' && o.drop.delay > 0) {
      this.slot ??= this.guard.tarpits.tryAcquire();
      if (this.slot) dropDelay = o.drop.delay;
    }
    const commands = planCommands(action, {
      uuid,
      cancelFallback: o.outbound.cancelFallback,
      transfer,
      reject: o.reject,
      dropCause: o.drop.hangupCause,
      drop: { hideReason: o.drop.hideReason, delayMs: dropDelay },
      tarpit: { holdMs: o.tarpit.maxHold, hangupCause: o.tarpit.hangupCause },
    });
    const label = enforcedLabel(action, commandSafeUuid(uuid) === undefined ? undefined : transfer);
    this.count(label);
    const socket = this.conn.socket;
    if (socket && !socket.destroyed && socket.writable) socket.write(serializeCommands(commands));
    const hold = action === 'tarpit' ? o.tarpit.maxHold : dropDelay;
    this.settleTimer = setTimeout(() => this.settle(), hold + o.outbound.settleTimeout);
    return wanted === 'tarpit' && action === 'drop' ? 'drop (tarpit full)' : label;
  }

  private count(label: ReturnType<typeof enforcedLabel>): void {
    const s = this.stats;
    if (label === 'transfer') {
      s.transferred++;
      countEnforced(s, 'allow');
    } else countEnforced(s, label);
  }

  /** FreeSWITCH kept the socket open past the verdict: say goodbye, then close it. */
  private settle(): void {
    if (this.finished) return;
    this.stats.settleTimeouts++;
    const socket = this.conn.socket;
    if (!socket || socket.destroyed) return;
    this.opts.logger.debug({ event: 'freeswitch-settle-timeout', remote: this.remote });
    if (socket.writable) socket.end('exit\n\n');
    this.settleTimer = setTimeout(() => socket.destroy(), EXIT_GRACE_MS);
  }

  /** The connection closed (modesl's `esl::end`). */
  closed(): void {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.readyTimer);
    clearTimeout(this.settleTimer);
    this.slot?.release();
    this.slot = undefined;
  }

  /** Adapter shutdown: drop the connection now. */
  abort(): void {
    this.conn.socket?.destroy();
    this.closed();
  }
}
