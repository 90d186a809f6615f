import { parseIp } from '@ghostguard/core';

/** True for 127.0.0.0/8, ::1 and `localhost`: the only hosts the daemon's endpoints use by default. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  const ip = parseIp(host);
  if (ip === undefined) return false;
  return ip.text === '::1' || /^127\./.test(ip.text);
}
