import type { SkipReason } from './capture-types.js';

/** LINKTYPE_* values (tcpdump.org/linktypes.html) this reader decodes. */
export const LinkType = {
  NULL: 0,
  ETHERNET: 1,
  RAW: 101,
  LOOP: 108,
  LINUX_SLL: 113,
  IPV4: 228,
  IPV6: 229,
  LINUX_SLL2: 276,
} as const;

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const VLAN_ETHERTYPES = new Set([0x8100, 0x88a8, 0x9100]);

// BSD loopback address families: AF_INET is 2 everywhere, AF_INET6 differs per OS.
const AF_INET = 2;
const AF_INET6_VALUES = new Set([10, 24, 28, 30]);

/**
 * Strips the link-layer header and returns the IP packet (a view into `frame`), or why the frame
 * carries no IP packet. The IP version nibble, not the link layer, decides v4 versus v6 later.
 */
export function ipPacketOfFrame(linkType: number, frame: Uint8Array): Uint8Array | SkipReason {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  switch (linkType) {
    case LinkType.ETHERNET:
      return ethernetPayload(view, frame);
    case LinkType.RAW:
    case LinkType.IPV4:
    case LinkType.IPV6:
      return frame;
    case LinkType.NULL:
      return loopbackPayload(view, frame, undefined);
    case LinkType.LOOP:
      return loopbackPayload(view, frame, false);
    case LinkType.LINUX_SLL:
      return frame.length < 16 ? 'malformed' : ethertypePayload(view.getUint16(14), frame, 16);
    case LinkType.LINUX_SLL2:
      return frame.length < 20 ? 'malformed' : ethertypePayload(view.getUint16(0), frame, 20);
    default:
      return 'unsupported-link-type';
  }
}

function ethernetPayload(view: DataView, frame: Uint8Array): Uint8Array | SkipReason {
  let typeOffset = 12;
  if (frame.length < typeOffset + 2) return 'malformed';
  let ethertype = view.getUint16(typeOffset);
  // 802.1Q / 802.1ad tags (possibly stacked): 2 bytes TCI, then the next ethertype.
  while (VLAN_ETHERTYPES.has(ethertype)) {
    typeOffset += 4;
    if (frame.length < typeOffset + 2) return 'malformed';
    ethertype = view.getUint16(typeOffset);
  }
  return ethertypePayload(ethertype, frame, typeOffset + 2);
}

function ethertypePayload(ethertype: number, frame: Uint8Array, start: number): Uint8Array | SkipReason {
  if (ethertype !== ETHERTYPE_IPV4 && ethertype !== ETHERTYPE_IPV6) return 'not-ip';
  return frame.subarray(start);
}

/**
 * NULL (0) stores the family in the capturing host's byte order, which the file does not record:
 * a value with only high bits set is a byte-swapped small number. LOOP (108) is always big-endian.
 */
function loopbackPayload(
  view: DataView,
  frame: Uint8Array,
  littleEndian: boolean | undefined,
): Uint8Array | SkipReason {
  if (frame.length < 4) return 'malformed';
  let family = view.getUint32(0, littleEndian ?? true);
  if (littleEndian === undefined && family > 0xffff) family = view.getUint32(0, false);
  if (family !== AF_INET && !AF_INET6_VALUES.has(family)) return 'not-ip';
  return frame.subarray(4);
}
