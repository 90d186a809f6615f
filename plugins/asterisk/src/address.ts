import { parseIp } from '@ghostguard/core';

export interface SourceAddress {
  /** Canonical text (core parseIp). */
  ip: string;
  port?: number;
  transport?: string;
}

function port(text: string): number | undefined {
  if (!/^\d{1,5}$/.test(text)) return undefined;
  const n = Number(text);
  return n <= 65_535 ? n : undefined;
}

/**
 * An address as the dialplan reports it: PJSIP's CHANNEL(pjsip,remote_addr) (`1.2.3.4:5060`, `[2001:db8::1]:5060`)
 * or chan_sip's CHANNEL(peerip) (`1.2.3.4`, `2001:db8::1`). undefined when it is not an address.
 */
export function parseHostPort(text: string): SourceAddress | undefined {
  const t = text.trim();
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(t);
  if (bracket) {
    const ip = parseIp(bracket[1]!);
    const p = bracket[2] === undefined ? undefined : port(bracket[2]);
    if (!ip || (bracket[2] !== undefined && p === undefined)) return undefined;
    return p === undefined ? { ip: ip.text } : { ip: ip.text, port: p };
  }
  const bare = parseIp(t);
  if (bare) return { ip: bare.text };
  const colon = t.lastIndexOf(':');
  if (colon <= 0 || t.indexOf(':') !== colon) return undefined;
  const ip = parseIp(t.slice(0, colon));
  const p = port(t.slice(colon + 1));
  return ip && ip.family === 4 && p !== undefined ? { ip: ip.text, port: p } : undefined;
}

/**
 * What a chan_ooh323 channel name says about its caller: `OOH323/<remoteIP>-<n>` for a caller not in ooh323.conf,
 * `OOH323/<name>-<n>` for a configured one.
 */
export function ooh323Caller(channel: string): { ip: string } | { name: string } | undefined {
  const m = /^OOH323\/(.+)-\d+$/i.exec(channel);
  if (!m) return undefined;
  const ip = parseIp(m[1]!);
  return ip ? { ip: ip.text } : { name: m[1]! };
}

/** A security event's address: `IPV4/UDP/1.2.3.4/5060`, `IPV6/UDP/2001:db8::1/5060`. */
export function parseSecurityAddress(text: string): SourceAddress | undefined {
  const parts = text.trim().split('/');
  if (parts.length < 4) return undefined;
  const family = parts[0]!.toUpperCase();
  if (family !== 'IPV4' && family !== 'IPV6') return undefined;
  const ip = parseIp(parts.slice(2, -1).join('/'));
  if (!ip) return undefined;
  const p = port(parts[parts.length - 1]!);
  const out: SourceAddress = { ip: ip.text, transport: parts[1]!.toLowerCase() };
  if (p !== undefined) out.port = p;
  return out;
}
