import { GhostguardError } from '../errors.js';
import { hex, latin1Text } from './text.js';

/**
 * Bit reader for ASN.1 PER, ALIGNED variant (X.691), over a window of one buffer.
 *
 * Every read is checked against the bits actually present, so no length taken from the input can
 * make the reader allocate or walk past its window: a hostile length fails at once. Open types narrow
 * the window (openTypeBegin/openTypeEnd) rather than making a new reader, so offsets in errors are
 * offsets in `buf`. The decoders keep the field path up to date with enter()/leave(), so an error names
 * the field where decoding stopped.
 */

/** Deepest nesting of decoded fields; H.225 SETUPs need about 12. */
export const PER_MAX_DEPTH = 32;

const EMPTY = new Uint8Array(0);

/**
 * What a quiet reader throws where another throws GhostguardError('GG_H323_DECODE'): the same message and
 * offset, without the stack trace an Error captures (which costs more than decoding a whole SETUP). Only the
 * attempt decoder reads quietly, and it turns the stop into an anomaly of the attempt.
 */
export class PerDecodeStop {
  constructor(
    readonly message: string,
    readonly offset: number,
  ) {}
}

export class PerReader {
  buf: Uint8Array;
  /** Absolute bit position in `buf`. */
  pos: number;
  /** Bit position just past the window (narrowed while inside an open type). */
  end: number;
  /** Field names of the path, valid up to `depth` (a fixed array: no push/pop on the hot path). */
  private readonly names: string[] = new Array<string>(PER_MAX_DEPTH).fill('');
  private depth = 0;
  /** Fail with PerDecodeStop instead of GhostguardError (set by the decoder for one decode). */
  quiet = false;

  constructor(buf: Uint8Array = EMPTY, startByte = 0, endByte = buf.length) {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = endByte * 8;
  }

  /** Points the reader at a new window and clears the path (decoders reuse one reader). */
  reset(buf: Uint8Array, startByte = 0, endByte = buf.length): this {
    this.buf = buf;
    this.pos = startByte * 8;
    this.end = endByte * 8;
    this.depth = 0;
    return this;
  }

  /** Drops the buffer, so a reused reader does not keep the last message alive. */
  release(): void {
    this.buf = EMPTY;
    this.pos = 0;
    this.end = 0;
  }

  /** buf[at, at+n) as one char per byte, trailing NULs dropped (C strings sent with their terminator). */
  latin1(at: number, n: number): string {
    return latin1Text(this.buf, at, at + n);
  }

  /** buf[at, at+n) as lower-case hex. */
  hex(at: number, n: number): string {
    return hex(this.buf, at, at + n);
  }

  /** Pushes a field name on the path; bounded, so nesting cannot run away. */
  enter(field: string): void {
    if (this.depth >= PER_MAX_DEPTH) this.fail(`nesting deeper than ${PER_MAX_DEPTH}`);
    this.names[this.depth++] = field;
  }

  leave(): void {
    this.depth--;
  }

  /** Current field path, e.g. `h323-uu-pdu.setup.sourceInfo.vendor.productId`. */
  fieldPath(): string {
    return this.names.slice(0, this.depth).join('.');
  }

  fail(message: string): never {
    const where = this.depth > 0 ? this.fieldPath() : '(top)';
    const text = `H.225 ${where}: ${message} (at bit ${this.pos})`;
    if (this.quiet) throw new PerDecodeStop(text, this.pos >>> 3);
    throw new GhostguardError('GG_H323_DECODE', text, { offset: this.pos >>> 3 });
  }

  private need(bits: number): void {
    if (bits > this.end - this.pos) {
      this.fail(`needs ${bits} more bits, ${Math.max(0, this.end - this.pos)} left`);
    }
  }

  bit(): number {
    if (this.pos >= this.end) this.fail('needs 1 more bit, 0 left');
    return this.bitAt(this.pos++);
  }

