import { performance } from 'node:perf_hooks';
import {
  CHECK_CONTEXT,
  CHECK_EVENT,
  checkEventBody,
  type ScriptedCall,
  userEventFields,
  VERDICT_VARIABLE,
} from './dialplan.js';
import {
  type ChannelSnapshot,
  channelUserEvent,
  deviceStateChange,
  hangup,
  newchannel,
  newexten,
  newstate,
  softHangupRequest,
  varSet,
} from './events.js';
import type { AmiField } from './frame.js';

/** GHOSTGUARD_POLL of examples/asterisk/extensions.conf (0.001 s), in ms: how often the check looks at the verdict. */
export const DEFAULT_VERDICT_POLL_MS = 1;

/**
 * How a scripted call left the check routine. `roundTripMs`: from the check UserEvent to the verdict action.
 * `setupMs`: from the channel's start to the call leaving the check (Dial, Hangup, Redirect), with the dialplan's
 * wait as Asterisk runs it: a Setvar is seen at the next poll of the verdict (ChannelTimings.verdictPollMs), a
 * Hangup or Redirect interrupts the wait at once. `no-check`: a context without the Gosub (the bench's baseline).
 */
export type CallOutcome =
  | { kind: 'allowed'; by: 'verdict' | 'fail-open' | 'no-check'; roundTripMs?: number; setupMs?: number }
  | {
      kind: 'hungup';
      cause: number;
      by: 'action' | 'fail-closed' | 'caller';
      roundTripMs?: number;
      setupMs?: number;
    }
  | {
      kind: 'redirected';
      context: string;
      exten: string;
      priority: number;
      roundTripMs?: number;
      setupMs?: number;
    };

export interface ChannelTimings {
  /** GHOSTGUARD_WAIT: how long the routine waits for a verdict. */
  checkTimeoutMs: number;
  /** GHOSTGUARD_FAIL_POLICY. */
  failPolicy: 'open' | 'closed';
  tarpitContext: string;
  /** How long the tarpit context rings before Hangup(19). */
  tarpitHoldMs: number;
  /** How long an allowed call lasts before it ends normally (cause 16). */
  allowedCallMs: number;
  /**
   * How often the routine looks at GHOSTGUARD_VERDICT while it waits: the example's
   * `WaitForCondition(…,${GHOSTGUARD_WAIT},0.001)` checks at once, then every 1 ms (apps/app_waitforcond.c: evaluate,
   * then sleep `interval`); the dialplan before issue 15, `While(…) Wait(0.05)`, every 50 ms (recorded: 56.1 ms
   * median INVITE → 486 with it vs 3.55 ms without, ../shared/fixtures/asterisk-20.20.1-live/latency-summary.json).
   */
  verdictPollMs: number;
}

/** What a channel needs from the server: publish an event to the sessions that want it; forget the channel. */
export interface ChannelHost {
  publish(fields: AmiField[]): void;
  remove(channel: ScriptedChannel): void;
}

const HEX8 = (n: number) => n.toString(16).padStart(8, '0');

export function channelName(call: ScriptedCall, seq: number): string {
  switch (call.tech) {
    case 'PJSIP':
      return `PJSIP/${call.endpoint ?? 'anonymous'}-${HEX8(seq)}`;
    case 'SIP': {
      // chan_sip names a guest call after the From host, not the source address (recorded).
      const fromHost = call.from ? /@([^;>:]+)/.exec(call.from)?.[1] : undefined;
      return `SIP/${call.endpoint ?? fromHost ?? call.source.ip}-${HEX8(seq)}`;
    }
    case 'OOH323':
      return `OOH323/${call.h323Name ?? call.source.ip}-${seq}`;
  }
}

/**
 * One inbound channel running the example dialplan: Newchannel, the driver's variables, Gosub into
 * ghostguard-check, UserEvent(GhostguardCheck), then the wait for GHOSTGUARD_VERDICT / Hangup / Redirect
 * or the timeout and the fail policy, then the rest of the call. Events go out as Asterisk orders them.
 */
