import { describe, expect, it } from 'vitest';
import { formatIpv6 } from '../net/ip.js';
import { bmpText, hex, ipv4Text, ipv6Text, latin1Text } from './text.js';

/** Deterministic pseudo-random bytes (LCG), biased towards zeros so NUL trimming and `::` runs occur. */
function randomBytes(seed: number, n: number): Uint8Array {
  let x = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const r = x >>> 24;
    out[i] = r < 96 ? 0 : r < 160 ? r & 15 : (x >>> 8) & 255;
  }
  return out;
}

/** The char-by-char definitions the scratch-buffer helpers must match. */
function refLatin1(b: Uint8Array, s: number, e: number): string {
  let end = e;
  while (end > s && b[end - 1] === 0) end--;
  let out = '';
  for (let i = s; i < end; i++) out += String.fromCharCode(b[i]!);
  return out;
}

function refBmp(b: Uint8Array, s: number, e: number): string {
  let end = s + ((e - s) & ~1);
  while (end - s >= 2 && b[end - 2] === 0 && b[end - 1] === 0) end -= 2;
  let out = '';
  for (let i = s; i < end; i += 2) out += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
  return out;
}

describe('wire text helpers', () => {
  it('hex, latin1Text and bmpText (lone surrogates included) match their char-by-char definitions', () => {
    for (let k = 0; k < 2000; k++) {
      const b = randomBytes(k, (k * 7) % 1100);
      const s = b.length === 0 ? 0 : k % b.length;
      const ref = Array.from(b.subarray(s), (x) => x.toString(16).padStart(2, '0')).join('');
      expect(hex(b, s, b.length)).toBe(ref);
      expect(latin1Text(b, s, b.length)).toBe(refLatin1(b, s, b.length));
      expect(bmpText(b, s, b.length)).toBe(refBmp(b, s, b.length));
    }
  });

  it('ipv4Text writes every octet value as a dotted quad does', () => {
    for (let v = 0; v < 256; v++) {
      const b = Uint8Array.of(v, 255 - v, v >> 1, 7);
      expect(ipv4Text(b)).toBe(`${v}.${255 - v}.${v >> 1}.7`);
    }
    expect(ipv4Text(Uint8Array.of(9, 192, 0, 2, 1), 1)).toBe('192.0.2.1');
  });

  it('ipv6Text writes what net/ip formatIpv6 writes', () => {
    for (let k = 0; k < 5000; k++) {
      const b = randomBytes(k, 16);
      const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
      expect(ipv6Text(b)).toBe(formatIpv6(groups));
    }
  });
});
