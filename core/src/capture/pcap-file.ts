import { captureFormatError, captureTruncatedError, truncatedLastRecordWarning } from './capture-errors.js';
import type { CaptureWarning } from './capture-types.js';
import type { ContainerContents, PacketRecord } from './packet-record.js';
import { pcapTimeMs } from './timestamp.js';

/** Classic libpcap files: 24-byte file header, then 16-byte record headers each followed by the frame. */

const FILE_HEADER_LENGTH = 24;
const RECORD_HEADER_LENGTH = 16;

const MAGIC_MICROSECONDS = 0xa1b2c3d4;
const MAGIC_NANOSECONDS = 0xa1b23c4d;
// Upper bits of the link-type field carry FCS information (as libpcap's LT_LINKTYPE masks them off).
const LINK_TYPE_MASK = 0x03ffffff;

interface PcapByteOrder {
  littleEndian: boolean;
  fractionsPerSecond: number;
}

/** Reads the magic in both byte orders; undefined when it is not a classic pcap magic. */
export function pcapByteOrder(bytes: Uint8Array): PcapByteOrder | undefined {
  if (bytes.length < 4) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, 4);
  for (const littleEndian of [true, false]) {
    const magic = view.getUint32(0, littleEndian);
    if (magic === MAGIC_MICROSECONDS) return { littleEndian, fractionsPerSecond: 1e6 };
    if (magic === MAGIC_NANOSECONDS) return { littleEndian, fractionsPerSecond: 1e9 };
  }
  return undefined;
}

export function readPcapFile(bytes: Uint8Array): ContainerContents {
  const order = pcapByteOrder(bytes);
  if (!order) throw captureFormatError('not a classic pcap file: unknown magic', 0);
  if (bytes.length < FILE_HEADER_LENGTH) {
    throw captureTruncatedError('pcap file header', `needs ${FILE_HEADER_LENGTH} bytes, file has ${bytes.length}`, 0);
  }
  const { littleEndian, fractionsPerSecond } = order;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const linkType = view.getUint32(20, littleEndian) & LINK_TYPE_MASK;

  const records: PacketRecord[] = [];
  const warnings: CaptureWarning[] = [];
  let offset = FILE_HEADER_LENGTH;
  while (offset < bytes.length) {
    if (bytes.length - offset < RECORD_HEADER_LENGTH) {
      warnings.push(truncatedLastRecordWarning(`the file ends inside a pcap record header`, offset));
      break;
    }
    const capturedLength = view.getUint32(offset + 8, littleEndian);
    if (capturedLength > bytes.length) {
      throw captureTruncatedError(
        'pcap record',
        `captured length ${capturedLength} is larger than the whole file (${bytes.length} bytes)`,
        offset,
      );
    }
    const dataStart = offset + RECORD_HEADER_LENGTH;
    if (dataStart + capturedLength > bytes.length) {
      warnings.push(
        truncatedLastRecordWarning(`the file ends inside a pcap record of ${capturedLength} bytes`, offset),
      );
      break;
    }
    records.push({
      time: pcapTimeMs(
        view.getUint32(offset, littleEndian),
        view.getUint32(offset + 4, littleEndian),
        fractionsPerSecond,
      ),
      linkType,
      data: bytes.subarray(dataStart, dataStart + capturedLength),
      offset,
    });
    offset = dataStart + capturedLength;
  }
  return { records, warnings };
}