export class ScriptedChannel {
  readonly name: string;
  readonly uniqueid: string;
  readonly vars = new Map<string, string>();
  readonly outcome: Promise<CallOutcome>;
  /** Resolves with the Hangup cause once the channel is gone. */
  readonly ended: Promise<number>;
  private resolveOutcome!: (o: CallOutcome) => void;
  private resolveEnded!: (cause: number) => void;
  private readonly s: ChannelSnapshot;
  private waiting = false;
  private gone = false;
  private checkSentAt = 0;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  /** The check event's fields, computed up front: an offer Asterisk refuses (488) never gets a channel. */
  private readonly checkBody: AmiField[];

  constructor(
    private readonly host: ChannelHost,
    private readonly call: ScriptedCall,
    private readonly timings: ChannelTimings,
    seq: number,
    uniqueid: string,
    private readonly inboundContext: string,
  ) {
    this.checkBody = checkEventBody(call);
    this.name = channelName(call, seq);
    this.uniqueid = uniqueid;
    this.outcome = new Promise((r) => {
      this.resolveOutcome = r;
    });
    this.ended = new Promise((r) => {
      this.resolveEnded = r;
    });
    this.s = {
      channel: this.name,
      state: call.tech === 'SIP' ? 0 : 4,
      callerIdNum: call.callerNum ?? '',
      callerIdName: call.callerName ?? '',
      accountCode: call.tech === 'OOH323' ? 'ast_h323' : '',
      context: inboundContext,
      exten: call.exten,
      priority: 1,
      uniqueid,
      linkedid: uniqueid,
    };
  }

  /** Runs the channel up to the check event; the rest happens on actions and timers. */
  start(): void {
    const { s, call } = this;
    const emit = (f: AmiField[]) => this.host.publish(f);
    this.startedAt = performance.now();
    emit(newchannel(s));
    if (call.noCheck) {
      // An inbound context without the Gosub: straight to Dial.
      this.allowed('no-check');
      return;
    }
    if (call.tech === 'SIP') {
      emit(varSet(s, 'SIPURI', `sip:${call.callerNum ?? call.exten}@${call.source.ip}:${call.source.port ?? 5060}`));
      emit(varSet(s, 'SIPDOMAIN', call.sipDomain ?? ''));
      emit(varSet(s, 'SIPCALLID', call.callId ?? ''));
      s.state = 4;
      emit(newstate(s));
      emit(deviceStateChange(this.name.replace(/-[0-9a-f]+$/, ''), 'INVALID'));
    }
    if (call.tech === 'OOH323') {
      if (call.h323Id) emit(varSet(s, '_CALLER_H323ID', call.h323Id));
      if (call.h323Digits) emit(varSet(s, '_CALLER_H323DIALEDDIGITS', call.h323Digits));
    }
    emit(newexten(s, 'Gosub', `${CHECK_CONTEXT},s,1(${call.exten})`));
    s.context = CHECK_CONTEXT;
    s.exten = 's';
    emit(newexten(s, 'NoOp', `ghostguard check for ${call.exten} on ${this.name}`));
    s.priority = 2;
    emit(newexten(s, 'Set', `${VERDICT_VARIABLE}=`));
    s.priority = 3;
    const body = this.checkBody;
    emit(newexten(s, 'UserEvent', `${CHECK_EVENT},${body.map(([k, v]) => `${k}: ${v}`).join(',')}`));
    this.waiting = true;
    this.checkSentAt = performance.now();
    emit(channelUserEvent(s, CHECK_EVENT, userEventFields(body)));
    s.priority = 4;
    this.timer = setTimeout(() => this.noVerdict(), this.timings.checkTimeoutMs);
  }

  private roundTrip(): number {
    return performance.now() - this.checkSentAt;
  }

  private setupNow(): number {
    return performance.now() - this.startedAt;
  }

  /** Setvar on this channel. */
  setvar(variable: string, value: string): void {
    this.vars.set(variable, value);
    this.host.publish(varSet(this.s, variable, value));
    if (this.waiting && variable === VERDICT_VARIABLE && value !== '') {
      this.waiting = false;
      clearTimeout(this.timer);
      const rt = this.roundTrip();
      // The wait sees the variable at its next poll: polls at 0, P, 2P… after the UserEvent.
      const poll = Math.max(this.timings.verdictPollMs, 0.001);
      const seenAt = Math.ceil(rt / poll) * poll;
      const setupMs = this.checkSentAt - this.startedAt + seenAt;
      this.timer = setTimeout(
        () => {
          // The routine continues only on "allow"; any other value is a verdict it does not know: fail policy.
          if (value === 'allow') this.allowed('verdict', rt, setupMs);
          else this.failPolicy();
        },
        Math.max(0, seenAt - rt),
      );
    }
  }

