import type { GhostguardConfig } from './config.js';
import type { Action } from './verdict.js';

interface Tier {
  minScore: number;
  action: Action;
}

/** Methods that open a call and can therefore be held in a tarpit; others cannot be "rung". */
const TARPITTABLE = new Set(['INVITE', 'SETUP']);

/** Score → action: the highest tier whose minScore the score reaches; per-method tiers override. */
export class Policy {
  private readonly tiers: Tier[];
  private readonly byMethod: Map<string, Tier[]>;

  constructor(policy: GhostguardConfig['policy']) {
    const sort = (t: readonly Tier[]) => [...t].sort((a, b) => b.minScore - a.minScore);
    this.tiers = sort(policy.tiers);
    this.byMethod = new Map(Object.entries(policy.methods).map(([m, t]) => [m.toUpperCase(), sort(t)]));
  }

  decide(score: number, method: string): Action {
    const tiers = this.byMethod.get(method) ?? this.tiers;
    for (const t of tiers) {
      if (score >= t.minScore) {
        return this.enforceable(t.action, method);
      }
    }
    return 'allow';
  }

  /** A tarpit only makes sense for a call; for anything else it is a silent drop instead. */
  enforceable(action: Action, method: string): Action {
    return action === 'tarpit' && !TARPITTABLE.has(method) ? 'drop' : action;
  }
}
