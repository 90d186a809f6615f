import type { JudgedAttempt } from './analysis.js';
import type { NotJudgedReason } from './records.js';
import { SourceTally } from './source-tally.js';
import { renderTable } from './text-table.js';

/** Sources shown in the text report unless `--top` says otherwise. */
export const DEFAULT_TOP = 50;

/** `--json`: one line per judged attempt; an undecodable request's line says why (`undecodable`). */
export function jsonLine(j: JudgedAttempt): string {
  const a = j.attempt;
  return JSON.stringify({
    time: new Date(a.time).toISOString(),
    source: a.source.port === undefined ? a.source.ip : `${a.source.ip}:${a.source.port}`,
    protocol: a.protocol,
    method: a.method,
    target: `${a.target.user ?? ''}${a.target.host ? `@${a.target.host}` : ''}`,
    action: j.verdict.intended,
    ...(j.verdict.monitor ? { enforced: j.verdict.action } : {}),
    score: j.verdict.score,
    reasons: j.verdict.reasons.map((r) => ({ rule: r.rule, weight: r.weight, detail: r.detail })),
    ...(j.undecodable !== undefined ? { undecodable: j.undecodable } : {}),
    file: j.file,
  });
}

/** The per-source table of a tally: the `top` busiest sources, then one line for all the others. */
export function tallyTable(tally: SourceTally, top = DEFAULT_TOP, maxRules = 3): string {
  const { rows, rest } = tally.top(top);
  const body: Array<Array<string | number>> = rows.map((s) => [
    s.source,
    s.attempts,
    s.byAction.allow,
    s.byAction.reject,
    s.byAction.drop,
    s.byAction.tarpit,
    s.methods.join(','),
    s.topRules
      .slice(0, maxRules)
      .map((r) => `${r.rule} (${r.count})`)
      .join(', ') || '-',
  ]);
  if (rest.sources > 0) {
    body.push([
      `(${rest.sources.toLocaleString('en-US')} other sources)`,
      rest.attempts,
      rest.byAction.allow,
      rest.byAction.reject,
      rest.byAction.drop,
      rest.byAction.tarpit,
      '',
      '',
    ]);
  }
  return renderTable(['source', 'attempts', 'allow', 'reject', 'drop', 'tarpit', 'methods', 'top reasons'], body);
}

/** The per-source table of judged attempts held in memory (the demo). */
export function sourceTable(judged: readonly JudgedAttempt[], maxRules = 3, top = Number.POSITIVE_INFINITY): string {
  const tally = new SourceTally();
  for (const j of judged) tally.add(j);
  return tallyTable(tally, Number.isFinite(top) ? top : tally.sources, maxRules);
}

export function textReport(
  tally: SourceTally,
  notJudged: Record<NotJudgedReason, number>,
  files: readonly string[],
  banCount: number,
  top = DEFAULT_TOP,
): string {
  const t = tally.totals;
  const u = tally.undecodable;
  const skipped = Object.entries(notJudged)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  return [
    tallyTable(tally, top),
    '',
    `files: ${files.length}   attempts judged: ${tally.judged}   allow ${t.allow}, reject ${t.reject}, drop ${t.drop}, tarpit ${t.tarpit}   bans set: ${banCount}   sources: ${tally.sources}`,
    `undecodable: ${tally.undecodableCount}${tally.undecodableCount > 0 ? ` (judged as the live guard judges them: allow ${u.allow}, reject ${u.reject}, drop ${u.drop}, tarpit ${u.tarpit})` : ''}`,
    `not judged: ${skipped || 'nothing'}`,
  ].join('\n');
}
