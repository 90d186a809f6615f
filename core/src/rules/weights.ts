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
