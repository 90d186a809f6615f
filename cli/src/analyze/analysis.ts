import type { CallAttempt, Guard, Verdict } from '@ghostguard/core';
import { readInputFile } from './input-file.js';
import { NOT_JUDGED_REASONS, type NotJudgedReason } from './records.js';

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

/** Judges every attempt of one file with `guard`, in the file's time order (undecodable requests included). */
export function analyzeFile(file: string, guard: Guard): FileAnalysis {
  const { records } = readInputFile(file);
  const notJudged = Object.fromEntries(NOT_JUDGED_REASONS.map((r) => [r, 0])) as Record<NotJudgedReason, number>;
  const judged: JudgedAttempt[] = [];
  for (const rec of records) {
    if (rec.kind === 'not-judged') notJudged[rec.reason]++;
    else if (rec.kind === 'undecodable') {
      const verdict = guard.judgeMalformed(rec.malformed);
      judged.push({ file, attempt: rec.attempt, verdict, undecodable: rec.malformed.detail });
    } else judged.push({ file, attempt: rec.attempt, verdict: guard.judge(rec.attempt) });
  }
  return { file, judged, notJudged };
}
