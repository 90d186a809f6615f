import { GhostguardError } from '../errors.js';
import { maskV4, maskV6Key, type ParsedIp, parseIp } from './ip.js';

export interface CidrEntry {
  cidr: string;
  /** Free text shown in verdict reasons (peer name, list file, feed). */
  label: string;
}

/**
 * A set of networks with O(number of distinct prefix lengths) lookup: one hash map per prefix
 * length present. Large deny lists (feeds with tens of thousands of /32s) stay fast because they
 * use few distinct lengths.
 */
/** Most IPv4 networks kept for a linear scan (see CidrSet.v4Small). */
const SMALL_V4 = 16;

export class CidrSet {
  private readonly v4 = new Map<number, Map<number, CidrEntry>>();
  private readonly v6 = new Map<number, Map<string, CidrEntry>>();
  /** (length, map) pairs, longest prefix first: the lookup loop touches no outer map. */
  private v4ByLength: Array<[number, Map<number, CidrEntry>]> = [];
  private v6ByLength: Array<[number, Map<string, CidrEntry>]> = [];
  private count = 0;
  /**
   * While the IPv4 networks are few (allowlists, small deny lists), the same networks as (network, mask)
   * pairs, longest prefix first, with their entries: a linear scan of a few integers beats a map lookup
   * per prefix length. Dropped once the set grows past SMALL_V4.
   */
  private v4Small: Int32Array | undefined = new Int32Array(0);
  private v4SmallEntries: CidrEntry[] = [];

  get size(): number {
    return this.count;
  }

  /** Adds `1.2.3.0/24`, `2001:db8::/32` or a bare address. Throws GG_CONFIG_INVALID on bad text. */
  add(cidr: string, label = cidr): void {
    const slash = cidr.indexOf('/');
    const addrText = slash >= 0 ? cidr.slice(0, slash) : cidr;
    const ip = parseIp(addrText.trim());
    if (!ip) throw new GhostguardError('GG_CONFIG_INVALID', `not an IP address or CIDR: ${JSON.stringify(cidr)}`);
    const maxLen = ip.family === 4 ? 32 : 128;
    const lenText = slash >= 0 ? cidr.slice(slash + 1).trim() : String(maxLen);
    const len = /^\d{1,3}$/.test(lenText) ? Number(lenText) : Number.NaN;
    // IPv4-mapped IPv6 prefixes (::ffff:0:0/96 and longer) are stored as IPv4.
    const effectiveLen = ip.family === 4 && addrText.includes(':') ? len - 96 : len;
    if (!(effectiveLen >= 0 && effectiveLen <= maxLen)) {
      throw new GhostguardError('GG_CONFIG_INVALID', `bad prefix length in ${JSON.stringify(cidr)}`);
    }
    const entry: CidrEntry = { cidr, label };
    if (ip.family === 4) {
      let byLen = this.v4.get(effectiveLen);
      if (!byLen) {
        byLen = new Map();
        this.v4.set(effectiveLen, byLen);
        this.v4ByLength = [...this.v4.entries()].sort((a, b) => b[0] - a[0]);
      }
      if (!byLen.has(maskV4(ip.v4, effectiveLen))) this.count++;
      byLen.set(maskV4(ip.v4, effectiveLen), entry);
      this.rebuildSmallV4();
    } else {
      let byLen = this.v6.get(effectiveLen);
      if (!byLen) {
        byLen = new Map();
        this.v6.set(effectiveLen, byLen);
        this.v6ByLength = [...this.v6.entries()].sort((a, b) => b[0] - a[0]);
      }
      const key = maskV6Key(ip.v6, effectiveLen);
      if (!byLen.has(key)) this.count++;
      byLen.set(key, entry);
    }
  }

  private rebuildSmallV4(): void {
    let n = 0;
    for (const [, byNet] of this.v4ByLength) n += byNet.size;
    if (n > SMALL_V4) {
      this.v4Small = undefined;
      this.v4SmallEntries = [];
      return;
    }
    const pairs = new Int32Array(2 * n);
    const entries: CidrEntry[] = [];
    for (const [len, byNet] of this.v4ByLength) {
      for (const [net, entry] of byNet) {
        pairs[2 * entries.length] = net | 0;
        pairs[2 * entries.length + 1] = maskV4(0xffffffff, len) | 0;
        entries.push(entry);
      }
    }
    this.v4Small = pairs;
    this.v4SmallEntries = entries;
  }

  /** The most specific entry containing `ip`, if any. */
  match(ip: ParsedIp): CidrEntry | undefined {
    if (ip.family === 4) {
      const small = this.v4Small;
      if (small !== undefined) {
        const v = ip.v4 | 0;
        for (let i = 0; i < small.length; i += 2)
          if ((v & small[i + 1]!) === small[i]) return this.v4SmallEntries[i >> 1];
        return undefined;
      }
      for (const [len, byNet] of this.v4ByLength) {
        const hit = byNet.get(maskV4(ip.v4, len));
        if (hit) return hit;
      }
      return undefined;
    }
    for (const [len, byNet] of this.v6ByLength) {
      const hit = byNet.get(maskV6Key(ip.v6, len));
      if (hit) return hit;
    }
    return undefined;
  }

  /** Every network's text as it was added (`1.2.3.0/24`, a bare address), IPv4 first. */
  *cidrs(): IterableIterator<string> {
    for (const byNet of this.v4.values()) for (const e of byNet.values()) yield e.cidr;
    for (const byNet of this.v6.values()) for (const e of byNet.values()) yield e.cidr;
  }

  clear(): void {
    this.v4.clear();
    this.v6.clear();
    this.v4Small = new Int32Array(0);
    this.v4SmallEntries = [];
    this.v4ByLength = [];
    this.v6ByLength = [];
    this.count = 0;
  }
}
