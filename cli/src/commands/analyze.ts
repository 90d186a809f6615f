import { createGuard, createLogger, type GhostguardConfig } from '@ghostguard/core';
import { analyzeStream, emptyNotJudged, type JudgedAttempt } from '../analyze/analysis.js';
import type { InputProgress } from '../analyze/input-file.js';
import { ProgressLine } from '../analyze/progress.js';
import { DEFAULT_TOP, jsonLine, textReport } from '../analyze/report.js';
import { SourceTally } from '../analyze/source-tally.js';
import type { Output } from '../output.js';

export interface AnalyzeOptions {
  files: string[];
  config: GhostguardConfig;
  json: boolean;
  /** A fresh guard per file (recordings of unrelated scenarios that reuse addresses). */
  separate: boolean;
  /** Guard log lines (bans, verdicts) on stderr at this level. */
  logLevel: GhostguardConfig['log']['level'];
  /** Sources in the text table (the rest summed in one line); default 50. */
  top?: number;
  /** Where a progress line for large inputs goes (stderr when it is a terminal); none when undefined. */
  progress?: (text: string) => void;
}

/**
 * `ghostguard analyze`: the same guard over recorded traffic; prints what it would have done. Inputs are
 * streamed: memory is the guard's bounded state, the reader's, and a few numbers per distinct source.
 */
export async function runAnalyze(opts: AnalyzeOptions, out: Output): Promise<void> {
  const config: GhostguardConfig = { ...opts.config, dataDir: null, log: { level: opts.logLevel } };
  const logger = createLogger(config, process.stderr);
  const tally = new SourceTally();
  const notJudged = emptyNotJudged();
  let bans = 0;
  const countBan = () => {
    bans++;
  };
  let judgedInJson = 0;
  const onJudged = (j: JudgedAttempt): void => {
    if (opts.json) {
      judgedInJson++;
      out.line(jsonLine(j));
    } else tally.add(j);
  };
  let guard = createGuard(config, { logger }).on('ban', countBan);
  try {
    for (const [i, file] of opts.files.entries()) {
      if (opts.separate && i > 0) {
        guard.close();
        guard = createGuard(config, { logger }).on('ban', countBan);
      }
      const progress: InputProgress = { read: 0, size: 0 };
      const line = new ProgressLine(opts.progress, file, progress, () => (opts.json ? judgedInJson : tally.judged));
      line.start();
      try {
        await analyzeStream(file, guard, onJudged, notJudged, progress);
      } finally {
        line.stop();
      }
    }
  } finally {
    guard.close();
  }
  if (opts.json) return;
  out.line(textReport(tally, notJudged, opts.files, bans, opts.top ?? DEFAULT_TOP));
}
