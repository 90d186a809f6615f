import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from './ip-address-text.js';
import { ipv6Bytes } from './test-support/capture-builder.js';

describe('ipv6Text (RFC 5952 canonical form)', () => {
  it.each([
    ['2001:0db8:0000:0000:0000:0000:0000:0001', '2001:db8::1'],
    ['2001:0db8:0000:0001:0001:0001:0001:0001', '2001:db8:0:1:1:1:1:1'], // a lone zero group stays
    ['2001:0db8:0000:0000:0001:0000:0000:0001', '2001:db8::1:0:0:1'], // first of two equal runs
    ['2001:0db8:0000:0001:0000:0000:0000:0001', '2001:db8:0:1::1'], // the longer run wins
    ['0000:0000:0000:0000:0000:0000:0000:0000', '::'],
    ['0000:0000:0000:0000:0000:0000:0000:0001', '::1'],
    ['fe80:0000:0000:0000:0000:0000:0000:0000', 'fe80::'],
    ['2001:0DB8:ABCD:0012:0000:0000:0000:FFFF', '2001:db8:abcd:12::ffff'],
  ])('%s -> %s', (full, canonical) => {
    expect(ipv6Text(ipv6Bytes(full), 0)).toBe(canonical);
  });

  it('writes IPv4-mapped addresses with a dotted quad', () => {
    const bytes = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 33);
    expect(ipv6Text(bytes, 0)).toBe('::ffff:192.0.2.33');
  });

  it('reads the address at the given offset', () => {
    const bytes = new Uint8Array(20);
    bytes.set(ipv6Bytes('2001:db8::7'), 4);
    expect(ipv6Text(bytes, 4)).toBe('2001:db8::7');
  });

  it('agrees with the WHATWG URL serializer (also RFC 5952) on random addresses', () => {
    // Zero-heavy groups make runs of zeros, the interesting case for `::` placement.
    const group = fc.oneof(fc.constant(0), fc.constant(0), fc.integer({ min: 0, max: 0xffff }));
    fc.assert(
      fc.property(fc.array(group, { minLength: 8, maxLength: 8 }), (groups) => {
        const full = groups.map((g) => g.toString(16)).join(':');
        const bytes = ipv6Bytes(full);
        const isMapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
        fc.pre(!isMapped); // URL prints mapped addresses in hex; RFC 5952 section 5 prefers the dotted quad
        expect(ipv6Text(bytes, 0)).toBe(new URL(`http://[${full}]/`).hostname.slice(1, -1));
      }),
      { numRuns: 500 },
    );
  });
});

describe('ipv4Text', () => {
  it('writes a dotted quad from the given offset', () => {
    expect(ipv4Text(Uint8Array.of(9, 203, 0, 113, 255), 1)).toBe('203.0.113.255');
  });
});
