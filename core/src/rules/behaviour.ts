import type { GhostguardConfig } from '../config.js';
import type { ParsedIp } from '../net/ip.js';
import { maskV4, maskV6Key } from '../net/ip.js';
import { Activity, hashString } from '../state/activity.js';
import { AdmissionMap } from '../state/admission-map.js';
import type { Reason } from '../verdict.js';
import { type RuleWeights, resolveWeights } from './weights.js';

export const BEHAVIOUR_RULES = {
  rate: { id: 'behaviour.rate', weight: 15 },
  flood: { id: 'behaviour.flood', weight: 30 },
  prefixRate: { id: 'behaviour.prefix-rate', weight: 15 },
  enumeration: { id: 'behaviour.enumeration', weight: 60 },
  prefixEnumeration: { id: 'behaviour.prefix-enumeration', weight: 40 },
  sequential: { id: 'behaviour.sequential-targets', weight: 30 },
  failures: { id: 'behaviour.failures', weight: 30 },
  earnedTrust: { id: 'trust.earned', weight: -30 },
} as const;

type BehaviourRule = keyof typeof BEHAVIOUR_RULES;

/** What the dial-shape layer learnt about the target, fed into the behaviour windows. */
export interface TargetObservation {
  /** Dialled user, if any. */
  user: string | undefined;
  /** true: known room/extension; false: known not to exist; undefined: nothing configured to tell. */
  known: boolean | undefined;
}

export interface SourceDescription {
  attemptsInWindow: number;
  distinctUnknownTargets: number;
  failuresInWindow: number;
  trustedUntil?: number;
}

type ActivityEntry = Activity | number;
type ActivityMap = AdmissionMap<number | string, ActivityEntry>;

const TRAILING_NUMBER = /(\d{1,9})$/;
const NEIGHBOUR_NOTE = ' (neighbours only: not counted for a clean caller offering video to a known room)';

/**
 * Layer 5, Kamailio-pike style: per source and per address prefix (/24, /64), sliding-window counts
 * of attempts, distinct unknown targets, consecutive-number sweeps and PBX-reported failures.
 * Memory is bounded by `maxSources` for each of the two maps, whatever the number of sources, and a flood of
 * one-shot sources cannot wash out a source with history (TinyLFU admission, see AdmissionMap): an offender's
 * counters survive a flood of 10 × maxSources fresh sources from other prefixes.
 */
export class BehaviourRules {
  /**
   * Keyed by the IPv4 address as a number, or the canonical IPv6 text (no string building for IPv4). A source
   * or prefix seen once, with nothing else to remember, is stored as the bare index of that attempt's window
   * (a small integer, no object): most sources of a sweep or a flood of fresh addresses never come back.
   */
  readonly sources: AdmissionMap<number | string, ActivityEntry>;
  readonly prefixes: AdmissionMap<number | string, ActivityEntry>;
  private readonly w: Record<BehaviourRule, number | undefined>;
  private readonly b: GhostguardConfig['behaviour'];
  private readonly targetCap: number;
  private readonly trustFor: number;

  /** `carryOver`: the rules of a previous configuration with the same window and prefixes, whose counters continue. */
  constructor(config: GhostguardConfig, weights: RuleWeights, carryOver?: BehaviourRules) {
    this.b = config.behaviour;
    this.sources = carryOver?.sources ?? new AdmissionMap(Math.max(2, this.b.maxSources));
    this.prefixes = carryOver?.prefixes ?? new AdmissionMap(Math.max(2, this.b.maxSources));
    if (carryOver) this.epoch = carryOver.epoch;
    this.w = resolveWeights(BEHAVIOUR_RULES, weights, { earnedTrust: -config.trust.earnedTrustWeight });
    this.targetCap = Math.max(this.b.distinctUnknownTargets, this.b.distinctTargetsBlind) + 1;
    this.trustFor = config.trust.earnedTrustFor;
  }

