import type { Action } from '@ghostguard/core';
import type { JudgedAttempt } from './analysis.js';
import { emptyActions } from './source-tally.js';

export { emptyActions };

/** Attempts by intended action. */
export function totals(judged: readonly JudgedAttempt[]): Record<Action, number> {
  const t = emptyActions();
  for (const j of judged) t[j.verdict.intended]++;
  return t;
}
