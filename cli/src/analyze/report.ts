import type { JudgedAttempt } from './analysis.js';
import type { NotJudgedReason } from './records.js';
import { summarizeBySource, totals } from './summary.js';
import { renderTable } from './text-table.js';

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

export function sourceTable(judged: readonly JudgedAttempt[], maxRules = 3): string {
  const rows = summarizeBySource(judged).map((s) => [
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
  return renderTable(['source', 'attempts', 'allow', 'reject', 'drop', 'tarpit', 'methods', 'top reasons'], rows);
}

export function textReport(
  judged: readonly JudgedAttempt[],
  notJudged: Record<NotJudgedReason, number>,
  files: readonly string[],
  banCount: number,
): string {
  const t = totals(judged);
  const undecodable = judged.filter((j) => j.undecodable !== undefined);
  const u = totals(undecodable);
  const skipped = Object.entries(notJudged)
    .filter(([, n]) => n > 0)
    .map(([r, n]) => `${n} ${r}`)
    .join(', ');
  return [
    sourceTable(judged),
    '',
    `files: ${files.length}   attempts judged: ${judged.length}   allow ${t.allow}, reject ${t.reject}, drop ${t.drop}, tarpit ${t.tarpit}   bans set: ${banCount}`,
    `undecodable: ${undecodable.length}${undecodable.length > 0 ? ` (judged as the live guard judges them: allow ${u.allow}, reject ${u.reject}, drop ${u.drop}, tarpit ${u.tarpit})` : ''}`,
    `not judged: ${skipped || 'nothing'}`,
  ].join('\n');
}