  /** Times are kept relative to the first one seen, so activity counters hold small integers. */
  private epoch = Number.NaN;

  private rel(now: number): number {
    if (Number.isNaN(this.epoch)) this.epoch = now;
    return now - this.epoch;
  }

  /**
   * The record for `key` at time `t`, rolled to t's window. A key never seen before gets no record when
   * `lone` is allowed: it is stored as its window index and `undefined` is returned (a lone first attempt).
   */
  private touch(map: ActivityMap, key: number | string, t: number, lone: boolean): Activity | undefined {
    const window = this.b.window;
    const entry = map.get(key);
    if (entry === undefined) {
      if (lone) {
        map.insertAbsent(key, Math.floor(t / window));
        return undefined;
      }
      const a = new Activity(t, window);
      map.insertAbsent(key, a);
      return a;
    }
    if (typeof entry === 'number') {
      const a = Activity.afterFirstAttempt(entry, window);
      a.roll(t, window);
      map.set(key, a);
      return a;
    }
    entry.roll(t, window);
    return entry;
  }

  private activity(map: ActivityMap, key: number | string, t: number): Activity {
    return this.touch(map, key, t, false)!;
  }

  /** IPv4 as a signed 32-bit integer (a small integer in V8, no boxing), IPv6 as canonical text. */
  private sourceKey(ip: ParsedIp): number | string {
    return ip.family === 4 ? ip.v4 | 0 : ip.text;
  }

  private prefixKeyOf(ip: ParsedIp): number | string {
    return ip.family === 4 ? maskV4(ip.v4, this.b.prefixV4) | 0 : maskV6Key(ip.v6, this.b.prefixV6);
  }

  /** What a source did in the current window (for explain); reads without touching recency. */
  describe(ip: ParsedIp, now: number): SourceDescription | undefined {
    const entry = this.sources.peek(this.sourceKey(ip));
    if (entry === undefined) return undefined;
    const t = this.rel(now);
    const w = this.b.window;
    const act = typeof entry === 'number' ? Activity.afterFirstAttempt(entry, w) : entry;
    if (typeof entry === 'number') act.roll(t, w);
    const out: SourceDescription = {
      attemptsInWindow: Math.round(act.attemptRate(t, w)),
      distinctUnknownTargets: Math.round(act.distinctEstimate(t, w)),
      failuresInWindow: Math.round(act.failureCount(t, w)),
    };
    if (act.trustedUntilSec * 1000 > t) out.trustedUntil = this.epoch + act.trustedUntilSec * 1000;
    return out;
  }

