import type { Guard, Verdict } from '@ghostguard/core';
import { type DrachtioRequestLike, toAttempt } from './attempt.js';
import type { ResolvedAttachOptions } from './options.js';
import { forgetPendingInvite } from './srf-internals.js';
import type { DrachtioGuardStats } from './stats.js';
import { type HeldRequest, type HeldResponse, TarpitHold } from './tarpit.js';

/** drachtio-server sets `stackDialogId` on a request it matched to a dialog an app owns. */
export type GuardedRequest = DrachtioRequestLike & HeldRequest & { stackDialogId?: unknown };
export type GuardedResponse = HeldResponse;
export type Next = (err?: unknown) => void;
export type GuardMiddleware = (req: GuardedRequest, res: GuardedResponse, next: Next) => void;

/** What the middleware decided for one request, carried out after the decision is complete. */
type Decision = 'allow' | 'reject' | 'drop' | 'tarpit';

function isKnownDialog(dialogId: unknown): boolean {
  return typeof dialogId === 'string' && dialogId.length > 0;
}

/**
 * The drachtio-srf middleware: judge each out-of-dialog request and enforce the verdict.
 * `allow` → next(); `reject` → the configured final code, nothing else; `drop` → no answer at all;
 * `tarpit` → 180 then hold (INVITE only, bounded by the guard's tarpit cap, else drop).
 * It never throws into drachtio-srf: its own failures follow `onError` and are logged with it.
 */
export function createGuardMiddleware(
  guard: Guard,
  options: ResolvedAttachOptions,
  stats: DrachtioGuardStats,
  holds: Set<TarpitHold>,
): GuardMiddleware {
  const log = options.logger;
  // The cap is reached under a flood: one line per second at most, with the count held back.
  let capLoggedAt = Number.NEGATIVE_INFINITY;
  let capSuppressed = 0;
  const logCapDrop = (): void => {
    const now = Date.now();
    if (now - capLoggedAt < 1000) {
      capSuppressed++;
      return;
    }
    log.warn(
      { event: 'tarpit-cap', maxConcurrent: guard.tarpits.maxConcurrent, suppressed: capSuppressed },
      'tarpit cap reached: dropping instead',
    );
    capLoggedAt = now;
    capSuppressed = 0;
  };
  const onHoldEnd = (how: string, hold: TarpitHold, err?: unknown): void => {
    holds.delete(hold);
    stats.tarpitsHeld = holds.size;
    if (how === 'error') {
      stats.errors++;
      log.warn({ event: 'tarpit-error', err }, 'tarpit could not answer; hold ended');
    }
  };

  const fail = (err: unknown, req: GuardedRequest, verdict: Verdict | undefined): Decision => {
    stats.errors++;
    log.error(
      {
        event: 'enforce-error',
        err,
        method: req.method,
        source: req.source_address,
        verdict: verdict?.action,
        failMode: options.onError,
      },
      `drachtio guard failed: fail-${options.onError}`,
    );
    return options.onError === 'open' ? 'allow' : 'drop';
  };

  return function ghostguard(req, res, next) {
    let decision: Decision;
    let verdict: Verdict | undefined;
    try {
      const result = toAttempt(req);
      // What drachtio-srf read of a request whose raw text did not decode counts for the in-dialog test as well.
      const read = result.ok ? result.attempt : result.malformed.partial;
      if (read?.protocol === 'sip' && read.sip.toTag !== undefined && isKnownDialog(req.stackDialogId)) {
        // In-dialog: drachtio-server matched it to a dialog (its dialog id is set), so it belongs to a call the
        // guard already let in. A To-tag alone proves nothing: a scanner can send one.
        stats.inDialog++;
        decision = 'allow';
      } else {
        stats.judged++;
        if (!result.ok) stats.malformed++;
        verdict = result.ok ? guard.judge(result.attempt) : guard.judgeMalformed(result.malformed);
        decision = enforce(verdict.action, req, res);
      }
    } catch (err) {
      decision = fail(err, req, verdict);
      if (decision === 'drop') drop(req);
    }
    count(decision);
    // Outside the try: an exception thrown by the app's own handlers is drachtio-srf's to handle, not ours.
    if (decision === 'allow') next();
  };

  function enforce(action: Verdict['action'], req: GuardedRequest, res: GuardedResponse): Decision {
    const isInvite = req.method === 'INVITE';
    switch (action) {
      case 'allow':
        return 'allow';
      case 'reject':
        res.send(options.reject.status);
        return 'reject';
      case 'drop':
        drop(req);
        return 'drop';
      case 'tarpit': {
        // The core's policy already turns tarpit into drop for anything but a call; kept here as well, since
        // only an INVITE transaction can be held (a REGISTER cannot ring).
        if (!isInvite) return 'drop';
        const slot = guard.tarpits.tryAcquire();
        if (slot === undefined) {
          stats.tarpitCapDrops++;
          logCapDrop();
          drop(req);
          return 'drop';
        }
        const hold = new TarpitHold(
          req,
          res,
          slot,
          { ringAfter: options.tarpit.ringAfter, holdFor: options.holdFor, final: options.tarpit.final },
          onHoldEnd,
        );
        holds.add(hold);
        stats.tarpitsHeld = holds.size;
        try {
          hold.start();
        } catch (err) {
          // Never keep a slot for a hold that did not start.
          hold.close();
          throw err;
        }
        return 'tarpit';
      }
    }
  }

  function drop(req: GuardedRequest): void {
    if (req.method === 'INVITE') forgetPendingInvite(req);
  }

  function count(decision: Decision): void {
    if (decision === 'allow') stats.allowed++;
    else if (decision === 'reject') stats.rejected++;
    else if (decision === 'drop') stats.dropped++;
    else if (decision === 'tarpit') stats.tarpitted++;
  }
}
