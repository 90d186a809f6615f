import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { collectText } from './h225-decode.js';
import { H225_MAX_FASTSTART_TEXT } from './h225-types.js';

/** The byte-by-byte definition collectText's probing scan must match. */
function reference(bytes: Uint8Array, from: number, to: number): string[] {
  const out: string[] = [];
  const alnum = (b: number) => (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a);
  let start = -1;
  let letter = false;
  for (let i = from; i <= to; i++) {
    const b = i < to ? bytes[i]! : 0;
    if (b >= 0x20 && b <= 0x7e) {
      if (start < 0) {
        start = i;
        letter = false;
      }
      if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) letter = true;
      continue;
    }
    while (start >= 0 && start < i && !alnum(bytes[start]!)) start++;
    if (start >= 0 && i - start >= 5 && letter) {
      const s = String.fromCharCode(...bytes.subarray(start, Math.min(i, start + 64)));
      if (!out.includes(s)) out.push(s);
      if (out.length >= H225_MAX_FASTSTART_TEXT) return out;
    }
    start = -1;
  }
  return out;
}

/** Bytes mixing binary, printable runs of every length around the minimum, and codec names. */
const proposal = fc
  .array(
    fc.oneof(
      fc.uint8Array({ maxLength: 12 }),
      fc.stringMatching(/^[ -~]{0,9}$/).map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0))),
      fc.constantFrom('speex sr=16000', '&Speex', 'G.711', 'ab1-2', '  x9').map((s) => Buffer.from(s, 'latin1')),
    ),
    { maxLength: 12 },
  )
  .map((parts) => Uint8Array.from(parts.flatMap((p) => [...p])));

describe('fastStart text scan', () => {
  it('finds exactly the runs a byte-by-byte scan finds, in the same order', () => {
    fc.assert(
      fc.property(proposal, fc.nat(), fc.nat(), (bytes, a, b) => {
        const from = bytes.length === 0 ? 0 : a % bytes.length;
        const to = from + (bytes.length === from ? 0 : b % (bytes.length - from + 1));
        const out: string[] = [];
        collectText(bytes, from, to, out);
        expect(out).toEqual(reference(bytes, from, to));
      }),
      { numRuns: 3000 },
    );
  });
});
