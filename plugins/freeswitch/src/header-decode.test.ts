import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHeaderValue } from './header-decode.js';

describe('header value decoding', () => {
  it('decodes what FreeSWITCH encodes', () => {
    expect(decodeHeaderValue('Sat,%2021%20Nov%202026%2020%3A38%3A08%20GMT')).toEqual({
      value: 'Sat, 21 Nov 2026 20:38:08 GMT',
      malformed: false,
    });
    expect(decodeHeaderValue('plain')).toEqual({ value: 'plain', malformed: false });
  });

  it('keeps malformed escapes as text and says so', () => {
    expect(decodeHeaderValue('friendly-scanner%')).toEqual({ value: 'friendly-scanner%', malformed: true });
    expect(decodeHeaderValue('a%ZZb%41')).toEqual({ value: 'a%ZZbA', malformed: true });
    expect(decodeHeaderValue('%E0%A4%')).toMatchObject({ malformed: true });
  });

  it('never throws, whatever the input (the trap that crashes a modesl app)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 64 }), (s) => {
        const d = decodeHeaderValue(s);
        expect(typeof d.value).toBe('string');
      }),
      { numRuns: 2_000 },
    );
  });
});
