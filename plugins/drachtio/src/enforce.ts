import { type Action, type Guard, LogThrottle } from '@ghostguard/core';
import { forgetPendingInvite, type GuardedRequest, type GuardedResponse } from './link.js';
import type { ResolvedDrachtioOptions } from './options.js';
import type { DrachtioGuardStats } from './stats.js';
import { type TarpitEnd, TarpitHold } from './tarpit.js';

/** The guard's tarpit cap is reached under a flood: one log line per second at most, with the count held back. */
const CAP_LOG_INTERVAL_MS = 1000;

/**
 * Verdict → drachtio-srf action, for one attachment:
 * - `allow`: nothing here (the layer calls `next()`);
 * - `reject`: the configured final code (`reject.status`, reason phrase from drachtio-srf's table), nothing else;
 * - `drop`: no answer at all, and drachtio-srf forgets the INVITE (it would keep it for good otherwise);
 * - `tarpit`: INVITE only: 180, the hold, then the final code or silence (tarpit.ts), in a slot of the guard's
 *   tarpit cap; without a free slot, or for any other method, a drop.
 * Holds every tarpitted call until it ends; `close()` answers them all.
 */
export class Enforcer {
  private readonly holds = new Set<TarpitHold>();
  private readonly capLog = new LogThrottle(CAP_LOG_INTERVAL_MS);
  /** Admin connections with a 'close' listener of ours (one per connection, however many calls it holds). */
  private readonly watched = new WeakSet<object>();
  private readonly onHoldEnd = (how: TarpitEnd, hold: TarpitHold, err?: unknown): void => {
    this.holds.delete(hold);
    this.stats.tarpitsHeld = this.holds.size;
    if (how === 'error') {
      this.stats.errors++;
      this.options.logger.warn({ event: 'tarpit-error', err }, 'tarpit could not answer; hold ended');
    } else if (how === 'lost') this.stats.tarpitLost++;
  };

  constructor(
    private readonly guard: Guard,
    private readonly options: ResolvedDrachtioOptions,
    private readonly stats: DrachtioGuardStats,
  ) {}

  /**
   * Carries out `action` on one request and returns what was done (a tarpit may become a drop). Throws when
   * drachtio-srf does (a response that cannot be sent): the layer's failure policy decides the rest.
   */
  enforce(action: Action, req: GuardedRequest, res: GuardedResponse): Action {
    switch (action) {
      case 'allow':
        return 'allow';
      case 'reject':
        res.send(this.options.reject.status);
        return 'reject';
      case 'drop':
        this.drop(req);
        return 'drop';
      case 'tarpit':
        return this.tarpit(req, res);
    }
  }

  /** No answer: drachtio-server forgets the transaction after ~64 s, drachtio-srf forgets the INVITE now. */
  drop(req: GuardedRequest): void {
    if (req.method === 'INVITE') forgetPendingInvite(req);
  }

  /** Calls held right now. */
  get held(): number {
    return this.holds.size;
  }

  /**
   * Ends every hold now with its final answer (`tarpit.final`; nothing for `silence`) and releases its slot and
   * timer. Returns how many calls were held.
   */
  close(): number {
    const held = [...this.holds];
    for (const hold of held) hold.close();
    return held.length;
  }

  /**
   * A held call's final answer can only go out on the admin connection its INVITE came on: when that connection
   * closes (drachtio-server restarted or crashed: restart-during-tarpit in the drachtio-server-0.9.10 recordings,
   * where the caller got 100 and 180 and then nothing), drachtio-server has forgotten the call. Its holds end at
   * once, counted as `tarpitLost`, in one line per lost connection.
   */
  private watchConnection(socket: unknown): void {
    const s = socket as { once?: (event: 'close', listener: () => void) => unknown } | undefined;
    if (typeof s !== 'object' || s === null || typeof s.once !== 'function' || this.watched.has(s)) return;
    this.watched.add(s);
    s.once('close', () => {
      this.watched.delete(s);
      let lost = 0;
      for (const hold of [...this.holds]) {
        if (hold.socket !== s) continue;
        hold.lose();
        lost++;
      }
      if (lost > 0) {
        this.options.logger.warn(
          { event: 'tarpit-lost', calls: lost, final: this.options.tarpit.final },
          'connection to drachtio-server lost while calls were held: their final answers cannot be sent (drachtio-server forgot them)',
        );
      }
    });
  }

  private tarpit(req: GuardedRequest, res: GuardedResponse): Action {
    // The core's policy already turns tarpit into drop for anything but a call; kept here as well, since only an
    // INVITE transaction can be held (a REGISTER cannot ring).
    if (req.method !== 'INVITE') {
      this.drop(req);
      return 'drop';
    }
    const slot = this.guard.tarpits.tryAcquire();
    if (slot === undefined) {
      this.stats.tarpitNoSlot++;
      const suppressed = this.capLog.take();
      if (suppressed !== undefined) {
        this.options.logger.warn(
          { event: 'tarpit-cap', maxConcurrent: this.guard.tarpits.maxConcurrent, suppressed },
          'tarpit cap reached: dropping instead',
        );
      }
      this.drop(req);
      return 'drop';
    }
    const o = this.options;
    const settings = { ringAfter: o.tarpit.ringAfter, holdFor: o.holdFor, final: o.tarpit.final };
    const hold = new TarpitHold(req, res, slot, settings, this.onHoldEnd);
    this.holds.add(hold);
    this.watchConnection(req.socket);
    this.stats.tarpitsHeld = this.holds.size;
    try {
      hold.start();
    } catch (err) {
      // Never keep a slot for a hold that did not start.
      hold.discard();
      throw err;
    }
    return 'tarpit';
  }
}
