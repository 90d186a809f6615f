import { GhostguardError } from '../errors.js';
import { copyBytes, latin1 } from './bytes.js';
import { parseContentLength } from './content-length.js';
import { canonicalHeaderName } from './header-names.js';
import { CR, isLws, LF } from './tokens.js';

/** Default cap on bytes held for one unfinished message (same as the parser's message cap). */
export const SIP_STREAM_MAX_BUFFERED_BYTES = 64 * 1024;

export interface SipStreamFramerOptions {
  maxBufferedBytes?: number;
}

const EMPTY = new Uint8Array(0);
const INITIAL_CAPACITY = 4096;

/**
 * Cuts a SIP-over-TCP byte stream into messages (RFC 3261 §18.3): the head up to the empty line,
 * then exactly Content-Length body bytes (0 when absent, as the stream cannot tell otherwise).
 * CRLF keep-alives between messages (RFC 5626 §3.5.1) are skipped. Bare-LF heads are accepted
 * like the parser accepts them.
 *
 * Memory is bounded: at most `maxBufferedBytes` are held for an unfinished message; the buffer
 * grows by doubling up to that cap and is released once a large message has gone out.
 * A message that cannot complete within the cap throws GG_SIP_TOO_LARGE (as soon as its
 * Content-Length says so); a Content-Length that is not a number, or two that disagree, throws
 * GG_SIP_PARSE. Either way this stream's message boundaries are lost, so the framer drops its
 * buffer and stays *unusable*: every later push() rethrows the same error until reset().
 * Close the connection.
 */
export class SipStreamFramer {
  readonly #max: number;
  #buf: Uint8Array = EMPTY;
  /** Bytes held; buf[0] is the start of an unfinished message. */
  #len = 0;
  /** Where the search for the end of the head resumes (the head is never rescanned). */
  #scanFrom = 0;
  /** Total length of the unfinished message once its head is known, else -1. */
  #messageLength = -1;
  /** Stream position of buf[0], for error offsets. */
  #streamOffset = 0;
  #failure: GhostguardError | undefined;

  constructor(options: SipStreamFramerOptions = {}) {
    this.#max = options.maxBufferedBytes ?? SIP_STREAM_MAX_BUFFERED_BYTES;
  }

  /** Bytes held for an unfinished message. */
  get bufferedBytes(): number {
    return this.#len;
  }

  /** Feeds bytes from the stream; returns the messages they complete, each as its own copy. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== undefined) throw this.#failure;
    const messages: Uint8Array[] = [];
    try {
      // Feed at most what fits, cut what completes, repeat: a huge chunk of small messages is fine.
      let offset = 0;
      while (offset < chunk.length) {
        const n = Math.min(this.#max - this.#len, chunk.length - offset);
        this.#append(chunk, offset, n);
        offset += n;
        this.#drain(messages);
      }
    } catch (err) {
      this.#fail(err);
      throw err;
    }
    return messages;
  }

  /** Forgets everything (buffer and any failure), ready for a new stream. */
  reset(): void {
    this.#buf = EMPTY;
    this.#len = 0;
    this.#scanFrom = 0;
    this.#messageLength = -1;
    this.#streamOffset = 0;
    this.#failure = undefined;
  }

