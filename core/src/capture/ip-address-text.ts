/** Address bytes to text: IPv4 dotted quad, IPv6 in RFC 5952 canonical form (the core's formatter). */
import { formatIpv6 } from '../net/ip.js';

export function ipv4Text(bytes: Uint8Array, at: number): string {
  return `${bytes[at]}.${bytes[at + 1]}.${bytes[at + 2]}.${bytes[at + 3]}`;
}

/** RFC 5952; IPv4-mapped addresses keep the dotted quad (section 5). */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(((bytes[at + 2 * i] ?? 0) << 8) | (bytes[at + 2 * i + 1] ?? 0));

  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${ipv4Text(bytes, at + 12)}`;
  }

  return formatIpv6(groups);
}
