import { createGuard, createLogger, type GhostguardConfig } from '@ghostguard/core';
import { analyzeFile, type FileAnalysis } from '../analyze/analysis.js';
import { NOT_JUDGED_REASONS, type NotJudgedReason } from '../analyze/records.js';
import { jsonLine, textReport } from '../analyze/report.js';
import type { Output } from '../output.js';

export interface AnalyzeOptions {
  files: string[];
  config: GhostguardConfig;
  json: boolean;
  /** A fresh guard per file (recordings of unrelated scenarios that reuse addresses). */
  separate: boolean;
  /** Guard log lines (bans, verdicts) on stderr at this level. */
  logLevel: GhostguardConfig['log']['level'];
}

/** `ghostguard analyze`: the same guard over recorded traffic; prints what it would have done. */
export function runAnalyze(opts: AnalyzeOptions, out: Output): void {
  const config: GhostguardConfig = { ...opts.config, dataDir: null, log: { level: opts.logLevel } };
  const logger = createLogger(config, process.stderr);
  const analyses: FileAnalysis[] = [];
  let bans = 0;
  const countBan = () => {
    bans++;
  };
  let guard = createGuard(config, { logger }).on('ban', countBan);
  try {
    for (const file of opts.files) {
      if (opts.separate && analyses.length > 0) {
        guard.close();
        guard = createGuard(config, { logger }).on('ban', countBan);
      }
      const a = analyzeFile(file, guard);
      analyses.push(a);
      if (opts.json) for (const j of a.judged) out.line(jsonLine(j));
    }
  } finally {
    guard.close();
  }
  if (opts.json) return;
  const notJudged = Object.fromEntries(NOT_JUDGED_REASONS.map((r) => [r, 0])) as Record<NotJudgedReason, number>;
  for (const a of analyses) for (const r of NOT_JUDGED_REASONS) notJudged[r] += a.notJudged[r];
  out.line(
    textReport(
      analyses.flatMap((a) => a.judged),
      notJudged,
      opts.files,
      bans,
    ),
  );
}
