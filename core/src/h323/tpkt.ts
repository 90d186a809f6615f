import { GhostguardError } from '../errors.js';

/** RFC 1006 TPKT header: version 3, reserved 0, 16-bit length that counts the header. */
export const TPKT_HEADER_BYTES = 4;
export const TPKT_VERSION = 3;
/** The largest payload a TPKT length can describe. */
export const TPKT_MAX_PAYLOAD_BYTES = 0xffff - TPKT_HEADER_BYTES;

export interface TpktFramerOptions {
  /** Largest payload accepted (default and upper bound: TPKT_MAX_PAYLOAD_BYTES). */
  maxFrameBytes?: number;
}

const EMPTY = new Uint8Array(0);
const INITIAL_CAPACITY = 1024;

/**
 * Cuts a TCP byte stream into TPKT payloads (RFC 1006 §6, as H.225.0 call signalling uses it).
 *
 * Memory is bounded: at most one header plus one payload of at most `maxFrameBytes` is held, and a
 * frame's declared length is checked against the cap before anything is buffered for it. Empty TPKTs
 * (length 4, the H.323 keep-alive) are consumed and not returned. A bad version or reserved octet, or a
 * length below 4, throws GG_H323_DECODE; a payload over the cap throws GG_H323_TOO_LARGE. Either way the
 * stream's framing is lost: the framer keeps its error and rethrows it on every push() until reset().
 */
export class TpktFramer {
  readonly #max: number;
  #buf: Uint8Array = EMPTY;
  #len = 0;
  /** Stream offset of #buf[0], for error offsets. */
  #streamOffset = 0;
  #failure: GhostguardError | undefined;

  constructor(opts: TpktFramerOptions = {}) {
    const max = opts.maxFrameBytes ?? TPKT_MAX_PAYLOAD_BYTES;
    this.#max = Math.max(0, Math.min(Math.floor(max), TPKT_MAX_PAYLOAD_BYTES));
  }

  /** Bytes held for an unfinished frame. */
  get bufferedBytes(): number {
    return this.#len;
  }

  /** Feeds bytes from the stream; returns the payloads (without the header) of the frames they complete, as copies. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#failure !== undefined) throw this.#failure;
    const out: Uint8Array[] = [];
    try {
      let offset = 0;
      while (offset < chunk.length) {
        const need = this.#bytesWanted();
        const n = Math.min(need - this.#len, chunk.length - offset);
        this.#append(chunk, offset, n);
        offset += n;
        this.#drain(out);
      }
    } catch (err) {
      this.#fail(err);
      throw err;
    }
    return out;
  }

  /** Forgets everything (buffer and any failure), ready for a new stream. */
  reset(): void {
    this.#buf = EMPTY;
    this.#len = 0;
    this.#streamOffset = 0;
    this.#failure = undefined;
  }

  #fail(err: unknown): void {
    this.reset();
    this.#failure =
      err instanceof GhostguardError
        ? err
        : new GhostguardError('GG_H323_DECODE', 'TPKT framing failed', { cause: err });
  }

  /** Total bytes the current frame needs (its header until the header is complete). */
  #bytesWanted(): number {
    if (this.#len < TPKT_HEADER_BYTES) return TPKT_HEADER_BYTES;
    return (this.#buf[2]! << 8) | this.#buf[3]!;
  }

  #append(chunk: Uint8Array, offset: number, n: number): void {
    const needed = this.#len + n;
    if (needed > this.#buf.length) {
      let capacity = Math.max(this.#buf.length, INITIAL_CAPACITY);
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(Math.min(capacity, TPKT_HEADER_BYTES + this.#max));
      grown.set(this.#buf.subarray(0, this.#len));
      this.#buf = grown;
    }
    this.#buf.set(chunk.subarray(offset, offset + n), this.#len);
    this.#len = needed;
  }

  #drain(out: Uint8Array[]): void {
    if (this.#len < TPKT_HEADER_BYTES) return;
    const b = this.#buf;
    if (this.#len === TPKT_HEADER_BYTES) this.#checkHeader();
    const total = (b[2]! << 8) | b[3]!;
    if (this.#len < total) return;
    if (total > TPKT_HEADER_BYTES) out.push(b.slice(TPKT_HEADER_BYTES, total));
    this.#streamOffset += total;
    this.#len = 0;
    // One large frame must not pin a big buffer on an idle connection.
    if (this.#buf.length > INITIAL_CAPACITY) this.#buf = EMPTY;
  }

  /** Validates a just-completed header before any byte of its payload is buffered. */
  #checkHeader(): void {
    const problem = tpktHeaderProblem(this.#buf.subarray(0, TPKT_HEADER_BYTES), 0, this.#max);
    if (problem !== undefined) {
      throw new GhostguardError(problem.code, problem.message, { offset: this.#streamOffset + problem.offset });
    }
  }
}

export interface TpktHeaderProblem {
  code: 'GG_H323_DECODE' | 'GG_H323_TOO_LARGE';
  message: string;
  /** Of the offending octet, from the header's start. */
  offset: number;
}

/**
 * What is wrong with the TPKT header at `bytes[at…]`, as far as its bytes are there (a partial header is
 * checked octet by octet): a version other than 3, a reserved octet other than 0, a length below the header's
 * own, a payload over `maxPayload`. undefined when nothing is (yet). TpktFramer throws what this returns.
 */
export function tpktHeaderProblem(bytes: Uint8Array, at: number, maxPayload: number): TpktHeaderProblem | undefined {
  const left = bytes.length - at;
  if (left >= 1 && bytes[at] !== TPKT_VERSION) {
    return { code: 'GG_H323_DECODE', message: `TPKT version ${bytes[at]} is not 3 (not TPKT)`, offset: 0 };
  }
  if (left >= 2 && bytes[at + 1] !== 0) {
    return { code: 'GG_H323_DECODE', message: `TPKT reserved octet is ${bytes[at + 1]}, not 0`, offset: 1 };
  }
  if (left < TPKT_HEADER_BYTES) return undefined;
  const total = (bytes[at + 2]! << 8) | bytes[at + 3]!;
  if (total < TPKT_HEADER_BYTES) {
    return { code: 'GG_H323_DECODE', message: `TPKT length ${total} is shorter than its header`, offset: 2 };
  }
  if (total - TPKT_HEADER_BYTES > maxPayload) {
    const message = `TPKT payload of ${total - TPKT_HEADER_BYTES} bytes exceeds ${maxPayload}`;
    return { code: 'GG_H323_TOO_LARGE', message, offset: 2 };
  }
  return undefined;
}

/** Wraps a payload in a TPKT header. */
export function encodeTpkt(payload: Uint8Array): Uint8Array {
  if (payload.length > TPKT_MAX_PAYLOAD_BYTES) {
    throw new GhostguardError(
      'GG_INTERNAL_ARGUMENT',
      `TPKT payload of ${payload.length} bytes exceeds ${TPKT_MAX_PAYLOAD_BYTES}`,
    );
  }
  const out = new Uint8Array(TPKT_HEADER_BYTES + payload.length);
  out[0] = TPKT_VERSION;
  out[2] = (out.length >> 8) & 0xff;
  out[3] = out.length & 0xff;
  out.set(payload, TPKT_HEADER_BYTES);
  return out;
}
