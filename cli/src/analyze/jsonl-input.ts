import { StringDecoder } from 'node:string_decoder';
import { CallAttemptSchema, GhostguardError } from '@ghostguard/core';
import type { InputRecord } from './records.js';

/** Longest line taken: a CallAttempt is a few KB; anything past this is not one. */
const MAX_LINE_BYTES = 1024 * 1024;

/** One line, validated by the core's schema; a bad line stops the file with its line number and offset. */
function lineRecord(line: string, lineNo: number, lineOffset: number): InputRecord | undefined {
  if (line.trim() === '') return undefined;
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
  return { kind: 'attempt', attempt: parsed.data };
}

/** One CallAttempt per line, from a whole text. */
export function* jsonLinesRecords(text: string): Generator<InputRecord> {
  const splitter = new JsonLinesSplitter();
  yield* splitter.push(Buffer.from(text, 'utf8'));
  yield* splitter.end();
}

/**
 * JSON lines as they arrive in chunks: holds one unfinished line (at most MAX_LINE_BYTES), counts lines and
 * byte offsets for error messages.
 */
export class JsonLinesSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private carryBytes = 0;
  private lineNo = 0;
  private offset = 0;

  *push(chunk: Uint8Array): Generator<InputRecord> {
    let text = this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let nl = text.indexOf('\n');
    if (nl === -1) {
      this.carry += text;
      this.carryBytes += chunk.length;
      if (this.carryBytes > MAX_LINE_BYTES) {
        throw new GhostguardError('GG_INPUT_FORMAT', `line ${this.lineNo + 1}: longer than ${MAX_LINE_BYTES} bytes`, {
          offset: this.offset,
        });
      }
      return;
    }
    let from = 0;
    while (nl !== -1) {
      const line = this.carry + text.slice(from, nl);
      this.carry = '';
      this.carryBytes = 0;
      yield* this.line(line);
      from = nl + 1;
      nl = text.indexOf('\n', from);
    }
    this.carry = text.slice(from);
    this.carryBytes = Buffer.byteLength(this.carry, 'utf8');
    text = '';
  }

  *end(): Generator<InputRecord> {
    const last = this.carry + this.decoder.end();
    this.carry = '';
    if (last !== '') yield* this.line(last);
  }

  private *line(line: string): Generator<InputRecord> {
    this.lineNo++;
    const at = this.offset;
    this.offset += Buffer.byteLength(line, 'utf8') + 1;
    const r = lineRecord(line, this.lineNo, at);
    if (r !== undefined) yield r;
  }
}
