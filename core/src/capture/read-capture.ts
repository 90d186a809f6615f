import { type CaptureFormat, detectCaptureFormat } from './capture-format.js';
import {
  type CaptureEvent,
  type CaptureResult,
  type CaptureStats,
  type CaptureWarning,
  type ReadCaptureOptions,
  SKIP_REASONS,
  type SkipReason,
  type TransportEndpoint,
} from './capture-types.js';
import { decodeIpPacket, IP_PROTOCOL_TCP, IP_PROTOCOL_UDP } from './ip-layer.js';
import { ipPacketOfFrame } from './link-layer.js';
import type { ContainerContents, PacketRecord } from './packet-record.js';
import { readPcapFile } from './pcap-file.js';
import { readPcapngFile } from './pcapng-file.js';
import { DEFAULT_TCP_REASSEMBLER_OPTIONS, TcpReassembler } from './tcp-reassembler.js';
import { decodeTcp, decodeUdp } from './transport-layer.js';

/**
 * Reads a whole pcap or pcapng file into transport-level events in time order: UDP datagrams and
 * reassembled TCP byte streams. Throws only GhostguardError (GG_CAPTURE_FORMAT for a file that is
 * not a capture or is inconsistent, GG_CAPTURE_TRUNCATED for an impossible length); a file cut
 * inside its last record yields the events before it and a `truncated-last-record` warning.
 */
export function readCapture(bytes: Uint8Array, options: ReadCaptureOptions = {}): CaptureResult {
  const format = detectCaptureFormat(bytes);
  const contents = readContainer(format, bytes);
  const records = inTimeOrder(contents.records);

  const events: CaptureEvent[] = [];
  const warnings: CaptureWarning[] = [...contents.warnings];
  const stats = emptyStats();
  const reassembler = new TcpReassembler(
    { ...DEFAULT_TCP_REASSEMBLER_OPTIONS, maxHeldBytes: heldBytesLimit(options) },
    (event) => events.push(event),
    (warning) => warnings.push(warning),
  );

  for (const record of records) {
    stats.packets++;
    if (record.linkType !== undefined) {
      stats.packetsByLinkType[record.linkType] = (stats.packetsByLinkType[record.linkType] ?? 0) + 1;
    }
    const skipped = decodeRecord(record, events, reassembler, stats);
    if (skipped) stats.skipped[skipped]++;
  }
  reassembler.finish(records.at(-1)?.time ?? 0);
  return { format, events, stats, warnings };
}

function readContainer(format: CaptureFormat, bytes: Uint8Array): ContainerContents {
  return format === 'pcap' ? readPcapFile(bytes) : readPcapngFile(bytes);
}

/** Records are nearly always already ordered; pcapng interfaces may interleave. Sort is stable. */
function inTimeOrder(records: PacketRecord[]): PacketRecord[] {
  for (let i = 1; i < records.length; i++) {
    if ((records[i]?.time ?? 0) < (records[i - 1]?.time ?? 0)) return records.sort((a, b) => a.time - b.time);
  }
  return records;
}

export function heldBytesLimit(options: ReadCaptureOptions): number {
  const limit = options.maxTcpHeldBytes;
  return limit !== undefined && Number.isFinite(limit) && limit >= 0
    ? limit
    : DEFAULT_TCP_REASSEMBLER_OPTIONS.maxHeldBytes;
}

export function emptyStats(): CaptureStats {
  const skipped = {} as Record<SkipReason, number>;
  for (const reason of SKIP_REASONS) skipped[reason] = 0;
  return { packets: 0, packetsByLinkType: {}, udpDatagrams: 0, tcpSegments: 0, skipped };
}

/** Decodes one frame down to UDP/TCP; returns the skip reason when it yields nothing. */
export function decodeRecord(
  record: PacketRecord,
  events: CaptureEvent[],
  reassembler: TcpReassembler,
  stats: CaptureStats,
): SkipReason | undefined {
  if (record.linkType === undefined) return 'unknown-interface';
  const ipBytes = ipPacketOfFrame(record.linkType, record.data);
  if (typeof ipBytes === 'string') return ipBytes;
  const ip = decodeIpPacket(ipBytes);
  if (typeof ip === 'string') return ip;

  if (ip.protocol === IP_PROTOCOL_UDP) {
    const udp = decodeUdp(ip.payload);
    if (typeof udp === 'string') return udp;
    stats.udpDatagrams++;
    events.push({
      kind: 'udp',
      time: record.time,
      src: endpoint(ip.src, udp.srcPort),
      dst: endpoint(ip.dst, udp.dstPort),
      payload: udp.payload,
    });
    return undefined;
  }
  if (ip.protocol === IP_PROTOCOL_TCP) {
    const tcp = decodeTcp(ip.payload);
    if (typeof tcp === 'string') return tcp;
    stats.tcpSegments++;
    reassembler.push(record.time, endpoint(ip.src, tcp.srcPort), endpoint(ip.dst, tcp.dstPort), tcp, record.offset);
    return undefined;
  }
  return 'unsupported-transport';
}

function endpoint(ip: string, port: number): TransportEndpoint {
  return { ip, port };
}
