import type { CallAttempt, Guard, Verdict } from '@ghostguard/core';
import { type InputProgress, readInputFile, streamInputFile } from './input-file.js';
import { type InputRecord, NOT_JUDGED_REASONS, type NotJudgedReason } from './records.js';

export interface JudgedAttempt {
  file: string;
  attempt: CallAttempt;
  verdict: Verdict;
  /**
   * Set for a request that did not decode (the decoder's message): judged with `guard.judgeMalformed`, as the
   * live guard judges it; `attempt` then stands in for it (method, source, time).
   */
  undecodable?: string;
}

export interface FileAnalysis {
  file: string;
  judged: JudgedAttempt[];
  notJudged: Record<NotJudgedReason, number>;
}

export function emptyNotJudged(): Record<NotJudgedReason, number> {
  return Object.fromEntries(NOT_JUDGED_REASONS.map((r) => [r, 0])) as Record<NotJudgedReason, number>;
}

/** One record judged (undefined: counted under its not-judged reason). */
function judgeRecord(
  file: string,
  rec: InputRecord,
  guard: Guard,
  notJudged: Record<NotJudgedReason, number>,
): JudgedAttempt | undefined {
  if (rec.kind === 'not-judged') {
    notJudged[rec.reason]++;
    return undefined;
  }
  if (rec.kind === 'undecodable') {
    const verdict = guard.judgeMalformed(rec.malformed);
    return { file, attempt: rec.attempt, verdict, undecodable: rec.malformed.detail };
  }
  return { file, attempt: rec.attempt, verdict: guard.judge(rec.attempt) };
}

/**
 * Judges every attempt of one small file with `guard`, in the file's time order (undecodable requests
 * included), keeping them all (the demo, tests). The CLI streams instead: analyzeStream.
 */
export function analyzeFile(file: string, guard: Guard): FileAnalysis {
  const { records } = readInputFile(file);
  const notJudged = emptyNotJudged();
  const judged: JudgedAttempt[] = [];
  for (const rec of records) {
    const j = judgeRecord(file, rec, guard, notJudged);
    if (j) judged.push(j);
  }
  return { file, judged, notJudged };
}

/**
 * Judges every attempt of one file as it is read, handing each to `onJudged` and keeping none: memory stays
 * what the guard and the reader hold, whatever the file's size. Adds to `notJudged`.
 */
export async function analyzeStream(
  file: string,
  guard: Guard,
  onJudged: (j: JudgedAttempt) => void,
  notJudged: Record<NotJudgedReason, number>,
  progress?: InputProgress,
): Promise<void> {
  for await (const rec of streamInputFile(file, progress)) {
    const j = judgeRecord(file, rec, guard, notJudged);
    if (j) onJudged(j);
  }
}
