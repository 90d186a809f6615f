/**
 * How many report messages each source may cause per second (the coalescing of bursts): a password guesser at
 * a thousand tries a second on one node needs only its first few shared, since the node that sees
 * `bans.failuresToBan` of them bans it and the ban is shared instead. Counts live for the current second only,
 * over at most `maxSources` sources (past that, a new source's reports wait for the next second): bounded
 * memory whatever arrives.
 */
export class ReportRate {
  private readonly counts = new Map<string, number>();
  private second = -1;

  constructor(
    private readonly perSecond: number,
    private readonly maxSources: number,
  ) {}

  /** Whether one more report about `ip` may be published at `now` (ms); counts it when it may. */
  take(ip: string, now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.second) {
      this.second = second;
      this.counts.clear();
    }
    const n = this.counts.get(ip);
    if (n === undefined) {
      if (this.counts.size >= this.maxSources) return false;
      this.counts.set(ip, 1);
      return true;
    }
    if (n >= this.perSecond) return false;
    this.counts.set(ip, n + 1);
    return true;
  }

  /** Sources counted in the current second. */
  get size(): number {
    return this.counts.size;
  }
}

/**
 * The time a report from another node counts at: the sender's, moved into [now - maxSkew, now]. A clock behind
 * cannot age the failure out of the window before it counts, a clock ahead cannot push it (and a ban it causes)
 * into the future, where it would also roll the sampling window on past the failures already counted.
 */
export function clampReportTime(time: number, now: number, maxSkew: number): number {
  return Math.min(Math.max(time, now - maxSkew), now);
}
