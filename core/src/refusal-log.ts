import type { Logger } from './log.js';
import { AdmissionMap } from './state/admission-map.js';
import type { Verdict } from './verdict.js';

/**
 * Refusal lines that aggregate: what an adapter or the guard writes for a refused (dropped, tarpitted, or in
 * monitor mode would-be refused) call, without one line per packet. Measured before it (issue 22): about a third
 * of the drachtio app's CPU under a scanner flood went into one info line per refused INVITE (659 MB of logs in
 * 20 minutes).
 *
 * Per source, in windows of `window` ms that start with the source's first refusal:
 * - the first refusal of a window is itemised at once (the caller writes its own line, with the fields
 *   {@link RefusalLog.take} returns merged in);
 * - every later refusal of that window is only counted (with its actions and the rules behind it);
 * - the count of a window is written once: in the source's next itemised line (`previous`, when it comes back after
 *   the window) or, when it does not come back, in one `refusals` line of its own written by the sweep (every
 *   second, only while some count is pending; the window must be over).
 * So a source refused for as long as you like writes one line per window, and a source refused once writes one.
 *
 * Bounded: sources are kept in an {@link AdmissionMap} of `maxSources` (TinyLFU admission, O(1)), so a flood of
 * one-shot sources churns among themselves and cannot push out a heavy hitter (and its count). A source that is not
 * admitted is itemised like a new one. At most `linesPerSecond` itemised lines and `linesPerSecond` window lines are written
 * per calendar second; what the budget holds back is not lost: the next line written says how
 * many refusals were not itemised (`unlogged`), so the counts in the lines plus the `unlogged` counts add up to the
 * refusals seen. A count that the map had to drop (an aged resident evicted) is added to `unlogged` at the sweep.
 *
 * Counting for metrics is not done here: verdict counters keep every refusal.
 */
export interface RefusalLogOptions {
  /** The `event` field of the lines this log writes on its own (`refusals`) says which line they summarise. */
  of: string;
  /** Length of a source's window, ms (default 60 s). */
  window?: number;
  /** Sources tracked at most (default 4,096: about 1 MB). */
  maxSources?: number;
  /** Itemised lines per second at most, and window lines per second at most (default 10 each). */
  linesPerSecond?: number;
  /** Rules named in a window's line (default 3, the most frequent). */
  topReasons?: number;
  /** Clock (tests). */
  now?: () => number;
  /** Sweep every second while a count is pending (default true). Off: call flush() yourself. */
  sweep?: boolean;
}

/** A window's count as written in a line. */
export interface RefusalWindow {
  /** Refusals of the window not itemised (all but its first). */
  refusals: number;
  /** When the window started and when its last refusal came (ISO). */
  from: string;
  to: string;
  /** Refusals per action (enforced, or intended in monitor mode). */
  actions: Record<string, number>;
  /** The most frequent rules behind them, with how many refusals each was a reason of; `other`: the rest. */
  reasons: Record<string, number>;
}

/** Fields for an itemised line: the window this line closes, and refusals held back by the budget. */
export interface RefusalNote {
  previous?: RefusalWindow;
  unlogged?: number;
}

const DEFAULT_WINDOW_MS = 60_000;
const DEFAULT_MAX_SOURCES = 4096;
const DEFAULT_LINES_PER_SECOND = 10;
const DEFAULT_TOP_REASONS = 3;
const SWEEP_MS = 1000;
/** Distinct rules tallied per window; more go to `other` (a verdict has a handful). */
const RULE_SLOTS = 8;
const NOTHING: RefusalNote = Object.freeze({});

/** One source's open (or ended, count pending) window. About 200 bytes with its arrays. */
class SourceWindow {
  count = 0;
  last: number;
  actions: string[] = [];
  actionCounts: number[] = [];
  rules: string[] = [];
  ruleCounts: number[] = [];
  otherRules = 0;

  constructor(public start: number) {
    this.last = start;
  }

  reset(now: number): void {
    this.start = now;
    this.last = now;
    this.clearCounts();
  }

  /** Forgets what was counted (written in a line); the window itself goes on. */
  clearCounts(): void {
    this.count = 0;
    this.actions.length = 0;
    this.actionCounts.length = 0;
    this.rules.length = 0;
    this.ruleCounts.length = 0;
    this.otherRules = 0;
  }