  #fail(err: unknown): void {
    this.reset();
    this.#failure =
      err instanceof GhostguardError ? err : new GhostguardError('GG_SIP_PARSE', 'framing failed', { cause: err });
  }

  #append(chunk: Uint8Array, offset: number, n: number): void {
    const needed = this.#len + n;
    if (needed > this.#buf.length) {
      let capacity = Math.max(this.#buf.length, INITIAL_CAPACITY);
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, this.#max));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk.subarray(offset, offset + n), this.#len);
    this.#len = needed;
  }

  #drain(messages: Uint8Array[]): void {
    const view = this.#buf.subarray(0, this.#len);
    const len = view.length;
    let start = 0;
    for (;;) {
      if (this.#messageLength < 0) {
        // Keep-alive CRLFs (and stray LFs) between messages.
        while (start < len && (view[start] === CR || view[start] === LF)) start++;
        if (start === len) break;
        const headEnd = this.#findHeadEnd(view, start);
        if (headEnd < 0) break;
        const bodyLength = contentLengthOf(view, start, headEnd, this.#streamOffset);
        // Compared before any buffering: a hostile Content-Length never sizes an allocation.
        if (headEnd - start + bodyLength > this.#max) {
          throw new GhostguardError('GG_SIP_TOO_LARGE', `message would exceed ${this.#max} bytes`, {
            offset: this.#streamOffset + start,
          });
        }
        this.#messageLength = headEnd - start + bodyLength;
      }
      if (len - start < this.#messageLength) break;
      messages.push(copyBytes(view, start, start + this.#messageLength));
      start += this.#messageLength;
      this.#messageLength = -1;
      this.#scanFrom = 0;
    }

    if (start > 0) {
      this.#buf.copyWithin(0, start, len);
      this.#len -= start;
      this.#streamOffset += start;
      // One large message must not pin a cap-sized buffer on an idle connection.
      if (this.#len === 0 && this.#buf.length > INITIAL_CAPACITY) this.#buf = EMPTY;
    }
    if (this.#len >= this.#max) {
      throw new GhostguardError('GG_SIP_TOO_LARGE', `unfinished message exceeds ${this.#max} bytes`, {
        offset: this.#streamOffset,
      });
    }
  }

  /** Index just after the empty line ending the head that starts at `start`, or -1 if not yet buffered. */
  #findHeadEnd(view: Uint8Array, start: number): number {
    const len = view.length;
    let i = start + this.#scanFrom;
    for (;;) {
      const nl = view.indexOf(LF, i);
      if (nl === -1) {
        i = len;
        break;
      }
      const next = nl + 1;
      if (next < len && view[next] === LF) return next + 1;
      if (next < len && view[next] === CR && next + 1 < len && view[next + 1] === LF) return next + 2;
      // Not sure yet whether the next line is empty: resume at this LF once more bytes arrive.
      if (next >= len || (view[next] === CR && next + 1 >= len)) {
        i = nl;
        break;
      }
      i = next;
    }
    this.#scanFrom = i - start;
    return -1;
  }
}

/** Content-Length of the head in view[start, headEnd), 0 when absent (RFC 3261 §18.3). */
function contentLengthOf(view: Uint8Array, start: number, headEnd: number, streamOffset: number): number {
  const head = latin1(view, start, headEnd);
  let length: number | undefined;
  let pos = 0;
  while (pos < head.length) {
    const nl = head.indexOf('\n', pos);
    const lineEnd = nl === -1 ? head.length : nl;
    const first = head.charCodeAt(pos) | 0x20;
    // Only lines that can name Content-Length (or its compact `l`) are looked at.
    if (first === 0x63 /* c */ || first === 0x6c /* l */) {
      const colon = head.indexOf(':', pos);
      if (
        colon !== -1 &&
        colon < lineEnd &&
        canonicalHeaderName(trimEnd(head.slice(pos, colon))) === 'content-length'
      ) {
        const valueEnd = lineEnd > colon && head.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
        const value = parseContentLength(head.slice(colon + 1, valueEnd));
        if (value === undefined || (length !== undefined && value !== length)) {
          throw new GhostguardError('GG_SIP_PARSE', 'invalid or conflicting Content-Length', {
            offset: streamOffset + start + pos,
          });
        }
        length = value;
      }
    }
    pos = lineEnd + 1;
  }
  return length ?? 0;
}

function trimEnd(s: string): string {
  let e = s.length;
  while (e > 0 && isLws(s.charCodeAt(e - 1))) e--;
  return s.slice(0, e);
}
