import { CallAttemptSchema, GhostguardError } from '@ghostguard/core';
import type { InputRecord } from './records.js';

/** One CallAttempt per line, validated by the core's schema; a bad line stops the file with its line and offset. */
export function* jsonLinesRecords(text: string): Generator<InputRecord> {
  let offset = 0;
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const lineOffset = offset;
    offset += Buffer.byteLength(line, 'utf8') + 1;
    if (line.trim() === '') continue;
    let data: unknown;
    try {
      data = JSON.parse(line);
    } catch (err) {
      throw new GhostguardError('GG_INPUT_FORMAT', `line ${lineNo}: not JSON (${(err as Error).message})`, {
        offset: lineOffset,
      });
    }
    const parsed = CallAttemptSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new GhostguardError(
        'GG_INPUT_FORMAT',
        `line ${lineNo}: not a CallAttempt: ${issue.path.join('.') || '(line)'}: ${issue.message}`,
        { offset: lineOffset },
      );
    }
    yield { kind: 'attempt', attempt: parsed.data };
  }
}
