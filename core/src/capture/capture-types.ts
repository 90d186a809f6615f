/**
 * Public shapes of a decoded capture: transport-level events only (no SIP/H.323 knowledge here).
 * Payloads are `subarray` views into the caller's file buffer, never copies: keep the buffer alive
 * as long as the events, and do not mutate it.
 */

export interface TransportEndpoint {
  /** IPv4 dotted quad, or IPv6 in RFC 5952 canonical text. */
  ip: string;
  port: number;
}

export interface UdpDatagramEvent {
  kind: 'udp';
  /** Capture time in milliseconds since the Unix epoch (fractional below 1 ms). */
  time: number;
  src: TransportEndpoint;
  dst: TransportEndpoint;
  payload: Uint8Array;
}

/** A piece of one direction of a TCP connection's byte stream, in sequence order, without duplicates. */
export interface TcpDataEvent {
  kind: 'tcp';
  /** Time of the packet that completed this piece (a gap-filling segment releases held data). */
  time: number;
  src: TransportEndpoint;
  dst: TransportEndpoint;
  /** Numbers the connection (both directions share it); a new SYN on a reused 4-tuple gets a new one. */
  connection: number;
  payload: Uint8Array;
}

/** One direction of a TCP connection ended: its FIN was reached in sequence, or an RST was seen. */
export interface TcpEndEvent {
  kind: 'tcp-end';
  time: number;
  src: TransportEndpoint;
  dst: TransportEndpoint;
  connection: number;
  reason: 'fin' | 'rst';
}

export type CaptureEvent = UdpDatagramEvent | TcpDataEvent | TcpEndEvent;

/** Why a packet record produced no event. */
export type SkipReason =
  /** The interface's link type is not one this reader decodes. */
  | 'unsupported-link-type'
  /** A pcapng packet names an interface its section never described. */
  | 'unknown-interface'
  /** Not IPv4/IPv6 (ARP, LLDP, ...). */
  | 'not-ip'
  /** An IP fragment: no reassembly, so every fragment (the first one too: its payload is incomplete). */
  | 'ip-fragment'
  /** IP carries something other than UDP or TCP (ICMP, ESP, ...). */
  | 'unsupported-transport'
  /** The record was cut by the snapshot length before the end of the IP/UDP datagram. */
  | 'snapped'
  /** A header is inconsistent or shorter than its minimum. */
  | 'malformed';

export const SKIP_REASONS: readonly SkipReason[] = [
  'unsupported-link-type',
  'unknown-interface',
  'not-ip',
  'ip-fragment',
  'unsupported-transport',
  'snapped',
  'malformed',
];

export interface CaptureStats {
  /** Packet records in the file (pcap records; pcapng EPB/SPB/PB). */
  packets: number;
  /** Packet records per LINKTYPE_* value (records of undescribed pcapng interfaces are not counted). */
  packetsByLinkType: Record<number, number>;
  udpDatagrams: number;
  tcpSegments: number;
  skipped: Record<SkipReason, number>;
}

export type CaptureWarningCode =
  /** The file ends inside its last record; events before it were kept. */
  | 'truncated-last-record'
  /** A TCP direction held more out-of-order data than allowed and skipped a gap. */
  | 'tcp-resync'
  /** The capture ended with TCP data held behind a gap; it was delivered after skipping the gap. */
  | 'tcp-gap-at-end'
  /** An RST (or a new connection on the same ports) ended a direction holding data past a gap; it was dropped. */
  | 'tcp-held-data-dropped';

export interface CaptureWarning {
  code: CaptureWarningCode;
  message: string;
  /** File offset of the record concerned, when there is one. */
  offset?: number;
}

export interface CaptureResult {
  format: 'pcap' | 'pcapng';
  /** Events in time order (ties keep file order). */
  events: CaptureEvent[];
  stats: CaptureStats;
  warnings: CaptureWarning[];
}

export interface ReadCaptureOptions {
  /** Most out-of-order TCP payload bytes held per direction before resynchronising (default 1 MiB). */
  maxTcpHeldBytes?: number;
}
