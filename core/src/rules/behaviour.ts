import type { GhostguardConfig } from '../config.js';
import type { ParsedIp } from '../net/ip.js';
import { prefixKey } from '../net/ip.js';
import { Activity, hashString } from '../state/activity.js';
import { BoundedMap } from '../state/bounded-map.js';
import type { Reason } from '../verdict.js';
import type { RuleWeights } from './weights.js';

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

const TRAILING_NUMBER = /(\d{1,9})$/;

/**
 * Layer 5, Kamailio-pike style: per source and per address prefix (/24, /64), sliding-window counts
 * of attempts, distinct unknown targets, consecutive-number sweeps and PBX-reported failures.
 * Memory is bounded by `maxSources` for each of the two maps, whatever the number of sources.
 */
export class BehaviourRules {
  readonly sources: BoundedMap<string, Activity>;
  readonly prefixes: BoundedMap<string, Activity>;
  private readonly w: Record<BehaviourRule, number | undefined>;
  private readonly b: GhostguardConfig['behaviour'];
  private readonly targetCap: number;
  private readonly trustFor: number;

  constructor(config: GhostguardConfig, weights: RuleWeights) {
    this.b = config.behaviour;
    this.sources = new BoundedMap(this.b.maxSources);
    this.prefixes = new BoundedMap(this.b.maxSources);
    this.w = Object.fromEntries(
      Object.entries(BEHAVIOUR_RULES).map(([k, r]) => [
        k,
        weights.weight(r.id, k === 'earnedTrust' ? -config.trust.earnedTrustWeight : r.weight),
      ]),
    ) as Record<BehaviourRule, number | undefined>;
    this.targetCap = Math.max(this.b.distinctUnknownTargets, this.b.distinctTargetsBlind) + 1;
    this.trustFor = config.trust.earnedTrustFor;
  }

  private activity(map: BoundedMap<string, Activity>, key: string, now: number): Activity {
    let a = map.get(key);
    if (a === undefined) {
      a = new Activity(now);
      map.set(key, a);
    } else {
      a.roll(now, this.b.window);
      a.lastSeen = now;
    }
    return a;
  }

  sourceActivity(ip: ParsedIp, now: number): Activity {
    return this.activity(this.sources, ip.text, now);
  }

  prefixActivity(ip: ParsedIp, now: number): Activity {
    return this.activity(this.prefixes, prefixKey(ip, this.b.prefixV4, this.b.prefixV6), now);
  }

  /** Records the attempt and adds the behaviour reasons it triggers. */
  evaluate(ip: ParsedIp, now: number, target: TargetObservation, out: Reason[]): void {
    const window = this.b.window;
    const src = this.sourceActivity(ip, now);
    const pfx = this.prefixActivity(ip, now);
    src.attempts++;
    pfx.attempts++;

    // Only targets not known to exist count towards enumeration: a bridge dialling 30 real rooms is not a sweep.
    const counts = target.user !== undefined && target.known !== true;
    if (counts) {
      const h = hashString(target.user!);
      src.addTarget(h, this.targetCap);
      pfx.addTarget(h, this.targetCap);
    }

    const rate = src.attemptRate(now, window);
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
    const prefixRate = pfx.attemptRate(now, window);
    if (prefixRate > this.b.ratePerPrefix && this.w.prefixRate !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.prefixRate.id,
        detail: `${prefixRate.toFixed(0)} attempts in ${window} ms from this prefix`,
        weight: this.w.prefixRate,
      });
    }

    const threshold = target.known === undefined ? this.b.distinctTargetsBlind : this.b.distinctUnknownTargets;
    const distinct = src.distinctEstimate(now, window);
    if (distinct >= threshold && this.w.enumeration !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.enumeration.id,
        detail: `${distinct.toFixed(0)} distinct unknown targets in ${window} ms`,
        weight: this.w.enumeration,
      });
    } else {
      const prefixDistinct = pfx.distinctEstimate(now, window);
      if (prefixDistinct >= threshold && this.w.prefixEnumeration !== undefined) {
        out.push({
          rule: BEHAVIOUR_RULES.prefixEnumeration.id,
          detail: `${prefixDistinct.toFixed(0)} distinct unknown targets from this prefix in ${window} ms`,
          weight: this.w.prefixEnumeration,
        });
      }
    }

    if (counts && this.w.sequential !== undefined) {
      const m = TRAILING_NUMBER.exec(target.user!);
      if (m) {
        const run = src.observeNumber(Number(m[1]));
        if (run >= this.b.sequentialRun) {
          out.push({
            rule: BEHAVIOUR_RULES.sequential.id,
            detail: `${run} consecutive target numbers (last ${target.user})`,
            weight: this.w.sequential,
          });
        }
      }
    }

    const failures = Math.max(src.failureCount(now, window), pfx.failureCount(now, window) / 4);
    if (failures >= this.b.failures && this.w.failures !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.failures.id,
        detail: `${failures.toFixed(0)} failures reported by the PBX in ${window} ms`,
        weight: this.w.failures,
      });
    }
    if (src.trustedUntil > now && this.w.earnedTrust !== undefined) {
      out.push({
        rule: BEHAVIOUR_RULES.earnedTrust.id,
        detail: 'this source completed a call recently',
        weight: this.w.earnedTrust,
      });
    }
  }

  /** A PBX-reported failure; returns the failure count of the source in the window. */
  recordFailure(ip: ParsedIp, now: number, unknownTarget: string | undefined): number {
    const src = this.sourceActivity(ip, now);
    const pfx = this.prefixActivity(ip, now);
    src.failures++;
    pfx.failures++;
    if (unknownTarget !== undefined) {
      const h = hashString(unknownTarget);
      src.addTarget(h, this.targetCap);
      pfx.addTarget(h, this.targetCap);
    }
    return src.failureCount(now, this.b.window);
  }

  recordCompletedCall(ip: ParsedIp, now: number): void {
    this.sourceActivity(ip, now).trustedUntil = now + this.trustFor;
  }
}
