import { readFileSync } from 'node:fs';
import { GhostguardError } from '@ghostguard/core';
import { captureFormatOf } from '@ghostguard/core/capture';
import { captureRecords } from './capture-input.js';
import { jsonLinesRecords } from './jsonl-input.js';
import type { InputRecord } from './records.js';
import { sipTextRecords } from './sip-text-input.js';

export type InputFormat = 'capture' | 'jsonl' | 'sip-text';

/** Largest input file read whole (captures are read into memory). */
const MAX_INPUT_BYTES = 512 * 1024 * 1024;

export function detectFormat(bytes: Uint8Array): InputFormat {
  if (captureFormatOf(bytes) !== undefined) return 'capture';
  const head = Buffer.from(bytes.subarray(0, 64)).toString('utf8').trimStart();
  return head.startsWith('{') ? 'jsonl' : 'sip-text';
}

/** Reads one input file into records; every failure is a GhostguardError naming the file (and offset). */
export function readInputFile(path: string): { format: InputFormat; records: InputRecord[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new GhostguardError('GG_INPUT_FORMAT', `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new GhostguardError('GG_INPUT_FORMAT', `${path}: larger than ${MAX_INPUT_BYTES} bytes`);
  }
  const format = detectFormat(bytes);
  try {
    const records =
      format === 'capture'
        ? [...captureRecords(bytes)]
        : format === 'jsonl'
          ? [...jsonLinesRecords(bytes.toString('utf8'))]
          : [...sipTextRecords(bytes.toString('utf8'))];
    return { format, records };
  } catch (err) {
    if (err instanceof GhostguardError) {
      const where = err.offset === undefined ? '' : ` at offset ${err.offset}`;
      const message = err.message.startsWith(path) ? err.message : `${path}${where}: ${err.message}`;
      throw new GhostguardError(err.code, message, { offset: err.offset, cause: err });
    }
    throw err;
  }
}
