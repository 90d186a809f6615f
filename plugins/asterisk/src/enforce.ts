import { type Action, countEnforced, type Guard, LogThrottle, RefusalLog, type Verdict } from '@ghostguard/core';
import type { CheckRequest } from './check-event.js';
import type { CheckTarget } from './judge-check.js';
import type { AmiLink } from './link.js';
import type { ResolvedAsteriskOptions } from './options.js';
import type { AsteriskStats } from './stats.js';
import { TarpitSlots } from './tarpit-slots.js';

/** The AMI action that carries out `action` on the checked channel. */
export function actionFor(
  action: Action,
  req: Pick<CheckRequest, 'channel' | 'tech'>,
  o: ResolvedAsteriskOptions,
): Record<string, string> {
  switch (action) {
    case 'allow':
      return { action: 'Setvar', channel: req.channel, variable: o.verdictVariable, value: 'allow' };
    case 'reject':
      return { action: 'Hangup', channel: req.channel, cause: String(o.rejectCause[req.tech]) };
    case 'drop':
      return { action: 'Hangup', channel: req.channel, cause: String(o.dropCause[req.tech]) };
    case 'tarpit':
      return {
        action: 'Redirect',
        channel: req.channel,
        context: o.tarpit.context,
        exten: o.tarpit.exten,
        priority: String(o.tarpit.priority),
      };
  }
}

/** Asterisk's two answers for a channel that is gone: Setvar/Hangup say one, Redirect the other (recorded). */
export function isChannelGone(message: string): boolean {
  return message === 'No such channel' || message.startsWith('Channel does not exist');
}

const NO_REASONS: Verdict['reasons'] = [];

/**
 * Carries verdicts out on channels: the AMI action per verdict, a tarpit slot per redirected channel (released on
 * its Hangup, a failed redirect, or `tarpit.releaseAfter`), counts under the shared names. Allowed calls are
 * logged at debug; refused ones at info through the core's RefusalLog: the first refusal of a source in a window is
 * itemised, the rest counted into one line per source per window, within a budget of lines per second.
 */
export class Enforcer {
  private readonly slots: TarpitSlots;
  /** A caller can make its checks unjudgeable at will (a Display name chan_ooh323 matches): one line a second. */
  private readonly unjudgeableLog = new LogThrottle(1000);
  private readonly refusals: RefusalLog;

  constructor(
    private readonly guard: Guard,
    private readonly link: Pick<AmiLink, 'send'>,
    private readonly o: ResolvedAsteriskOptions,
    private readonly stats: AsteriskStats,
  ) {
    this.slots = new TarpitSlots(o.tarpit.releaseAfter);
    this.refusals = new RefusalLog(o.logger, { of: 'asterisk-call', ...guard.config.log.refusals });
  }

  get held(): number {
    return this.slots.size;
  }

  /** A channel hung up: its tarpit slot, if any, is free again. */
  hungUp(uniqueid: string | undefined, channel: string | undefined): void {
    if (
      (uniqueid !== undefined && this.slots.release(uniqueid)) ||
      (channel !== undefined && this.slots.release(channel))
    ) {
      this.stats.tarpitsHeld = this.slots.size;
    }
  }

  /** A call the guard cannot judge (no usable source address): the adapter's fail mode decides. */
  unjudgeable(target: CheckTarget, detail: string): void {
    const o = this.o;
    this.stats.unjudgeable++;
    const action: Action = o.failMode === 'open' ? 'allow' : this.guard.config.policy.failClosedAction;
    const suppressed = this.unjudgeableLog.take(Date.now());
    if (suppressed !== undefined) {
      o.logger.warn(
        {
          event: 'asterisk-check-unjudgeable',
          channel: target.channel,
          tech: target.tech,
          detail,
          failMode: o.failMode,
          action,
          suppressed,
        },
        `cannot judge call: fail-${o.failMode}`,
      );
    }
    this.enforce(target, action, { failMode: o.failMode });
  }

  /** `fields.source`: the caller's address (the refusal log's key); `reasons`: the verdict's. */
  enforce(
    target: CheckTarget,
    verdictAction: Action,
    fields: Record<string, unknown>,
    reasons: Verdict['reasons'] = NO_REASONS,
  ): void {
    const { stats, slots } = this;
    const log = this.o.logger;
    let action = verdictAction;
    const slot = action === 'tarpit' ? this.guard.tarpits.tryAcquire() : undefined;
    if (action === 'tarpit' && slot === undefined) {
      stats.tarpitNoSlot++;
      action = 'drop';
    }
    const request = actionFor(action, target, this.o);
    const key = target.uniqueid ?? target.channel;
    if (slot) {
      slots.hold(key, slot);
      stats.tarpitsHeld = slots.size;
    }
    countEnforced(stats, action);
    if (action === 'allow') {
      if (log.isLevelEnabled('debug'))
        log.debug(
          { event: 'asterisk-call', channel: target.channel, tech: target.tech, action, ...fields },
          'allow call',
        );
    } else {
      const refusal = this.refusals.take(typeof fields.source === 'string' ? fields.source : '', action, reasons);
      if (refusal !== undefined) {
        const note = action !== verdictAction ? ' (tarpit cap reached)' : '';
        log.info(
          { event: 'asterisk-call', channel: target.channel, tech: target.tech, action, ...fields, ...refusal },
          `${action} call${note}`,
        );
      }
    }
    const sent = this.link.send(request, (r) => {
      if (r.ok) return;
      if (slot && slots.release(key)) stats.tarpitsHeld = slots.size;
      if (isChannelGone(r.message)) {
        // The caller hung up while the guard decided: normal, not an error.
        stats.channelGone++;
        log.debug(
          { event: 'asterisk-channel-gone', channel: target.channel, action },
          'channel gone before the verdict',
        );
        return;
      }
      stats.errors++;
      log.warn(
        { event: 'asterisk-action-failed', channel: target.channel, action: request.action, detail: r.message },
        `${request.action} failed: the dialplan's fail policy applies to this call`,
      );
    });
    if (!sent) {
      stats.notSent++;
      if (slot && slots.release(key)) stats.tarpitsHeld = slots.size;
      log.warn(
        { event: 'asterisk-not-connected', channel: target.channel, action },
        "verdict not sent (AMI down): the dialplan's fail policy applies to this call",
      );
    }
  }

  /** Frees every tarpit slot (close): the channels themselves end in the dialplan's tarpit routine. */
  close(): void {
    this.refusals.close();
    this.slots.releaseAll();
    this.stats.tarpitsHeld = 0;
  }
}
