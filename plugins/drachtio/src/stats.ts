/** Counters of one attachment (cheap integers; read with `attachment.stats()`). */
export interface DrachtioGuardStats {
  /** Requests the guard judged (in-dialog requests pass unjudged and are not counted). */
  judged: number;
  allowed: number;
  rejected: number;
  dropped: number;
  tarpitted: number;
  /** Tarpit verdicts turned into drops because the guard's tarpit cap was reached. */
  tarpitCapDrops: number;
  /** Requests that did not decode and went to `guard.judgeMalformed`. */
  malformed: number;
  /** In-dialog requests passed to the app unjudged. */
  inDialog: number;
  /** The plugin's own failures (handled per `onError`). */
  errors: number;
  /** Calls held right now. */
  tarpitsHeld: number;
}

export function emptyStats(): DrachtioGuardStats {
  return {
    judged: 0,
    allowed: 0,
    rejected: 0,
    dropped: 0,
    tarpitted: 0,
    tarpitCapDrops: 0,
    malformed: 0,
    inDialog: 0,
    errors: 0,
    tarpitsHeld: 0,
  };
}
