import { BoundedMap } from './bounded-map.js';

/**
 * What ghostguard remembers of one source's refused and "maybe" attempts, beyond the behaviour window.
 * Counts run while the gaps between remembered attempts stay under the memory window; a longer silence
 * starts the source afresh.
 */
export class SuspectRecord {
  /** Attempts remembered in this run: refused ones and allowed ones that scored at least suspectScore. */
  suspects = 0;
  refusals = 0;
  /** ms since the memory's epoch: when the last remembered attempt (and its target) was seen. */
  lastSeenAt = 0;
  /** -1 while never refused. */
  lastRefusedAt = -1;
  /** Hash of the last remembered attempt's target user and Call-ID (0: none). */
  lastTarget = 0;
  lastCallId = 0;
  /** Rule ids that weighed in the last remembered attempt (for explain), at most 8. */
  lastRules: readonly string[] = [];
}

export interface RememberedAttempt {
  refused: boolean;
  target: number;
  callId: number;
  rules: readonly string[];
}

/**
 * Bounded, and not washable by a flood of one-shot sources: a source enters on probation; its second
 * remembered attempt moves it to the kept generation, which only other repeaters can displace. Both are
 * approximate-LRU maps of maxSources/2 (O(1) per operation, no sort or scan). Memory: about 150 bytes per
 * remembered source.
 */
export class SuspectMemory {
  private readonly probation: BoundedMap<number | string, SuspectRecord>;
  private readonly kept: BoundedMap<number | string, SuspectRecord>;
  private epoch = Number.NaN;

  constructor(
    maxSources: number,
    readonly window: number,
  ) {
    const half = Math.max(2, Math.floor(maxSources / 2));
    this.probation = new BoundedMap(half);
    this.kept = new BoundedMap(half);
  }

  get size(): number {
    return this.probation.size + this.kept.size;
  }

  /** Times relative to the first one seen: records hold small numbers. */
  rel(now: number): number {
    if (Number.isNaN(this.epoch)) this.epoch = now;
    return now - this.epoch;
  }

  /** The source's record, or undefined when none or its last attempt is older than the window. */
  recall(key: number | string, now: number): SuspectRecord | undefined {
    // Most of the time nobody is remembered: no lookups at all.
    if (this.probation.size === 0 && this.kept.size === 0) return undefined;
    const t = this.rel(now);
    const r = this.kept.get(key) ?? this.probation.get(key);
    if (r === undefined) return undefined;
    if (t - r.lastSeenAt > this.window) {
      this.kept.delete(key);
      this.probation.delete(key);
      return undefined;
    }
    return r;
  }

  /** Reads without promoting or expiring (explain). */
  peek(key: number | string, now: number): SuspectRecord | undefined {
    const r = this.kept.peek(key) ?? this.probation.peek(key);
    return r !== undefined && this.rel(now) - r.lastSeenAt <= this.window ? r : undefined;
  }

  /** Records a refused or "maybe" attempt; `existing` is what recall() returned for this attempt. */
  remember(
    key: number | string,
    now: number,
    a: RememberedAttempt,
    existing: SuspectRecord | undefined,
  ): SuspectRecord {
    const t = this.rel(now);
    let r = existing;
    if (r === undefined) {
      r = new SuspectRecord();
      this.probation.set(key, r);
    } else if (r.suspects === 1 && this.probation.delete(key)) {
      this.kept.set(key, r);
    }
    r.suspects++;
    if (a.refused) {
      r.refusals++;
      r.lastRefusedAt = t;
    }
    r.lastSeenAt = t;
    r.lastTarget = a.target;
    r.lastCallId = a.callId;
    r.lastRules = a.rules;
    return r;
  }

  forget(key: number | string): void {
    this.kept.delete(key);
    this.probation.delete(key);
  }
}
