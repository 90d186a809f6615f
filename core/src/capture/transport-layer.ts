import type { SkipReason } from './capture-types.js';

export interface UdpDatagram {
  srcPort: number;
  dstPort: number;
  payload: Uint8Array;
}

export interface TcpSegment {
  srcPort: number;
  dstPort: number;
  /** Sequence number (unsigned 32-bit) of the first payload byte, or of the SYN/FIN flag itself. */
  seq: number;
  syn: boolean;
  ack: boolean;
  fin: boolean;
  rst: boolean;
  payload: Uint8Array;
}

const UDP_HEADER = 8;
const TCP_MIN_HEADER = 20;
const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;

export function decodeUdp(segment: Uint8Array): UdpDatagram | SkipReason {
  if (segment.length < UDP_HEADER) return 'malformed';
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const length = view.getUint16(4);
  // The IP layer already proved the datagram is all captured, so a longer UDP length is a lie.
  if (length < UDP_HEADER || length > segment.length) return 'malformed';
  return { srcPort: view.getUint16(0), dstPort: view.getUint16(2), payload: segment.subarray(UDP_HEADER, length) };
}

export function decodeTcp(segment: Uint8Array): TcpSegment | SkipReason {
  if (segment.length < TCP_MIN_HEADER) return 'malformed';
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  const headerLength = ((segment[12] ?? 0) >> 4) * 4;
  if (headerLength < TCP_MIN_HEADER || headerLength > segment.length) return 'malformed';
  const flags = segment[13] ?? 0;
  return {
    srcPort: view.getUint16(0),
    dstPort: view.getUint16(2),
    seq: view.getUint32(4),
    syn: (flags & TCP_SYN) !== 0,
    ack: (flags & TCP_ACK) !== 0,
    fin: (flags & TCP_FIN) !== 0,
    rst: (flags & TCP_RST) !== 0,
    payload: segment.subarray(headerLength),
  };
}
