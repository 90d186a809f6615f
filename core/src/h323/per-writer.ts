import { GhostguardError } from '../errors.js';
import { bitsFor } from './per-reader.js';

/**
 * Bit writer for ASN.1 PER, ALIGNED variant: the mirror of PerReader for the few messages ghostguard
 * sends (and the SETUPs its tests build). Grows as needed; `bytes()` pads the last octet with zeros.
 */
export class PerWriter {
  private buf = new Uint8Array(256);
  /** Bits written. */
  private pos = 0;

  private ensure(bits: number): void {
    const needed = (this.pos + bits + 7) >>> 3;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buf);
    this.buf = grown;
  }

  bit(v: boolean | number): this {
    this.ensure(1);
    if (v) this.buf[this.pos >>> 3]! |= 0x80 >>> (this.pos & 7);
    this.pos++;
    return this;
  }

  /** Writes the low n bits of v (n <= 32), most significant first. */
  bits(v: number, n: number): this {
    for (let i = n - 1; i >= 0; i--) this.bit(Math.floor(v / 2 ** i) % 2);
    return this;
  }

  align(): this {
    this.ensure(8);
    this.pos = (this.pos + 7) & ~7;
    return this;
  }

  octet(v: number): this {
    return this.align().bits(v & 0xff, 8);
  }

  u16(v: number): this {
    return this.align().bits(v & 0xffff, 16);
  }

  octets(data: Uint8Array): this {
    this.align();
    this.ensure(data.length * 8);
    this.buf.set(data, this.pos >>> 3);
    this.pos += data.length * 8;
    return this;
  }

  /** Constrained whole number in 0..range-1 (see PerReader.constrained). */
  constrained(v: number, range: number): this {
    if (range <= 1) return this;
    if (range <= 255) return this.bits(v, bitsFor(range));
    if (range === 256) return this.octet(v);
    if (range <= 65536) return this.u16(v);
    let n = 1;
    while (n < 4 && v >= 2 ** (8 * n)) n++;
    this.bits(n - 1, bitsFor(Math.ceil(Math.log2(range) / 8)));
    return this.align().bits(v, n * 8);
  }

  /** Unconstrained length determinant (below 16K). */
  length(n: number): this {
    if (n < 0 || n >= 16384) throw new GhostguardError('GG_INTERNAL_ARGUMENT', `PER length ${n} out of range`);
    return n < 128 ? this.octet(n) : this.u16(0x8000 | n);
  }

  smallNumber(v: number): this {
    if (v < 64) return this.bit(0).bits(v, 6);
    return this.bit(1).length(1).octet(v);
  }

  /** Extension bitmap for `count` additions, `present` being the indexes of those encoded. */
  extensionBitmap(count: number, present: ReadonlySet<number>): this {
    this.bit(0).bits(count - 1, 6);
    for (let i = 0; i < count; i++) this.bit(present.has(i));
    return this;
  }

  /** Encodes `inner` as an open type: its own octet-padded encoding (at least one octet), length first. */
  openType(inner: (w: PerWriter) => void): this {
    const w = new PerWriter();
    inner(w);
    const encoded = w.bytes();
    const data = encoded.length === 0 ? new Uint8Array(1) : encoded;
    return this.length(data.length).octets(data);
  }

  bytes(): Uint8Array {
    const n = (this.pos + 7) >>> 3;
    return this.buf.slice(0, n);
  }
}