  /**
   * Records the attempt and adds the behaviour reasons it triggers. `muteNeighbours`: the caller has a clean
   * record and offers video to a known room, so what its /24 or /64 did is shown but weighs nothing (a
   * partner's bridge can share a cloud /24 with a scanner).
   */
  evaluate(ip: ParsedIp, time: number, target: TargetObservation, out: Reason[], muteNeighbours = false): void {
    const window = this.b.window;
    const now = this.rel(time);
    // Only targets not known to exist count towards enumeration: a bridge dialling 30 real rooms is not a sweep.
    const counts = target.user !== undefined && target.known !== true;
    // undefined: this is the key's lone first attempt (one attempt, nothing else known), stored without an object.
    const src = this.touch(this.sources, this.sourceKey(ip), now, !counts);
    const pfx = this.touch(this.prefixes, this.prefixKeyOf(ip), now, !counts);
    if (src) src.attempts++;
    if (pfx) pfx.attempts++;
    if (counts) {
      const h = hashString(target.user!);
      src!.addTarget(h, this.targetCap);
      pfx!.addTarget(h, this.targetCap);
    }

    const rate = src ? src.attemptRate(now, window) : 1;
    if (rate > this.b.ratePerSource * 5 && this.w.flood !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.flood.id,
        detail: `${rate.toFixed(0)} attempts in ${window} ms from this source`,
        weight: this.w.flood,
      });
    } else if (rate > this.b.ratePerSource && this.w.rate !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.rate.id,
        detail: `${rate.toFixed(0)} attempts in ${window} ms from this source`,
        weight: this.w.rate,
      });
    }
    const prefixRate = pfx ? pfx.attemptRate(now, window) : 1;
    if (prefixRate > this.b.ratePerPrefix && this.w.prefixRate !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.prefixRate.id,
        detail: `${prefixRate.toFixed(0)} attempts in ${window} ms from this prefix${muteNeighbours ? NEIGHBOUR_NOTE : ''}`,
        weight: muteNeighbours ? 0 : this.w.prefixRate,
      });
    }

    const threshold = target.known === undefined ? this.b.distinctTargetsBlind : this.b.distinctUnknownTargets;
    const distinct = src ? src.distinctEstimate(now, window) : 0;
    if (distinct >= threshold && this.w.enumeration !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.enumeration.id,
        detail: `${distinct.toFixed(0)} distinct unknown targets in ${window} ms`,
        weight: this.w.enumeration,
      });
    } else {
      const prefixDistinct = pfx ? pfx.distinctEstimate(now, window) : 0;
      if (prefixDistinct >= threshold && this.w.prefixEnumeration !== undefined) {
        out.push({
          rule: BEHAVIOUR_RULES.prefixEnumeration.id,
          detail: `${prefixDistinct.toFixed(0)} distinct unknown targets from this prefix in ${window} ms${muteNeighbours ? NEIGHBOUR_NOTE : ''}`,
          weight: muteNeighbours ? 0 : this.w.prefixEnumeration,
        });
      }
    }

    if (counts && this.w.sequential !== undefined) {
      const m = TRAILING_NUMBER.exec(target.user!);
      if (m) {
        const run = src!.observeNumber(Number(m[1]));
        if (run >= this.b.sequentialRun) {
          out.push({
            rule: BEHAVIOUR_RULES.sequential.id,
            detail: `${run} consecutive target numbers (last ${target.user})`,
            weight: this.w.sequential,
          });
        }
      }
    }

    const ownFailures = src ? src.failureCount(now, window) : 0;
    const failures = Math.max(ownFailures, pfx ? pfx.failureCount(now, window) / 4 : 0);
    if (failures >= this.b.failures && this.w.failures !== undefined) {
      const neighboursOnly = muteNeighbours && ownFailures < this.b.failures;
      out.push({
        rule: BEHAVIOUR_RULES.failures.id,
        detail: `${failures.toFixed(0)} failures reported by the PBX in ${window} ms${neighboursOnly ? NEIGHBOUR_NOTE : ''}`,
        weight: neighboursOnly ? 0 : this.w.failures,
      });
    }
    if (src && src.trustedUntilSec * 1000 > now && this.w.earnedTrust !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.earnedTrust.id,
        detail: 'this source completed a call recently',
        weight: this.w.earnedTrust,
      });
    }
  }

  /** A PBX-reported failure; returns the failure count of the source in the window. */
  recordFailure(ip: ParsedIp, time: number, unknownTarget: string | undefined): number {
    const now = this.rel(time);
    const src = this.activity(this.sources, this.sourceKey(ip), now);
    const pfx = this.activity(this.prefixes, this.prefixKeyOf(ip), now);
    src.addFailure();
    pfx.addFailure();
    if (unknownTarget !== undefined) {
      const h = hashString(unknownTarget);
      src.addTarget(h, this.targetCap);
      pfx.addTarget(h, this.targetCap);
    }
    return src.failureCount(now, this.b.window);
  }

  recordCompletedCall(ip: ParsedIp, time: number): void {
    const now = this.rel(time);
    this.activity(this.sources, this.sourceKey(ip), now).trustedUntilSec = Math.ceil((now + this.trustFor) / 1000);
  }
}
