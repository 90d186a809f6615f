import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GhostguardError } from '../errors.js';
import { formatIpv6 } from '../net/ip.js';
import { PerReader } from './per-reader.js';
import { PerWriter } from './per-writer.js';
import { bmpText, ipv6Text, latin1Text } from './text.js';

/** One PER primitive: how to write it and read it back. */
type Op =
  | { kind: 'bits'; n: number; v: number }
  | { kind: 'constrained'; range: number; v: number }
  | { kind: 'length'; v: number }
  | { kind: 'small'; v: number }
  | { kind: 'octets'; v: Uint8Array };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc
    .integer({ min: 1, max: 32 })
    .chain((n) =>
      fc.record({ kind: fc.constant('bits' as const), n: fc.constant(n), v: fc.integer({ min: 0, max: 2 ** n - 1 }) }),
    ),
  fc.constantFrom(2, 3, 7, 128, 255, 256, 257, 512, 65_536, 2 ** 32).chain((range) =>
    fc.record({
      kind: fc.constant('constrained' as const),
      range: fc.constant(range),
      v: fc.integer({ min: 0, max: range - 1 }),
    }),
  ),
  fc.record({ kind: fc.constant('length' as const), v: fc.integer({ min: 0, max: 16_383 }) }),
  fc.record({ kind: fc.constant('small' as const), v: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('octets' as const), v: fc.uint8Array({ maxLength: 20 }) }),
);

describe('PER reader and writer', () => {
  it('read back every sequence of primitives the writer wrote, at the same positions', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
        const w = new PerWriter();
        for (const o of ops) {
          if (o.kind === 'bits') w.bits(o.v, o.n);
          else if (o.kind === 'constrained') w.constrained(o.v, o.range);
          else if (o.kind === 'length') w.length(o.v);
          else if (o.kind === 'small') w.smallNumber(o.v);
          else w.octets(o.v);
        }
        const bytes = w.bytes();
        const r = new PerReader(bytes);
        for (const o of ops) {
          if (o.kind === 'bits') expect(r.bits(o.n)).toBe(o.v);
          else if (o.kind === 'constrained') expect(r.constrained(o.range)).toBe(o.v);
          else if (o.kind === 'length') expect(r.length()).toBe(o.v);
          else if (o.kind === 'small') expect(r.smallNumber()).toBe(o.v);
          else expect(Buffer.from(bytes.subarray(r.octetsAt(o.v.length), r.pos >>> 3))).toEqual(Buffer.from(o.v));
        }
        expect(bytes.length * 8 - r.pos).toBeLessThan(8);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses to read past its window, with the offset and the field path', () => {
    const r = new PerReader(Uint8Array.of(0xff, 0xff, 0xff), 1, 2);
    r.enter('a');
    r.enter('b');
    expect(r.bits(8)).toBe(0xff);
    let err: unknown;
    try {
      r.bit();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GhostguardError);
    expect((err as GhostguardError).message).toBe('H.225 a.b: needs 1 more bit, 0 left (at bit 16)');
    expect((err as GhostguardError).offset).toBe(2);
  });

  it('confines open types to their length and resumes after them', () => {
    const w = new PerWriter().openType((o) => o.octets(Uint8Array.of(1, 2, 3))).octet(9);
    const r = new PerReader(w.bytes());
    const saved = r.openTypeBegin();
    expect(r.octet()).toBe(1);
    expect(() => r.octetsAt(3)).toThrow(/needs 24 more bits, 16 left/);
    r.openTypeEnd(saved);
    expect(r.octet()).toBe(9);
  });
});

describe('wire text', () => {
  it('writes IPv6 exactly as net/ip formatIpv6 does', () => {
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const bytes = new Uint8Array(18);
        groups.forEach((g, i) => {
          bytes[2 + i * 2] = g >> 8;
          bytes[3 + i * 2] = g & 0xff;
        });
        expect(ipv6Text(bytes, 2)).toBe(formatIpv6(groups));
      }),
      { numRuns: 3000 },
    );
  });

  it('drops trailing NULs of C strings', () => {
    expect(latin1Text(Uint8Array.of(0x41, 0x42, 0, 0))).toBe('AB');
    expect(latin1Text(Uint8Array.of(0, 0, 0))).toBe('');
    expect(bmpText(Uint8Array.of(0, 0x41, 0x20, 0xac, 0, 0))).toBe('A€');
  });
});
