import { type Action, type Attachment, countEnforced, type Guard, LogThrottle, type Verdict } from '@ghostguard/core';
import { type AttemptResult, toAttempt } from './attempt.js';
import { Enforcer } from './enforce.js';
import { type GuardedRequest, type GuardMiddleware, routeLayer, type SrfLike } from './link.js';
import { type DrachtioOptions, type ResolvedDrachtioOptions, resolveDrachtioOptions } from './options.js';
import { type DrachtioGuardStats, emptyStats } from './stats.js';

export interface DrachtioAttachment extends Attachment<DrachtioGuardStats> {
  /**
   * Resolved at once: the plugin has no connection of its own. Its layer is in the Srf's stack when
   * `attachDrachtio` returns, and drachtio-srf sends the routes to drachtio-server on every (re)connect, so it
   * guards from the first request drachtio-server forwards. Whether the Srf is connected is the Srf's to say
   * (its `connect` and `error` events).
   */
  readonly ready: Promise<void>;
  readonly options: ResolvedDrachtioOptions;
  /** Methods routed and judged (lower case). */
  readonly methods: readonly string[];
  /**
   * Shutdown: answers every held tarpit with `tarpit.final` (nothing for `silence`) and releases its slot and
   * timer. drachtio-srf cannot take a route back, so the layer stays routed, and from now on it never judges and
   * never lets a new caller in: it passes in-dialog requests (calls already admitted) and requests another, live,
   * ghostguard layer allowed (a re-attach), and drops everything else unanswered (`droppedAfterClose`). Idempotent;
   * the guard is not closed.
   */
  close(): Promise<void>;
}

/** Requests a live ghostguard layer let through: a closed layer behind it passes them (a re-attach keeps working). */
const admitted = new WeakSet<object>();

/**
 * Guards a drachtio-srf app: routes each guarded method itself and puts the guard's layer before the app's
 * handlers, wherever they were registered (link.ts). The layer judges each out-of-dialog request and carries out
 * the verdict (enforce.ts) before any handler runs. Call it before `srf.connect()` or after. Throws
 * GG_CONFIG_INVALID naming a bad option key.
 */
export function attachDrachtio(guard: Guard, srf: SrfLike, options?: DrachtioOptions): DrachtioAttachment {
  const o = resolveDrachtioOptions(guard, options);
  const log = o.logger;
  const stats = emptyStats();
  const enforcer = new Enforcer(guard, o, stats);
  const closedLog = new LogThrottle(1000);
  let closed = false;

  const fail = (err: unknown, req: GuardedRequest, verdict: Verdict | undefined): Action => {
    stats.errors++;
    log.error(
      {
        event: 'enforce-error',
        err,
        method: req.method,
        source: req.source_address,
        verdict: verdict?.action,
        failMode: o.onError,
      },
      `drachtio guard failed: fail-${o.onError}`,
    );
    return o.onError === 'open' ? 'allow' : 'drop';
  };

  const afterClose: GuardMiddleware = (req, _res, next) => {
    if (admitted.has(req) || isInDialog(toAttempt(req), req)) {
      next();
      return;
    }
    stats.droppedAfterClose++;
    enforcer.drop(req);
    const suppressed = closedLog.take();
    if (suppressed !== undefined)
      log.info({ event: 'closed-drop', suppressed }, 'guard closed: request dropped unjudged');
  };

  const layer: GuardMiddleware = function ghostguard(req, res, next) {
    if (closed) return afterClose(req, res, next);
    let decision: Action;
    let verdict: Verdict | undefined;
    try {
      const result = toAttempt(req);
      if (isInDialog(result, req)) {
        stats.inDialog++;
        decision = 'allow';
      } else {
        stats.judged++;
        if (!result.ok) stats.malformed++;
        verdict = result.ok ? guard.judge(result.attempt) : guard.judgeMalformed(result.malformed);
        decision = enforcer.enforce(verdict.action, req, res);
        countEnforced(stats, decision);
      }
    } catch (err) {
      // Only a judged request gets here (toAttempt never throws): its one count is what the failure policy did.
      decision = fail(err, req, verdict);
      countEnforced(stats, decision);
      if (decision === 'drop') enforcer.drop(req);
    }
    if (decision !== 'allow') return;
    admitted.add(req);
    // Outside the try: an exception thrown by the app's own handlers is drachtio-srf's to handle, not ours.
    next();
  };

  routeLayer(srf, o.methods, layer, log);
  log.info(
    { event: 'attached', methods: o.methods, reject: o.reject.status, tarpitHoldMs: o.holdFor },
    'ghostguard attached to drachtio-srf',
  );
  return {
    ready: Promise.resolve(),
    options: o,
    methods: o.methods,
    stats: () => ({ ...stats }),
    close: async () => {
      if (closed) return;
      closed = true;
      const answered = enforcer.close();
      log.info({ event: 'detached', tarpitsEnded: answered }, 'ghostguard detached from drachtio-srf');
    },
  };
}

/**
 * In-dialog: drachtio-server matched the request to a dialog (its dialog id is set), so it belongs to a call the
 * guard already let in. A To-tag alone proves nothing: a scanner can send one. What drachtio-srf read of a request
 * whose raw text did not decode counts as well.
 */
function isInDialog(result: AttemptResult, req: GuardedRequest): boolean {
  const read = result.ok ? result.attempt : result.malformed.partial;
  const dialogId = req.stackDialogId;
  return (
    read?.protocol === 'sip' && read.sip.toTag !== undefined && typeof dialogId === 'string' && dialogId.length > 0
  );
}
