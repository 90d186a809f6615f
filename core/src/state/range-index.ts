import { formatIpv4, formatIpv6, maskV4, maskV6Key, type ParsedIp, parseIp } from '../net/ip.js';

/** A network given as text: its canonical form, the family, the prefix length and the masked key. */
export interface ParsedRange {
  /** `198.51.100.0/22`, `2001:db8:ab00::/40` (RFC 5952 for IPv6). */
  text: string;
  family: 4 | 6;
  len: number;
  base: ParsedIp;
}

/**
 * Parses `net/len` (no host bits below the prefix: `1.2.3.4/8` is refused, the network is `1.0.0.0/8`), or
 * undefined. IPv4-mapped IPv6 networks are not ranges here (write the IPv4 network).
 */
export function parseRange(text: string): ParsedRange | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const addrText = text.slice(0, slash);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return undefined;
  const base = parseIp(addrText);
  if (base === undefined || (base.family === 4 && addrText.includes(':'))) return undefined;
  const len = Number(lenText);
  if (len > (base.family === 4 ? 32 : 128)) return undefined;
  if (base.family === 4) {
    const net = maskV4(base.v4, len);
    if (net !== base.v4) return undefined;
    return { text: `${formatIpv4(net)}/${len}`, family: 4, len, base };
  }
  const masked = base.v6.map((g, i) => {
    const bits = Math.min(16, Math.max(0, len - i * 16));
    return bits === 0 ? 0 : g & ((0xffff << (16 - bits)) & 0xffff);
  });
  if (masked.some((g, i) => g !== base.v6[i])) return undefined;
  return { text: `${formatIpv6(masked)}/${len}`, family: 6, len, base };
}

/** True when `ip` is inside the network `r`. */
export function rangeHas(r: ParsedRange, ip: ParsedIp): boolean {
  if (ip.family !== r.family) return false;
  return r.family === 4
    ? maskV4(ip.v4, r.len) === maskV4(r.base.v4, r.len)
    : maskV6Key(ip.v6, r.len) === maskV6Key(r.base.v6, r.len);
}

/**
 * Values keyed by network, one map per prefix length; lookup costs one map probe per length in use (at most
 * 33 for IPv4 and 129 for IPv6, whatever the number of networks), longest prefix first.
 */
export class RangeIndex<T> {
  private readonly v4 = new Map<number, Map<number, T>>();
  private readonly v6 = new Map<number, Map<string, T>>();
  /** Lengths in use, longest first (rebuilt only when a length appears or disappears). */
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(r: ParsedRange): T | undefined {
    return r.family === 4
      ? this.v4.get(r.len)?.get(maskV4(r.base.v4, r.len))
      : this.v6.get(r.len)?.get(maskV6Key(r.base.v6, r.len));
  }

  set(r: ParsedRange, value: T): void {
    if (r.family === 4) {
      let byNet = this.v4.get(r.len);
      if (byNet === undefined) {
        byNet = new Map();
        this.v4.set(r.len, byNet);
        this.v4Lengths = [...this.v4.keys()].sort((a, b) => b - a);
      }
      const key = maskV4(r.base.v4, r.len);
      if (!byNet.has(key)) this.count++;
      byNet.set(key, value);
      return;
    }
    let byNet = this.v6.get(r.len);
    if (byNet === undefined) {
      byNet = new Map();
      this.v6.set(r.len, byNet);
      this.v6Lengths = [...this.v6.keys()].sort((a, b) => b - a);
    }
    const key = maskV6Key(r.base.v6, r.len);
    if (!byNet.has(key)) this.count++;
    byNet.set(key, value);
  }

  delete(r: ParsedRange): boolean {
    if (r.family === 4) {
      const byNet = this.v4.get(r.len);
      if (byNet === undefined || !byNet.delete(maskV4(r.base.v4, r.len))) return false;
      if (byNet.size === 0) {
        this.v4.delete(r.len);
        this.v4Lengths = this.v4Lengths.filter((l) => l !== r.len);
      }
    } else {
      const byNet = this.v6.get(r.len);
      if (byNet === undefined || !byNet.delete(maskV6Key(r.base.v6, r.len))) return false;
      if (byNet.size === 0) {
        this.v6.delete(r.len);
        this.v6Lengths = this.v6Lengths.filter((l) => l !== r.len);
      }
    }
    this.count--;
    return true;
  }

  /** The longest network containing `ip` that `accept` takes, if any. */
  find(ip: ParsedIp, accept: (value: T) => boolean): T | undefined {
    if (this.count === 0) return undefined;
    if (ip.family === 4) {
      for (const len of this.v4Lengths) {
        const hit = this.v4.get(len)?.get(maskV4(ip.v4, len));
        if (hit !== undefined && accept(hit)) return hit;
      }
      return undefined;
    }
    for (const len of this.v6Lengths) {
      const hit = this.v6.get(len)?.get(maskV6Key(ip.v6, len));
      if (hit !== undefined && accept(hit)) return hit;
    }
    return undefined;
  }

  *values(): IterableIterator<T> {
    for (const byNet of this.v4.values()) yield* byNet.values();
    for (const byNet of this.v6.values()) yield* byNet.values();
  }
}
