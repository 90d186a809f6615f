import type { GhostguardConfig } from '../config.js';

/** Resolves a rule's effective weight from config: `undefined` means the rule is switched off. */
export class RuleWeights {
  private readonly disabled: ReadonlySet<string>;
  private readonly overrides: Readonly<Record<string, number>>;

  constructor(rules: GhostguardConfig['rules']) {
    this.disabled = new Set(rules.disable);
    this.overrides = rules.weights;
  }

  weight(id: string, builtin: number): number | undefined {
    if (this.disabled.has(id)) return undefined;
    const override = this.overrides[id];
    return override === undefined ? builtin : override;
  }
}

/** A layer's rule table: key → rule id and built-in weight. */
export type RuleTable<K extends string> = Readonly<Record<K, { readonly id: string; readonly weight: number }>>;

/** Resolves every rule of a table at once; `builtin` can replace a table weight that comes from config. */
export function resolveWeights<K extends string>(
  table: RuleTable<K>,
  weights: RuleWeights,
  builtin: Partial<Record<K, number>> = {},
): Record<K, number | undefined> {
  const out = {} as Record<K, number | undefined>;
  for (const key of Object.keys(table) as K[])
    out[key] = weights.weight(table[key].id, builtin[key] ?? table[key].weight);
  return out;
}