  add(action: string, reasons: Verdict['reasons'], now: number): void {
    this.count++;
    this.last = now;
    const a = this.actions.indexOf(action);
    if (a >= 0) this.actionCounts[a]!++;
    else {
      this.actions.push(action);
      this.actionCounts.push(1);
    }
    for (let i = 0; i < reasons.length; i++) {
      const rule = reasons[i]!.rule;
      const r = this.rules.indexOf(rule);
      if (r >= 0) this.ruleCounts[r]!++;
      else if (this.rules.length < RULE_SLOTS) {
        this.rules.push(rule);
        this.ruleCounts.push(1);
      } else this.otherRules++;
    }
  }

  summary(top: number): RefusalWindow {
    const actions: Record<string, number> = {};
    for (let i = 0; i < this.actions.length; i++) actions[this.actions[i]!] = this.actionCounts[i]!;
    const order = this.rules.map((_, i) => i).sort((x, y) => this.ruleCounts[y]! - this.ruleCounts[x]!);
    const reasons: Record<string, number> = {};
    let other = this.otherRules;
    order.forEach((i, rank) => {
      if (rank < top) reasons[this.rules[i]!] = this.ruleCounts[i]!;
      else other += this.ruleCounts[i]!;
    });
    if (other > 0) reasons.other = other;
    return {
      refusals: this.count,
      from: new Date(this.start).toISOString(),
      to: new Date(this.last).toISOString(),
      actions,
      reasons,
    };
  }
}

export interface RefusalLogStats {
  /** Refusals taken. */
  refusals: number;
  /** Lines the caller was told to write (itemised) and lines written here (window lines). */
  itemised: number;
  windowLines: number;
  /** Refusals not itemised and not yet reported in a line's `unlogged`. */
  unlogged: number;
  /** Refusals counted in windows not written yet. */
  pending: number;
  /** Sources tracked now. */
  sources: number;
}

export class RefusalLog {
  private readonly windowMs: number;
  private readonly perSecond: number;
  private readonly top: number;
  private readonly now: () => number;
  private readonly sources: AdmissionMap<string, SourceWindow>;
  private readonly sweepTimer: NodeJS.Timeout | undefined;
  /** The second (epoch ms / 1000) each budget was last spent in, and how much of it is used. */
  private itemSecond = Number.NEGATIVE_INFINITY;
  private itemUsed = 0;
  private windowSecond = Number.NEGATIVE_INFINITY;
  private windowUsed = 0;
  private unlogged = 0;
  private pending = 0;
  private refusals = 0;
  private itemised = 0;
  private windowLines = 0;
  private closed = false;
  private spare: SourceWindow | undefined;

  constructor(
    private readonly logger: Logger,
    private readonly options: RefusalLogOptions,
  ) {
    this.windowMs = options.window ?? DEFAULT_WINDOW_MS;
    this.perSecond = options.linesPerSecond ?? DEFAULT_LINES_PER_SECOND;
    this.top = options.topReasons ?? DEFAULT_TOP_REASONS;
    this.now = options.now ?? Date.now;
    this.sources = new AdmissionMap(options.maxSources ?? DEFAULT_MAX_SOURCES);
    if (options.sweep ?? true) {
      this.sweepTimer = setInterval(() => {
        if (this.pending > 0 || this.unlogged > 0) this.flush();
      }, SWEEP_MS);
      this.sweepTimer.unref();
    }
  }

