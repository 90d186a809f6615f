import { setFlagsFromString } from 'node:v8';
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
 * How far V8 lets the old generation grow past what survived its last full collection, while analyze runs:
 * 1 + this / 100 times (V8's `--heap-growing-percent`; by default it picks up to 4 times for a fast collector).
 *
 * Why (measured with --trace-gc on bench analyzeScale's inputs): what the run holds live is small and bounded, the
 * guard's state at its caps and the reader's (about 35 MB of heap on a 250 MB pcap of 131,000 rotating sources),
 * but the guard's state churns as sources come and go (records created, kept past a young-generation collection,
 * dropped), so the old generation keeps growing by garbage, and with V8's default factor a full collection only
 * comes at about 4 × 35 MB: 250–280 MB max RSS, most of it dead objects. At 1.25 × the heap stays within some
 * 45 MB and max RSS fell to 175 MB on the same input, for a few per cent more time (full collections of a small
 * live heap are cheap, and the readers promote little: they hand records on in 16 KB slices and keep no slices of
 * message text). Nothing is capped: the heap still grows as the guard's state needs (max-old-space-size is left
 * alone). Set for the run, back to V8's default after it, and left alone when node was started with the flag.
 */
const HEAP_GROWING_PERCENT = 25;

function tuneHeapForRun(): () => void {
  if (process.execArgv.some((a) => a.startsWith('--heap-growing-percent'))) return () => {};
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  return () => setFlagsFromString('--heap-growing-percent=0');
}

/**
 * `ghostguard analyze`: the same guard over recorded traffic; prints what it would have done. Inputs are
 * streamed: memory is the guard's bounded state, the reader's, and a per-source table of at most 50,000 sources
 * (a heavy-hitter table past that: source-tally.ts), whatever the input's size.
 */
export async function runAnalyze(opts: AnalyzeOptions, out: Output): Promise<void> {
  const restoreHeap = tuneHeapForRun();
  try {
    await analyzeAll(opts, out);
  } finally {
    restoreHeap();
  }
}

async function analyzeAll(opts: AnalyzeOptions, out: Output): Promise<void> {
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
