import type { SkipReason } from './capture-types.js';
import { ipv4Text, ipv6Text } from './ip-address-text.js';

export const IP_PROTOCOL_TCP = 6;
export const IP_PROTOCOL_UDP = 17;

export interface IpPacket {
  src: string;
  dst: string;
  /** Upper-layer protocol after any IPv6 extension headers. */
  protocol: number;
  /** The transport segment, trimmed to the IP length (drops Ethernet padding). */
  payload: Uint8Array;
}

/** Decodes an IPv4 or IPv6 header (by the version nibble); a string says why the packet is skipped. */
export function decodeIpPacket(packet: Uint8Array): IpPacket | SkipReason {
  if (packet.length < 1) return 'malformed';
  const version = (packet[0] ?? 0) >> 4;
  if (version === 4) return decodeIpv4(packet);
  if (version === 6) return decodeIpv6(packet);
  return 'malformed';
}

const IPV4_MIN_HEADER = 20;
const IPV4_MORE_FRAGMENTS = 0x2000;
const IPV4_FRAGMENT_OFFSET = 0x1fff;

function decodeIpv4(packet: Uint8Array): IpPacket | SkipReason {
  if (packet.length < IPV4_MIN_HEADER) return 'malformed';
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const headerLength = ((packet[0] ?? 0) & 0x0f) * 4;
  // Total length 0 appears in captures of TCP segmentation offload: the frame length is the truth.
  const declaredLength = view.getUint16(2);
  const totalLength = declaredLength === 0 ? packet.length : declaredLength;
  if (headerLength < IPV4_MIN_HEADER || totalLength < headerLength) return 'malformed';
  if (totalLength > packet.length) return 'snapped';
  if (view.getUint16(6) & (IPV4_MORE_FRAGMENTS | IPV4_FRAGMENT_OFFSET)) return 'ip-fragment';
  return {
    src: ipv4Text(packet, 12),
    dst: ipv4Text(packet, 16),
    protocol: packet[9] ?? 0,
    payload: packet.subarray(headerLength, totalLength),
  };
}

const IPV6_HEADER = 40;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AUTH_HEADER = 51;
const IPV6_DESTINATION_OPTIONS = 60;

function decodeIpv6(packet: Uint8Array): IpPacket | SkipReason {
  if (packet.length < IPV6_HEADER) return 'malformed';
  const view = new DataView(packet.buffer, packet.byteOffset, packet.byteLength);
  const end = IPV6_HEADER + view.getUint16(4);
  if (end > packet.length) return 'snapped';

  let nextHeader = packet[6] ?? 0;
  let cursor = IPV6_HEADER;
  for (;;) {
    if (nextHeader === IPV6_FRAGMENT) return 'ip-fragment';
    let extensionLength: number;
    if (nextHeader === IPV6_HOP_BY_HOP || nextHeader === IPV6_ROUTING || nextHeader === IPV6_DESTINATION_OPTIONS) {
      if (end - cursor < 2) return 'malformed';
      extensionLength = ((packet[cursor + 1] ?? 0) + 1) * 8;
    } else if (nextHeader === IPV6_AUTH_HEADER) {
      if (end - cursor < 2) return 'malformed';
      extensionLength = ((packet[cursor + 1] ?? 0) + 2) * 4;
    } else {
      break;
    }
    if (end - cursor < extensionLength) return 'malformed';
    nextHeader = packet[cursor] ?? 0;
    cursor += extensionLength;
  }
  return {
    src: ipv6Text(packet, 8),
    dst: ipv6Text(packet, 24),
    protocol: nextHeader,
    payload: packet.subarray(cursor, end),
  };
}
