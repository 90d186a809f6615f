import type { CallAttempt } from '../attempt.js';
import type { GhostguardConfig } from '../config.js';
import { parseIp } from '../net/ip.js';
import type { Reason } from '../verdict.js';
import { type TargetKnowledge, targetUserOf } from './target-knowledge.js';
import { type RuleWeights, resolveWeights } from './weights.js';

export const DIAL_RULES = {
  ipLiteralHost: { id: 'dial.ip-literal-host', weight: 15 },
  foreignDomain: { id: 'dial.foreign-domain', weight: 20 },
  unknownTarget: { id: 'dial.unknown-target', weight: 25 },
  tollFraud: { id: 'dial.toll-fraud', weight: 40 },
  longDigits: { id: 'dial.long-digits', weight: 15 },
} as const;

type DialRule = keyof typeof DIAL_RULES;

const DIGITS = /^\+?\d+$/;

/** Layer 4: where the attempt is aimed. Methods without a dialled target (OPTIONS to the host) skip target rules. */
export class DialShapeRules {
  private readonly w: Record<DialRule, number | undefined>;
  private readonly tollFraud: readonly RegExp[];
  private readonly longDigits: number;

  constructor(
    config: GhostguardConfig,
    weights: RuleWeights,
    private readonly knowledge: TargetKnowledge,
  ) {
    this.w = resolveWeights(DIAL_RULES, weights);
    this.tollFraud = config.dialShape.tollFraudPatterns.map((p) => new RegExp(p));
    this.longDigits = config.dialShape.longDigitString;
  }

  /** Adds reasons; returns whether the target is known to exist (true/false) or unknowable (undefined). */
  evaluate(a: CallAttempt, out: Reason[]): boolean | undefined {
    const host = a.target.host;
    if (a.protocol === 'sip' && host) {
      const hostIp = parseIp(host);
      if (hostIp !== undefined) {
        if (this.w.ipLiteralHost !== undefined && !this.knowledge.isLocalAddress(hostIp)) {
          out.push({
            rule: DIAL_RULES.ipLiteralHost.id,
            detail: `Request-URI host is the IP literal ${host}`,
            weight: this.w.ipLiteralHost,
          });
        }
      } else if (
        this.w.foreignDomain !== undefined &&
        this.knowledge.knowsDomains &&
        !this.knowledge.isServedDomain(host)
      ) {
        out.push({
          rule: DIAL_RULES.foreignDomain.id,
          detail: `Request-URI domain ${host} is not served here`,
          weight: this.w.foreignDomain,
        });
      }
    }
    const user = targetUserOf(a);
    if (user === undefined || user === '') return undefined;
    let known: boolean | undefined;
    if (this.knowledge.knowsTargets) {
      known = this.knowledge.isKnownTarget(user, a.time);
      if (!known && this.w.unknownTarget !== undefined) {
        out.push({
          rule: DIAL_RULES.unknownTarget.id,
          detail: `target ${user} is not a registered room or known extension`,
          weight: this.w.unknownTarget,
        });
      }
    }
    if (known) return true;
    const digits = user.replace(/[\s\-.()]/g, '');
    if (this.w.tollFraud !== undefined && this.tollFraud.some((p) => p.test(digits))) {
      out.push({
        rule: DIAL_RULES.tollFraud.id,
        detail: `dialled ${user} has a toll-fraud shape`,
        weight: this.w.tollFraud,
      });
    } else if (
      this.w.longDigits !== undefined &&
      DIGITS.test(digits) &&
      digits.replace('+', '').length >= this.longDigits
    ) {
      out.push({
        rule: DIAL_RULES.longDigits.id,
        detail: `dialled ${user} is a long digit string`,
        weight: this.w.longDigits,
      });
    }
    return known;
  }
}