  /** The bit at absolute position p (the caller has checked that p is inside the window). */
  private bitAt(p: number): number {
    return (this.buf[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  bool(): boolean {
    return this.bit() === 1;
  }

  /** Reads an unsigned number of n bits (0 <= n <= 32), most significant first. */
  bits(n: number): number {
    if (n === 0) return 0;
    this.need(n);
    const p = this.pos;
    const i = p >>> 3;
    if (n <= 16 && i + 2 < this.buf.length) {
      // Fast path: the bits sit in the 24-bit window at i (within the buffer; `need` checked the window end).
      const b = this.buf;
      const w = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
      this.pos = p + n;
      return (w >>> (24 - (p & 7) - n)) & ((1 << n) - 1);
    }
    let v = 0;
    let q = p;
    let left = n;
    while (left > 0) {
      const byte = this.buf[q >>> 3]!;
      const avail = 8 - (q & 7);
      const take = Math.min(avail, left);
      const chunk = (byte >>> (avail - take)) & ((1 << take) - 1);
      v = v * (1 << take) + chunk;
      q += take;
      left -= take;
    }
    this.pos = q;
    return v;
  }

  /** Skips to the next octet boundary (no-op when aligned). */
  align(): void {
    const p = (this.pos + 7) & ~7;
    if (p > this.end) this.fail('padding runs past the end');
    this.pos = p;
  }

  /** Aligned octet. */
  octet(): number {
    this.align();
    this.need(8);
    const v = this.buf[this.pos >>> 3]!;
    this.pos += 8;
    return v;
  }

  /** Aligned big-endian 16-bit value. */
  u16(): number {
    this.align();
    this.need(16);
    const i = this.pos >>> 3;
    this.pos += 16;
    return (this.buf[i]! << 8) | this.buf[i + 1]!;
  }

  /** Skips n aligned octets and returns the index in `buf` of the first: read them from there, no view made. */
  octetsAt(n: number): number {
    this.align();
    this.need(n * 8);
    const i = this.pos >>> 3;
    this.pos += n * 8;
    return i;
  }

  skipBits(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /**
   * Constrained whole number in 0..range-1 (X.691 10.5.7, aligned): a minimal bit-field up to 255,
   * one aligned octet for 256, two for up to 64K, else a length-prefixed aligned value.
   */
  constrained(range: number): number {
    if (range <= 1) return 0;
    if (range <= 255) return this.bits(bitsFor(range));
    if (range === 256) return this.octet();
    if (range <= 65536) return this.u16();
    // Indefinite-range style: length in octets (1..4) as a bit-field, then the octets.
    const octetsBits = bitsFor(Math.ceil(Math.log2(range) / 8));
    const n = this.bits(octetsBits) + 1;
    this.align();
    return this.bits(n * 8);
  }

  /**
   * Unconstrained (or ub >= 64K) length determinant (X.691 11.9.3.5-8): aligned, 1 or 2 octets.
   * Fragmented lengths (16K units) never occur in a call-signalling message under the TPKT cap:
   * refused rather than reassembled.
   */
  length(): number {
    const first = this.octet();
    if ((first & 0x80) === 0) return first;
    if ((first & 0x40) === 0) return ((first & 0x3f) << 8) | this.octet();
    this.fail(`fragmented length (${first & 0x3f} x 16K) not supported`);
  }

  /** Normally small non-negative whole number (X.691 11.6): choice extension indexes, bitmap lengths. */
  smallNumber(): number {
    if (this.bit() === 0) return this.bits(6);
    const n = this.length();
    if (n < 1 || n > 4) this.fail(`normally small number of ${n} octets`);
    this.align();
    return this.bits(n * 8);
  }

  /**
   * Moves past the extension-addition bitmap of a SEQUENCE whose extension bit was set (X.691 19.7-8) and
   * returns its length n. No array is made: bit i (addition i present) is `presentAt(bitmap, i)`, with
   * `bitmap = r.pos - n` taken before reading the additions.
   */
  extensionBitmap(): number {
    const n = this.bit() === 0 ? this.bits(6) + 1 : this.length();
    if (n === 0) this.fail('empty extension bitmap');
    this.need(n);
    this.pos += n;
    return n;
  }

  /** Bit i of a bitmap at bit position `bitmap` that extensionBitmap() has checked and passed. */
  presentAt(bitmap: number, i: number): boolean {
    return this.bitAt(bitmap + i) === 1;
  }

  /**
   * Reads an open type's length and confines this reader to its octets until openTypeEnd(). Returns the
   * outer bound to hand back to openTypeEnd().
   */
  openTypeBegin(): number {
    const n = this.length();
    this.align();
    this.need(n * 8);
    const saved = this.end;
    this.end = this.pos + n * 8;
    return saved;
  }

  /** Moves past the open type begun last, whatever was read of it, and restores the outer bound. */
  openTypeEnd(saved: number): void {
    this.pos = this.end;
    this.end = saved;
  }

  /** Skips an open type (unknown extension addition or alternative) by its length, never guessing its content. */
  skipOpenType(): void {
    const n = this.length();
    this.align();
    this.need(n * 8);
    this.pos += n * 8;
  }
}

/** Bits needed for values 0..range-1. */
export function bitsFor(range: number): number {
  let b = 0;
  while (1 << b < range) b++;
  return b;
}
