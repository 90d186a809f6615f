/**
 * What one source (or one address prefix) did recently, pike-style: counters per sampling window,
 * with the previous window kept so the estimate slides instead of dropping to zero at the boundary.
 * One per tracked source and prefix, so the object is small and fixed-shape; target tracking lives
 * in a side object created only once a source dials an unknown target.
 */
export class Activity {
  /** Index of the current sampling window: floor(t / window), t in ms since the tracker's epoch. */
  windowIndex: number;
  attempts = 0;
  prevAttempts = 0;
  /** Created on the first unknown target: most sources never dial one. */
  targets: TargetTrack | null = null;
  /** Created on the first PBX report (failure or completed call): most sources never get one. */
  reports: ReportTrack | null = null;

  // Every field holds a small integer: V8 then stores them inline, where epoch-millisecond doubles
  // would each cost a boxed heap number per object (this is what keeps 1M sources under 300 MB).
  constructor(t: number, window: number) {
    this.windowIndex = Math.floor(t / window);
  }

  /**
   * The record of a source whose only attempt so far was in window `firstIndex` (kept in the map as that
   * bare number until now), as if it had been created then: its first attempt is counted.
   */
  static afterFirstAttempt(firstIndex: number, window: number): Activity {
    const a = new Activity(firstIndex * window, window);
    a.attempts = 1;
    return a;
  }

  /** Moves to the window containing `t` when it is past the current one. */
  roll(t: number, window: number): void {
    const index = Math.floor(t / window);
    if (index <= this.windowIndex) return;
    const skippedWindow = index - this.windowIndex >= 2;
    this.prevAttempts = skippedWindow ? 0 : this.attempts;
    this.attempts = 0;
    this.targets?.roll(skippedWindow);
    this.reports?.roll(skippedWindow);
    this.windowIndex = index;
  }

  /** Share of the previous window still inside the sliding window ending at `t`. */
  private carry(t: number, window: number): number {
    const f = 1 - (t - this.windowIndex * window) / window;
    return Math.min(Math.max(f, 0), 1);
  }

  attemptRate(t: number, window: number): number {
    return this.attempts + this.prevAttempts * this.carry(t, window);
  }

  failureCount(t: number, window: number): number {
    const r = this.reports;
    return r === null ? 0 : r.failures + r.prevFailures * this.carry(t, window);
  }

  addFailure(): void {
    if (this.reports === null) this.reports = new ReportTrack();
    this.reports.failures++;
  }

  /** Earned trust lasts until this many seconds after the epoch (0: none). */
  get trustedUntilSec(): number {
    return this.reports === null ? 0 : this.reports.trustedUntilSec;
  }

  set trustedUntilSec(sec: number) {
    if (this.reports === null) this.reports = new ReportTrack();
    this.reports.trustedUntilSec = sec;
  }

  distinctEstimate(t: number, window: number): number {
    const tt = this.targets;
    return tt === null ? 0 : tt.distinct() + tt.prevDistinct * this.carry(t, window);
  }

  /** Records a target hash; stops storing past `cap` (the count is then already conclusive). */
  addTarget(hash: number, cap: number): void {
    if (this.targets === null) this.targets = new TargetTrack();
    this.targets.add(hash, cap);
  }

  /** Tracks runs of consecutive numbers; returns the current run length. */
  observeNumber(n: number): number {
    if (this.targets === null) this.targets = new TargetTrack();
    return this.targets.observeNumber(n);
  }
}

/** Distinct unknown targets of the window and consecutive-number runs (100, 101, 102…). */
export class TargetTrack {
  /** The first distinct target inline, the rest in a capped list. */
  first = -1;
  more: number[] | null = null;
  prevDistinct = 0;
  lastNumber = -1;
  /** +1 or -1: the direction of the current run (0: none yet). */
  lastStep = 0;
  sequentialRun = 0;

  distinct(): number {
    if (this.first < 0) return 0;
    return 1 + (this.more ? this.more.length : 0);
  }

  roll(skippedWindow: boolean): void {
    this.prevDistinct = skippedWindow ? 0 : this.distinct();
    this.first = -1;
    this.more = null;
  }

  add(hash: number, cap: number): void {
    if (this.first < 0) {
      this.first = hash;
      return;
    }
    if (this.first === hash) return;
    if (this.more === null) {
      this.more = [hash];
      return;
    }
    if (this.more.length + 1 >= cap || this.more.includes(hash)) return;
    this.more.push(hash);
  }

  observeNumber(n: number): number {
    const step = this.lastNumber >= 0 ? n - this.lastNumber : 0;
    if (step === 1 || step === -1) {
      // A run goes one way (100, 101, 102…); two numbers dialled in turn (room-1, room-2, room-1) are not one.
      this.sequentialRun = step === this.lastStep || this.sequentialRun <= 1 ? this.sequentialRun + 1 : 2;
      this.lastStep = step;
    } else if (step !== 0) {
      this.sequentialRun = 1;
      this.lastStep = 0;
    }
    this.lastNumber = n;
    return this.sequentialRun;
  }
}

/** Failures the PBX reported in the window, and earned trust. */
export class ReportTrack {
  failures = 0;
  prevFailures = 0;
  trustedUntilSec = 0;

  roll(skippedWindow: boolean): void {
    this.prevFailures = skippedWindow ? 0 : this.failures;
    this.failures = 0;
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