  /** Hangup action (or the caller hanging up). */
  hangup(cause: number, by: 'action' | 'caller' = 'action'): void {
    if (this.gone) return;
    const rt = this.waiting ? this.roundTrip() : undefined;
    if (this.waiting) {
      this.waiting = false;
      this.resolveOutcome({
        kind: 'hungup',
        cause,
        by,
        ...(rt !== undefined ? { roundTripMs: rt, setupMs: this.setupNow() } : {}),
      });
    }
    this.end(cause);
  }

  /** Redirect action: the channel continues in another context. */
  redirect(context: string, exten: string, priority: number): void {
    if (this.gone) return;
    if (this.waiting) {
      this.waiting = false;
      this.resolveOutcome({
        kind: 'redirected',
        context,
        exten,
        priority,
        roundTripMs: this.roundTrip(),
        setupMs: this.setupNow(),
      });
    }
    clearTimeout(this.timer);
    const { s } = this;
    s.context = context;
    s.exten = exten;
    s.priority = priority;
    if (context === this.timings.tarpitContext) {
      this.host.publish(newexten(s, 'Ringing', ''));
      s.state = 5;
      this.host.publish(newstate(s));
      s.priority++;
      this.host.publish(newexten(s, 'Wait', String(Math.round(this.timings.tarpitHoldMs / 1000))));
      this.timer = setTimeout(() => {
        s.priority++;
        this.host.publish(newexten(s, 'Hangup', '19'));
        this.end(19);
      }, this.timings.tarpitHoldMs);
    } else {
      this.timer = setTimeout(() => this.end(16), this.timings.allowedCallMs);
    }
  }

  get isWaiting(): boolean {
    return this.waiting;
  }

  private noVerdict(): void {
    if (!this.waiting || this.gone) return;
    this.waiting = false;
    this.failPolicy();
  }

  /** What the routine does without a usable verdict: a logged warning, then continue or refuse. */
  private failPolicy(): void {
    const { s } = this;
    const policy = this.timings.failPolicy;
    s.priority = 9;
    this.host.publish(
      newexten(s, 'Log', `WARNING,ghostguard: no verdict for ${this.name} within the wait: fail-${policy}`),
    );
    if (policy === 'open') {
      this.allowed('fail-open');
      return;
    }
    s.priority = 11;
    this.host.publish(newexten(s, 'Hangup', '21'));
    this.resolveOutcome({ kind: 'hungup', cause: 21, by: 'fail-closed' });
    this.end(21);
  }

  private allowed(by: 'verdict' | 'fail-open' | 'no-check', roundTripMs?: number, setupMs?: number): void {
    const { s, call } = this;
    if (by !== 'no-check') this.host.publish(newexten(s, 'Return', ''));
    s.context = this.inboundContext;
    s.exten = call.exten;
    s.priority = by === 'no-check' ? 1 : 2;
    this.host.publish(newexten(s, 'Dial', `PJSIP/${call.exten}`));
    this.resolveOutcome({
      kind: 'allowed',
      by,
      ...(roundTripMs !== undefined ? { roundTripMs } : {}),
      setupMs: setupMs ?? this.setupNow(),
    });
    this.timer = setTimeout(() => this.end(16), this.timings.allowedCallMs);
  }

  private end(cause: number): void {
    if (this.gone) return;
    this.gone = true;
    clearTimeout(this.timer);
    this.host.publish(softHangupRequest(this.s));
    this.host.publish(hangup(this.s, cause));
    this.host.remove(this);
    this.resolveEnded(cause);
  }

  /** Peer shutdown: ends the channel without events. */
  dispose(): void {
    clearTimeout(this.timer);
    if (this.waiting) this.resolveOutcome({ kind: 'hungup', cause: 16, by: 'caller' });
    this.waiting = false;
    this.gone = true;
    this.resolveEnded(16);
  }
}
