import { isIP } from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CidrSet } from './cidr-set.js';
import { maskV6Key, parseIp, prefixKey } from './ip.js';

describe('parseIp', () => {
  it('canonicalizes IPv4, IPv6 (RFC 5952) and IPv4-mapped IPv6', () => {
    expect(parseIp('192.0.2.1')?.text).toBe('192.0.2.1');
    expect(parseIp('2001:DB8:0:0:0:0:0:1')?.text).toBe('2001:db8::1');
    expect(parseIp('2001:db8:0:0:1:0:0:1')?.text).toBe('2001:db8::1:0:0:1');
    expect(parseIp('[::1]')?.text).toBe('::1');
    expect(parseIp('fe80::1%eth0')?.text).toBe('fe80::1');
    expect(parseIp('::ffff:198.51.100.7')).toMatchObject({ family: 4, text: '198.51.100.7' });
  });

  it('refuses what is not an address', () => {
    for (const bad of [
      '',
      '1.2.3',
      '1.2.3.4.5',
      '256.1.1.1',
      '01.2.3.4',
      'example.com',
      '1::2::3',
      '12345::',
      ':::',
      'g::1',
    ]) {
      expect(parseIp(bad), bad).toBeUndefined();
    }
  });

  it('agrees with node:net on random IPv4 and IPv6 text', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (s) => {
        expect(parseIp(s) !== undefined).toBe(isIP(s) !== 0);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on junk', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => void parseIp(s)),
      { numRuns: 3000 },
    );
  });

  it('derives /24 and /64 prefix keys', () => {
    expect(prefixKey(parseIp('198.51.100.77')!, 24, 64)).toBe('198.51.100.0/24');
    expect(prefixKey(parseIp('2001:db8:1:2:aaaa::1')!, 24, 64)).toBe('2001:db8:1:2::/64');
  });

  it('gives IPv6 addresses the same map key exactly when they share the prefix', () => {
    const key = (ip: string, len: number) => maskV6Key(parseIp(ip)!.v6, len);
    expect(key('2001:db8:1:2:aaaa::1', 64)).toBe(key('2001:db8:1:2::ffff', 64));
    expect(key('2001:db8:1:2::1', 64)).not.toBe(key('2001:db8:1:3::1', 64));
    // /44 keeps the top 12 bits of the third group.
    expect(key('2a0e:97c0:3ef::1', 44)).toBe(key('2a0e:97c0:3e0::1', 44));
    expect(key('2a0e:97c0:3f0::1', 44)).not.toBe(key('2a0e:97c0:3e0::1', 44));
    expect(key('::1', 0)).toBe('');
    expect(key('::1', 128)).not.toBe(key('::2', 128));
  });
});

describe('CidrSet', () => {
  it('matches the most specific network, v4 and v6', () => {
    const s = new CidrSet();
    s.add('10.0.0.0/8', 'corp');
    s.add('10.1.2.0/24', 'lab');
    s.add('2001:db8::/32', 'v6');
    s.add('192.0.2.7');
    expect(s.match(parseIp('10.1.2.3')!)?.label).toBe('lab');
    expect(s.match(parseIp('10.9.9.9')!)?.label).toBe('corp');
    expect(s.match(parseIp('11.0.0.1')!)).toBeUndefined();
    expect(s.match(parseIp('2001:db8:ffff::1')!)?.label).toBe('v6');
    expect(s.match(parseIp('2001:db9::1')!)).toBeUndefined();
    expect(s.match(parseIp('192.0.2.7')!)?.cidr).toBe('192.0.2.7');
    expect(s.size).toBe(4);
  });

  it('finds the most specific IPv4 network as a brute-force scan does, small sets (scanned) and large (maps)', () => {
    const net = fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }));
    fc.assert(
      fc.property(
        fc.array(net, { maxLength: 40 }),
        fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 20 }),
        (nets, probes) => {
          const s = new CidrSet();
          const text = (v: number) => `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
          const mask = (len: number) => (len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0);
          const kept = new Map<string, { net: number; len: number; label: string }>();
          nets.forEach(([v, len], i) => {
            const n = (v & mask(len)) >>> 0;
            s.add(`${text(v)}/${len}`, `n${i}`);
            kept.set(`${n}/${len}`, { net: n, len, label: `n${i}` });
          });
          for (const p of [...probes, ...nets.map(([v]) => v)]) {
            let best: { len: number; label: string } | undefined;
            for (const k of kept.values()) {
              if ((p & mask(k.len)) >>> 0 === k.net && (best === undefined || k.len > best.len)) best = k;
            }
            expect(s.match(parseIp(text(p))!)?.label).toBe(best?.label);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses bad CIDR text with a typed error', () => {
    const s = new CidrSet();
    for (const bad of ['10.0.0.0/33', 'x/8', '10.0.0.0/', '2001:db8::/129']) {
      expect(() => s.add(bad), bad).toThrow(expect.objectContaining({ code: 'GG_CONFIG_INVALID' }));
    }
  });
});
