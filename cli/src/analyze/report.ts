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

/** A count of sources: exact, or rounded and marked `about` when the tally estimated it (more than it holds). */
function sourceCount(n: number, estimated: boolean): string {
  if (!estimated) return n.toLocaleString('en-US');
  const rounded = n >= 1000 ? Math.round(n / 100) * 100 : n;
  return `about ${rounded.toLocaleString('en-US')}`;
}

/**
 * The per-source table of a tally: the `top` busiest sources, then one line for all the others. A source that
 * entered the tally's full table late is marked `*` and a note under the table says how many attempts it may
 * have had before (they are in the last line).
 */
export function tallyTable(tally: SourceTally, top = DEFAULT_TOP, maxRules = 3): string {
  const { rows, rest } = tally.top(top);
  let earlier = 0;
  const body: Array<Array<string | number>> = rows.map((s) => {
    earlier = Math.max(earlier, s.earlier);
    return [
      s.earlier > 0 ? `${s.source} *` : s.source,
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
    ];
  });
  if (rest.sources > 0) {
    body.push([
      `(${sourceCount(rest.sources, tally.estimated)} other sources)`,
      rest.attempts,
      rest.byAction.allow,
      rest.byAction.reject,
      rest.byAction.drop,
      rest.byAction.tarpit,
      '',
      '',
    ]);
  }
  const table = renderTable(
    ['source', 'attempts', 'allow', 'reject', 'drop', 'tarpit', 'methods', 'top reasons'],
    body,
  );
  if (earlier === 0) return table;
  return `${table}\n* counted from when the source entered the table of the ${tally.capacity.toLocaleString('en-US')} busiest sources (the input has more): up to ${earlier.toLocaleString('en-US')} earlier attempts of it are in the last line`;
}

/** The per-source table of judged attempts held in memory (the demo). */
export function sourceTable(judged: readonly JudgedAttempt[], maxRules = 3, top = Number.POSITIVE_INFINITY): string {
  // Every source a row: the table holds them all (a list in memory is small).
  const tally = new SourceTally(Math.max(judged.length, 1));
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
    `files: ${files.length}   attempts judged: ${tally.judged}   allow ${t.allow}, reject ${t.reject}, drop ${t.drop}, tarpit ${t.tarpit}   bans set: ${banCount}   sources: ${tally.estimated ? `${sourceCount(tally.sources, true)} (estimated: more than the ${tally.capacity.toLocaleString('en-US')} the table holds)` : tally.sources}`,
    `undecodable: ${tally.undecodableCount}${tally.undecodableCount > 0 ? ` (judged as the live guard judges them: allow ${u.allow}, reject ${u.reject}, drop ${u.drop}, tarpit ${u.tarpit})` : ''}`,
    `not judged: ${skipped || 'nothing'}`,
  ].join('\n');
}
