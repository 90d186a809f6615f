import type { Action } from '@ghostguard/core';
import type { JudgedAttempt } from './analysis.js';

export interface SourceSummary {
  source: string;
  attempts: number;
  byAction: Record<Action, number>;
  /** Rule ids by how many of this source's attempts they fired on, most first. */
  topRules: Array<{ rule: string; count: number }>;
  methods: string[];
}

export function emptyActions(): Record<Action, number> {
  return { allow: 0, reject: 0, drop: 0, tarpit: 0 };
}

/** Groups judged attempts by source address, busiest first. */
export function summarizeBySource(judged: readonly JudgedAttempt[]): SourceSummary[] {
  const bySource = new Map<string, { s: SourceSummary; rules: Map<string, number>; methods: Set<string> }>();
  for (const j of judged) {
    const key = j.attempt.source.ip;
    let entry = bySource.get(key);
    if (!entry) {
      entry = {
        s: { source: key, attempts: 0, byAction: emptyActions(), topRules: [], methods: [] },
        rules: new Map(),
        methods: new Set(),
      };
      bySource.set(key, entry);
    }
    entry.s.attempts++;
    entry.s.byAction[j.verdict.intended]++;
    entry.methods.add(j.attempt.method);
    for (const r of j.verdict.reasons) if (r.weight > 0) entry.rules.set(r.rule, (entry.rules.get(r.rule) ?? 0) + 1);
  }
  return [...bySource.values()]
    .map(({ s, rules, methods }) => ({
      ...s,
      methods: [...methods].sort(),
      topRules: [...rules]
        .map(([rule, count]) => ({ rule, count }))
        .sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule)),
    }))
    .sort((a, b) => b.attempts - a.attempts || a.source.localeCompare(b.source));
}

export function totals(judged: readonly JudgedAttempt[]): Record<Action, number> {
  const t = emptyActions();
  for (const j of judged) t[j.verdict.intended]++;
  return t;
}
