import type { TarpitSlot } from '@ghostguard/core';
import { forgetPendingInvite, type GuardedRequest, type GuardedResponse } from './link.js';

export interface TarpitSettings {
  ringAfter: number;
  holdFor: number;
  final: number | 'silence';
}

export type TarpitEnd = 'final' | 'silence' | 'cancel' | 'error' | 'closed' | 'discarded' | 'lost';

/**
 * Holds one INVITE: 180 Ringing (after `ringAfter`), then nothing until `holdFor` has passed, then the final
 * failure or silence. A CANCEL ends it at once (drachtio-server has already answered 200 and 487 itself).
 * The slot is released exactly once, however the hold ends. One timer and one listener per held call; the timer
 * is unref'd (a held scanner never keeps the process alive: shutdown answers it through `close()`).
 */
export class TarpitHold {
  private timer: NodeJS.Timeout | undefined;
  private ended = false;
  private readonly onCancel = (): void => this.end('cancel');

  constructor(
    private readonly req: GuardedRequest,
    private readonly res: GuardedResponse,
    private readonly slot: TarpitSlot,
    private readonly settings: TarpitSettings,
    private readonly onEnd: (how: TarpitEnd, hold: TarpitHold, err?: unknown) => void,
  ) {}

  start(): void {
    this.req.once('cancel', this.onCancel);
    if (this.settings.ringAfter > 0) this.timer = setTimeout(() => this.ring(), this.settings.ringAfter).unref();
    else this.ring();
  }

  /**
   * Ends the hold now (shutdown): the final failure is sent at once, or nothing when the final is `silence` (a
   * caller the operator chose never to answer does not get an answer from a shutdown either).
   */
  close(): void {
    this.finish('closed');
  }

  /**
   * The connection to drachtio-server that carried the INVITE is gone (a server restart or crash): drachtio-server
   * has forgotten the transaction, so no final answer can reach the caller any more. Ends the hold without one.
   */
  lose(): void {
    this.end('lost');
  }

  /** The admin connection the INVITE arrived on (drachtio-srf's `req.socket`). */
  get socket(): unknown {
    return this.req.socket;
  }

  /** Ends a hold that could not start, without an answer: the caller's failure policy decides what it gets. */
  discard(): void {
    this.end('discarded');
  }

  private ring(): void {
    if (this.ended) return;
    try {
      this.res.send(180);
    } catch (err) {
      this.end('error', err);
      return;
    }
    this.timer = setTimeout(() => this.finish(), this.settings.holdFor).unref();
  }

  private finish(closing?: 'closed'): void {
    if (this.ended) return;
    const final = this.settings.final;
    if (final === 'silence') {
      this.end(closing ?? 'silence');
      return;
    }
    try {
      this.res.send(final);
    } catch (err) {
      this.end('error', err);
      return;
    }
    this.end(closing ?? 'final', undefined, true);
  }

  private end(how: TarpitEnd, err?: unknown, answered = false): void {
    if (this.ended) return;
    this.ended = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      this.req.removeListener('cancel', this.onCancel);
    } catch {
      // a request object without a working emitter: nothing to remove
    }
    // Without a final response drachtio-srf would keep the INVITE forever (the server forgets it after ~64 s).
    if (!answered && how !== 'cancel') forgetPendingInvite(this.req);
    this.slot.release();
    this.onEnd(how, this, err);
  }
}