  /**
   * One refusal from `source` (the enforced `action`, or the intended one in monitor mode; the verdict's reasons).
   * Returns the fields to merge into the caller's own line when this refusal is to be itemised, or undefined when
   * it was only counted (write nothing). Constant time; no allocation for a counted refusal.
   */
  take(source: string, action: string, reasons: Verdict['reasons'], now = this.now()): RefusalNote | undefined {
    this.refusals++;
    const sources = this.sources;
    let w = sources.get(source);
    if (w !== undefined && now - w.start < this.windowMs) {
      w.add(action, reasons, now);
      this.pending++;
      return undefined;
    }
    // A new window: this refusal is itemised, and the window that ended (if its count is still pending) goes with it.
    let previous: RefusalWindow | undefined;
    if (w !== undefined) {
      if (w.count > 0) {
        previous = w.summary(this.top);
        this.pending -= w.count;
      }
      w.reset(now);
    } else if (!this.closed) {
      // A source the map does not admit (full of sources with more history) leaves its record for the next one.
      w = this.spare ?? new SourceWindow(now);
      w.reset(now);
      this.spare = sources.insertAbsent(source, w) ? undefined : w;
    }
    if (!this.spend(now)) {
      this.unlogged += 1 + (previous?.refusals ?? 0);
      return undefined;
    }
    this.itemised++;
    if (previous === undefined && this.unlogged === 0) return NOTHING;
    const note: RefusalNote = {};
    if (previous !== undefined) note.previous = previous;
    if (this.unlogged > 0) {
      note.unlogged = this.unlogged;
      this.unlogged = 0;
    }
    return note;
  }

  /** A verdict-shaped refusal: in monitor mode the intended action is what is counted. */
  takeVerdict(source: string, verdict: Pick<Verdict, 'action' | 'intended' | 'reasons'>, now?: number) {
    return this.take(source, verdict.action === 'allow' ? verdict.intended : verdict.action, verdict.reasons, now);
  }

  /**
   * Writes the windows that are over with a count pending (at most `linesPerSecond` of them, the rest at the next
   * sweep), and the refusals held back by the budget when no itemised line has carried them. `all`: every pending
   * window, over or not, and no cap (close()).
   */
  flush(now = this.now(), all = false): void {
    let budget = all ? Number.POSITIVE_INFINITY : this.windowBudget(now);
    let stillPending = 0;
    let written = 0;
    for (const [source, w] of this.sources.entries()) {
      if (w.count === 0) continue;
      if (budget <= 0 || (!all && now - w.start < this.windowMs)) {
        stillPending += w.count;
        continue;
      }
      budget--;
      this.windowUsed++;
      const summary = w.summary(this.top);
      written += w.count;
      w.clearCounts();
      this.windowLines++;
      const fields: Record<string, unknown> = { event: 'refusals', of: this.options.of, source, ...summary };
      if (this.unlogged > 0) {
        fields.unlogged = this.unlogged;
        this.unlogged = 0;
      }
      this.logger.info(fields, `${summary.refusals} more refusals from ${source} (${describe(summary.reasons)})`);
    }
    // Counts an aged resident took with it when the map evicted it: not in any line, so reported as unlogged.
    const lost = this.pending - written - stillPending;
    if (lost > 0) this.unlogged += lost;
    this.pending = stillPending;
    if (this.unlogged > 0 && (all || budget > 0)) {
      this.windowLines++;
      this.windowUsed++;
      this.logger.info(
        { event: 'refusals', of: this.options.of, unlogged: this.unlogged },
        `${this.unlogged} refusals not itemised (log budget of ${this.perSecond} lines a second)`,
      );
      this.unlogged = 0;
    }
  }

  stats(): RefusalLogStats {
    return {
      refusals: this.refusals,
      itemised: this.itemised,
      windowLines: this.windowLines,
      unlogged: this.unlogged,
      pending: this.pending,
      sources: this.sources.size,
    };
  }

  /** Writes every pending count, stops the sweep. Later refusals are still counted and itemised within budget. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.flush(this.now(), true);
    this.sources.clear();
  }

  /** One itemised line out of this calendar second's budget. */
  private spend(now: number): boolean {
    const second = Math.floor(now / 1000);
    if (second !== this.itemSecond) {
      this.itemSecond = second;
      this.itemUsed = 0;
    }
    if (this.itemUsed >= this.perSecond) return false;
    this.itemUsed++;
    return true;
  }

  /** How many window lines this calendar second's budget still allows. */
  private windowBudget(now: number): number {
    const second = Math.floor(now / 1000);
    if (second !== this.windowSecond) {
      this.windowSecond = second;
      this.windowUsed = 0;
    }
    return this.perSecond - this.windowUsed;
  }
}

function describe(reasons: Record<string, number>): string {
  return Object.entries(reasons)
    .map(([rule, n]) => `${rule} ×${n}`)
    .join(', ');
}
