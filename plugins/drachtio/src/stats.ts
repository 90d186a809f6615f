import { type CallStats, emptyCallStats } from '@ghostguard/core';

/**
 * Counters of one attachment (cheap integers; read with `attachment.stats()`). The shared ones keep the names of
 * the core's {@link CallStats}: `judged` counts the requests the guard judged (in-dialog requests pass unjudged),
 * `malformed` those that went to `guard.judgeMalformed`, `tarpitNoSlot` the tarpit verdicts dropped because the
 * guard's tarpit cap was reached, `errors` the plugin's own failures (handled per `onError`).
 */
export interface DrachtioGuardStats extends CallStats {
  /** In-dialog requests passed to the app unjudged. */
  inDialog: number;
  /** Out-of-dialog requests that reached the layer after `close()` and were dropped unjudged. */
  droppedAfterClose: number;
  /**
   * Held calls whose final answer was lost: the connection to drachtio-server they arrived on went away (a server
   * restart or crash) while they were held, and drachtio-server forgot them.
   */
  tarpitLost: number;
}

export function emptyStats(): DrachtioGuardStats {
  return { ...emptyCallStats(), inDialog: 0, droppedAfterClose: 0, tarpitLost: 0 };
}
