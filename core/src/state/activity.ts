/**
 * What one source (or one address prefix) did recently, pike-style: counters per sampling window,
 * with the previous window kept so the estimate slides instead of dropping to zero at the boundary.
 * Small fixed-shape objects: one per tracked source, so the fields are numbers, not collections,
 * except a short list of distinct target hashes that stops growing once it proves enumeration.
 */
export class Activity {
  windowStart: number;
  attempts = 0;
  prevAttempts = 0;
  /** Distinct unknown targets this window: the first inline, the rest in a capped list. */
  firstTarget = -1;
  moreTargets: number[] | null = null;
  prevDistinct = 0;
  /** Consecutive-number sweep tracking (100, 101, 102…). */
  lastNumber = -1;
  sequentialRun = 0;
  failures = 0;
  prevFailures = 0;
  trustedUntil = 0;
  lastSeen: number;

  constructor(now: number) {
    this.windowStart = now;
    this.lastSeen = now;
  }

  /** Moves to a new window when `now` is past the current one. */
  roll(now: number, window: number): void {
    const elapsed = now - this.windowStart;
    if (elapsed < window) return;
    const skippedWindow = elapsed >= 2 * window;
    this.prevAttempts = skippedWindow ? 0 : this.attempts;
    this.prevDistinct = skippedWindow ? 0 : this.distinctTargets();
    this.prevFailures = skippedWindow ? 0 : this.failures;
    this.attempts = 0;
    this.failures = 0;
    this.firstTarget = -1;
    this.moreTargets = null;
    this.windowStart = skippedWindow ? now : this.windowStart + window * Math.floor(elapsed / window);
  }

  /** Share of the previous window still inside the sliding window. */
  private carry(now: number, window: number): number {
    const f = 1 - (now - this.windowStart) / window;
    return Math.max(f, 0);
  }

  attemptRate(now: number, window: number): number {
    return this.attempts + this.prevAttempts * this.carry(now, window);
  }

  failureCount(now: number, window: number): number {
    return this.failures + this.prevFailures * this.carry(now, window);
  }

  distinctEstimate(now: number, window: number): number {
    return this.distinctTargets() + this.prevDistinct * this.carry(now, window);
  }

  distinctTargets(): number {
    if (this.firstTarget < 0) return 0;
    return 1 + (this.moreTargets ? this.moreTargets.length : 0);
  }

  /** Records a target hash; stops storing past `cap` (the count is then already conclusive). */
  addTarget(hash: number, cap: number): void {
    if (this.firstTarget < 0) {
      this.firstTarget = hash;
      return;
    }
    if (this.firstTarget === hash) return;
    if (this.moreTargets === null) {
      this.moreTargets = [hash];
      return;
    }
    if (this.moreTargets.length + 1 >= cap || this.moreTargets.includes(hash)) return;
    this.moreTargets.push(hash);
  }

  /** Tracks runs of consecutive numbers; returns the current run length. */
  observeNumber(n: number): number {
    if (this.lastNumber >= 0 && (n === this.lastNumber + 1 || n === this.lastNumber - 1)) this.sequentialRun++;
    else if (n !== this.lastNumber) this.sequentialRun = 1;
    this.lastNumber = n;
    return this.sequentialRun;
  }
}

/** FNV-1a 32-bit: a cheap hash for counting distinct targets without keeping the strings. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
