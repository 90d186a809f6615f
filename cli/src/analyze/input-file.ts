import { createReadStream, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip, gunzipSync } from 'node:zlib';
import { GhostguardError } from '@ghostguard/core';
import { CaptureStream, captureFormatOf } from '@ghostguard/core/capture';
import { CaptureRecordReader, captureRecords } from './capture-input.js';
import { JsonLinesSplitter, jsonLinesRecords } from './jsonl-input.js';
import type { InputRecord } from './records.js';
import { SipTextSplitter, sipTextRecords } from './sip-text-input.js';

export type InputFormat = 'capture' | 'jsonl' | 'sip-text';

/** Largest input read whole (readInputFile(): tests, the demo); the CLI streams every format. */
const MAX_INPUT_BYTES = 512 * 1024 * 1024;
/** Bytes looked at to tell the format. */
const SNIFF_BYTES = 4096;
const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** The first line of SIP text: a block heading of the recorded fixtures, a request line or a status line. */
const SIP_TEXT_START =
  /^(?:===== (?:request|response) |[!%'*+\-.0-9A-Z_`a-z~]+[ \t]+\S+[ \t]+SIP\/\d|SIP\/\d\.\d[ \t]+\d{3})/;

export function isGzip(bytes: Uint8Array): boolean {
  return bytes[0] === GZIP_MAGIC[0] && bytes[1] === GZIP_MAGIC[1];
}

/**
 * The format of an input by its first bytes (after gunzip): pcap/pcapng by magic, JSON lines by a leading `{`,
 * SIP text by its first line; undefined for anything else (random bytes, HTML, a tarball…).
 */
export function detectFormat(bytes: Uint8Array): InputFormat | undefined {
  if (captureFormatOf(bytes) !== undefined) return 'capture';
  const head = Buffer.from(bytes.subarray(0, SNIFF_BYTES))
    .toString('latin1')
    .replace(/^[\s\uFEFF]+/, '');
  if (head.startsWith('{')) return 'jsonl';
  if (head.startsWith('\u00ef\u00bb\u00bf{')) return 'jsonl';
  // SIP text files may open with `#` comment lines (the recorded fixtures do).
  const lines = head.split('\n');
  let i = 0;
  while (i < lines.length - 1 && (lines[i]!.startsWith('#') || lines[i]!.trim() === '')) i++;
  const first = lines[i]!;
  if (i === lines.length - 1 && first.startsWith('#')) return 'sip-text';
  return SIP_TEXT_START.test(first) ? 'sip-text' : undefined;
}

function unknownFormat(path: string, bytes: Uint8Array, gzipped: boolean): GhostguardError {
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return new GhostguardError(
    'GG_INPUT_FORMAT',
    `${path} at offset 0: not a pcap, pcapng, JSON lines or SIP text input${gzipped ? ' (after gunzip)' : ''}: starts with ${magic || 'nothing (empty)'}`,
    { offset: 0 },
  );
}

/** A GhostguardError from reading `path`, made to name the file (and offset) first. */
function namingFile(path: string, err: unknown): unknown {
  if (!(err instanceof GhostguardError)) return err;
  if (err.message.startsWith(path)) return err;
  const where = err.offset === undefined ? '' : ` at offset ${err.offset}`;
  return new GhostguardError(err.code, `${path}${where}: ${err.message}`, { offset: err.offset, cause: err });
}

/** Reads one small input file whole into records (tests, the demo); gzip by magic. Failures name the file. */
export function readInputFile(path: string): { format: InputFormat; records: InputRecord[] } {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new GhostguardError('GG_INPUT_FORMAT', `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
  const gzipped = isGzip(bytes);
  try {
    if (gzipped) bytes = gunzipSync(bytes, { maxOutputLength: MAX_INPUT_BYTES });
  } catch (err) {
    throw new GhostguardError('GG_INPUT_FORMAT', `${path}: gzip input does not inflate (${(err as Error).message})`, {
      cause: err,
    });
  }
  if (bytes.length > MAX_INPUT_BYTES) {
    throw new GhostguardError('GG_INPUT_FORMAT', `${path}: larger than ${MAX_INPUT_BYTES} bytes`);
  }
  const format = detectFormat(bytes);
  if (format === undefined) throw unknownFormat(path, bytes, gzipped);
  try {
    const records =
      format === 'capture'
        ? [...captureRecords(bytes)]
        : format === 'jsonl'
          ? [...jsonLinesRecords(bytes.toString('utf8'))]
          : [...sipTextRecords(bytes.toString('utf8'))];
    return { format, records };
  } catch (err) {
    throw namingFile(path, err);
  }
}

/** How far a streamed input has been read: bytes of the file itself (compressed ones for gzip) and its size. */
export interface InputProgress {
  read: number;
  size: number;
}

/**
 * Streams one input file into records in constant memory (the readers' own bounded state aside): captures,
 * JSON lines and SIP text; gzip by magic. `progress` is updated as the file
 * is read. Failures are GhostguardErrors naming the file (and offset); an unknown format is GG_INPUT_FORMAT at
 * offset 0.
 */
export async function* streamInputFile(
  path: string,
  progress: InputProgress = { read: 0, size: 0 },
): AsyncGenerator<InputRecord> {
  let gzipped: boolean;
  try {
    progress.size = statSync(path).size;
    gzipped = await peekGzip(path);
  } catch (err) {
    throw new GhostguardError('GG_INPUT_FORMAT', `${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
  const source = gzipped ? gunzipped(path, progress) : fileChunks(path, progress);
  async function* chunks(): AsyncGenerator<Uint8Array> {
    try {
      yield* source;
    } catch (err) {
      if (err instanceof GhostguardError) throw err;
      const what = gzipped ? 'gzip input does not inflate' : 'cannot read';
      throw new GhostguardError('GG_INPUT_FORMAT', `${what} (${(err as Error).message})`, { cause: err });
    }
  }
  try {
    yield* recordsOf(path, chunks(), gzipped);
  } catch (err) {
    throw namingFile(path, err);
  } finally {
    await source.return(undefined);
  }
}

/** Bytes read from a file at a time, into one buffer reused for the whole file. */
const READ_BYTES = 256 * 1024;
/** Bytes handed to a format's reader at a time (see recordsOf). */
const SLICE_BYTES = 16 * 1024;

/**
 * The file's bytes, READ_BYTES at a time, every chunk a view of the same buffer: valid until the next one is
 * asked for (the readers copy what they keep). A stream would allocate a new buffer per chunk, and the dead ones
 * pile up outside the JS heap between collections (tens of MB on a large capture).
 */
async function* fileChunks(path: string, progress: InputProgress): AsyncGenerator<Uint8Array> {
  const h = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(READ_BYTES);
    for (;;) {
      const { bytesRead } = await h.read(buf, 0, READ_BYTES, null);
      if (bytesRead === 0) return;
      progress.read += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await h.close();
  }
}

/** A gzip file's inflated bytes as zlib hands them out (progress counts the compressed bytes read). */
async function* gunzipped(path: string, progress: InputProgress): AsyncGenerator<Uint8Array> {
  const file = createReadStream(path, { highWaterMark: 64 * 1024 });
  file.on('data', (c) => {
    progress.read += c.length;
  });
  const gunzip = createGunzip();
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  try {
    yield* gunzip as AsyncIterable<Buffer>;
  } finally {
    file.destroy();
    gunzip.destroy();
  }
}

/** Whether the file starts with gzip's magic (two bytes read). */
async function peekGzip(path: string): Promise<boolean> {
  const h = await open(path, 'r');
  try {
    const b = Buffer.alloc(2);
    await h.read(b, 0, 2, 0);
    return isGzip(b);
  } finally {
    await h.close();
  }
}

async function* recordsOf(
  path: string,
  chunks: AsyncGenerator<Uint8Array>,
  gzipped: boolean,
): AsyncGenerator<InputRecord> {
  // Enough bytes to tell the format, copied (a chunk is a view of a buffer the next read reuses).
  const pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let done = false;
  while (pendingBytes < SNIFF_BYTES) {
    const r = await chunks.next();
    if (r.done) {
      done = true;
      break;
    }
    pending.push(Uint8Array.prototype.slice.call(r.value));
    pendingBytes += r.value.length;
  }
  const head = Buffer.concat(pending, pendingBytes);
  const format = detectFormat(head);
  if (format === undefined) throw unknownFormat(path, head, gzipped);
  // Handed on in slices: a reader turns a slice into records that all live until the slice is done (a capture's
  // events, a text's lines); a whole 256 KB read's worth would outlive a young-generation collection and be
  // promoted, every read (the major collections that follow are what large inputs cost in RSS).
  async function* all(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < head.length; i += SLICE_BYTES) yield head.subarray(i, i + SLICE_BYTES);
    if (done) return;
    for (let r = await chunks.next(); !r.done; r = await chunks.next()) {
      const c = r.value;
      for (let i = 0; i < c.length; i += SLICE_BYTES) yield c.subarray(i, i + SLICE_BYTES);
    }
  }
  if (format === 'capture') {
    const stream = new CaptureStream();
    const reader = new CaptureRecordReader();
    for await (const c of all()) for (const ev of stream.push(c)) yield* reader.read(ev);
    for (const ev of stream.end()) yield* reader.read(ev);
    return;
  }
  if (format === 'jsonl') {
    const splitter = new JsonLinesSplitter();
    for await (const c of all()) yield* splitter.push(c);
    yield* splitter.end();
    return;
  }
  const splitter = new SipTextSplitter();
  for await (const c of all()) yield* splitter.push(c);
  yield* splitter.end();
}
