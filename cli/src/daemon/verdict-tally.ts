import type { Action, CallAttempt, Verdict } from '@ghostguard/core';
import { LabelIndex } from './label-index.js';

const ACTIONS: readonly Action[] = ['allow', 'reject', 'drop', 'tarpit'];
const ACTION_INDEX: Readonly<Record<string, number>> = { allow: 0, reject: 1, drop: 2, tarpit: 3 };
const PROTOCOLS = ['sip', 'h323', 'other'] as const;
/** Rule ids come from the built-in table plus the configuration: a few hundred at most. */
export const MAX_RULES = 512;
export const MAX_ADAPTERS = 16;

export interface VerdictLabels {
  action: string;
  intended: string;
  protocol: string;
  adapter: string;
}

/**
 * Verdict and reason counts in flat arrays, indexed by small integers: counting a verdict allocates nothing
 * and builds no string. prom-client reads them at scrape time (see metrics.ts).
 */
export class VerdictTally {
  private readonly adapters = new LabelIndex(MAX_ADAPTERS);
  private readonly rules = new LabelIndex(MAX_RULES);
  /** [adapter][protocol][intended][action] */
  private readonly verdicts = new Float64Array(this.adapters.slots * PROTOCOLS.length * 16);
  private readonly reasons = new Float64Array(this.rules.slots);

  count(attempt: CallAttempt, verdict: Verdict): void {
    // The attempt may be a placeholder for undecodable input, or not an object at all: read it defensively.
    const a = (typeof attempt === 'object' && attempt !== null ? attempt : {}) as Partial<CallAttempt>;
    const protocol = a.protocol === 'sip' ? 0 : a.protocol === 'h323' ? 1 : 2;
    const action = ACTION_INDEX[verdict.action] ?? 0;
    const intended = ACTION_INDEX[verdict.intended] ?? 0;
    const adapter = this.adapters.index(a.adapter);
    this.verdicts[((adapter * PROTOCOLS.length + protocol) * 4 + intended) * 4 + action]!++;
    const reasons = verdict.reasons;
    for (let i = 0; i < reasons.length; i++) this.reasons[this.rules.index(reasons[i]?.rule)]!++;
  }

  /** Non-zero verdict counts with their labels. */
  *verdictCounts(): Generator<[VerdictLabels, number]> {
    for (let i = 0; i < this.verdicts.length; i++) {
      const n = this.verdicts[i]!;
      if (n === 0) continue;
      const action = i % 4;
      const intended = Math.floor(i / 4) % 4;
      const protocol = Math.floor(i / 16) % PROTOCOLS.length;
      const adapter = Math.floor(i / (16 * PROTOCOLS.length));
      yield [
        {
          action: ACTIONS[action]!,
          intended: ACTIONS[intended]!,
          protocol: PROTOCOLS[protocol]!,
          adapter: this.adapters.name(adapter),
        },
        n,
      ];
    }
  }

  /** Non-zero reason counts by rule id. */
  *reasonCounts(): Generator<[string, number]> {
    for (let i = 0; i < this.reasons.length; i++) {
      const n = this.reasons[i]!;
      if (n !== 0) yield [this.rules.name(i), n];
    }
  }
}
