import { describe, expect, it } from 'vitest';
import { canonicalElement, parseListing } from './listing.js';
import { orderSlots, trustRanges } from './ruleset.js';

/**
 * `nft -j list table inet gg` as nft 1.0.6 printed it on this machine (Linux 6.18), for a table with an address set
 * (flags timeout), a prefix set (flags interval, timeout) and an IPv6 set: the shapes parseListing reads.
 */
const RECORDED = JSON.stringify({
  nftables: [
    { metainfo: { version: '1.0.6', release_name: 'Lester Gooch #5', json_schema_version: 1 } },
    { table: { family: 'inet', name: 'gg', handle: 1 } },
    {
      set: {
        family: 'inet',
        name: 'ban4',
        table: 'gg',
        type: 'ipv4_addr',
        handle: 2,
        flags: ['timeout'],
        elem: [
          { elem: { val: '10.1.0.5', timeout: 1, expires: 1 } },
          { elem: { val: '10.1.0.6', timeout: 7776000, expires: 7775999 } },
        ],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'net4_24',
        table: 'gg',
        type: 'ipv4_addr',
        handle: 3,
        flags: ['interval', 'timeout'],
        elem: [{ elem: { val: { prefix: { addr: '10.2.0.0', len: 24 } }, timeout: 3600, expires: 3600 } }],
      },
    },
    {
      set: {
        family: 'inet',
        name: 'ban6',
        table: 'gg',
        type: 'ipv6_addr',
        handle: 4,
        flags: ['timeout'],
        elem: [{ elem: { val: 'fd00::5', timeout: 10, expires: 9 } }],
      },
    },
    {
      set: { family: 'inet', name: 'trust4', table: 'gg', type: 'ipv4_addr', flags: ['interval'], elem: ['192.0.2.7'] },
    },
    {
      chain: {
        family: 'inet',
        table: 'gg',
        name: 'input',
        handle: 1,
        type: 'filter',
        hook: 'input',
        prio: -200,
        policy: 'accept',
      },
    },
  ],
});

describe('reading nft’s JSON listing', () => {
  it('reads the elements of the bouncer’s sets with their ends, and skips the trust set', () => {
    const kernel = parseListing(RECORDED, 1_000_000);
    expect([...kernel.keys()].sort()).toEqual(['ban4', 'ban6', 'net4_24']);
    expect(kernel.get('ban4')).toEqual(
      new Map([
        ['10.1.0.5', 1_001_000],
        ['10.1.0.6', 1_000_000 + 7_775_999_000],
      ]),
    );
    expect(kernel.get('net4_24')).toEqual(new Map([['10.2.0.0/24', 1_000_000 + 3_600_000]]));
    expect(kernel.get('ban6')).toEqual(new Map([['fd00::5', 1_009_000]]));
  });

  it('refuses what is not nft’s JSON with GG_FIREWALL_LIST_INVALID', () => {
    expect(() => parseListing('Error: no such table', 0)).toThrow(
      expect.objectContaining({ code: 'GG_FIREWALL_LIST_INVALID' }),
    );
    expect(() => parseListing('{"nftables": 3}', 0)).toThrow(
      expect.objectContaining({ code: 'GG_FIREWALL_LIST_INVALID' }),
    );
  });

  it('spells the guard’s prefixes and nft’s the same way', () => {
    expect(canonicalElement('2001:db8:0:0::/64')).toBe('2001:db8::/64');
    expect(canonicalElement('2001:DB8::1')).toBe('2001:db8::1');
    expect(canonicalElement('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(canonicalElement('198.51.100.0/33')).toBeUndefined();
    expect(canonicalElement('not an address')).toBeUndefined();
  });
});

describe('the trust sets', () => {
  it('merges overlapping and adjacent allowlist entries into disjoint ranges, IPv4 and IPv6', () => {
    expect(
      trustRanges([
        '10.0.0.0/8',
        '10.1.0.0/16',
        '192.0.2.7',
        '192.0.2.8/31',
        { address: '2001:db8::/48' },
        '2001:db8:0:1::/64',
        '::ffff:198.51.100.0/120',
      ]),
    ).toEqual({
      v4: ['10.0.0.0-10.255.255.255', '192.0.2.7-192.0.2.9', '198.51.100.0-198.51.100.255'],
      v6: ['2001:db8::-2001:db8:0:ffff:ffff:ffff:ffff:ffff'],
    });
  });

  it('orders rules: lifted passes, address drops, then prefix drops longest first', () => {
    expect(orderSlots(['net4_16', 'net6_48', 'net4_24', 'net4_22', 'net6_64']).map((s) => s.name)).toEqual([
      'lifted4',
      'lifted6',
      'ban4',
      'ban6',
      'net4_24',
      'net4_22',
      'net4_16',
      'net6_64',
      'net6_48',
    ]);
  });
});
