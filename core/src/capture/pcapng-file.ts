import { captureFormatError, captureTruncatedError, truncatedLastRecordWarning } from './capture-errors.js';
import type { CaptureWarning } from './capture-types.js';
import type { ContainerContents, PacketRecord } from './packet-record.js';
import { pcapngTimeMs, unitsPerSecondFromTsresol } from './timestamp.js';

/**
 * pcapng: a sequence of sections, each opened by a Section Header Block that fixes the byte order
 * for the blocks after it. Every block is `type, total length, body, total length`.
 */

export const PCAPNG_SECTION_HEADER_TYPE = 0x0a0d0d0a;
const INTERFACE_DESCRIPTION_TYPE = 0x00000001;
const OBSOLETE_PACKET_TYPE = 0x00000002;
const SIMPLE_PACKET_TYPE = 0x00000003;
const ENHANCED_PACKET_TYPE = 0x00000006;

const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const SUPPORTED_MAJOR_VERSION = 1;
const BLOCK_OVERHEAD = 12; // type + leading and trailing total length

const OPTION_END = 0;
const OPTION_IF_TSRESOL = 9;
const OPTION_IF_TSOFFSET = 14;

interface BlockKind {
  name: string;
  minimumLength: number;
}

const KNOWN_BLOCKS = new Map<number, BlockKind>([
  [PCAPNG_SECTION_HEADER_TYPE, { name: 'Section Header Block', minimumLength: 28 }],
  [INTERFACE_DESCRIPTION_TYPE, { name: 'Interface Description Block', minimumLength: 20 }],
  [OBSOLETE_PACKET_TYPE, { name: 'Packet Block', minimumLength: 32 }],
  [SIMPLE_PACKET_TYPE, { name: 'Simple Packet Block', minimumLength: 16 }],
  [ENHANCED_PACKET_TYPE, { name: 'Enhanced Packet Block', minimumLength: 32 }],
]);

interface InterfaceDescription {
  linkType: number;
  snapLength: number;
  unitsPerSecond: bigint;
  offsetSeconds: number;
}

/** Per-section state: byte order and the interfaces described so far. */
interface Section {
  littleEndian: boolean;
  interfaces: InterfaceDescription[];
}

export function readPcapngFile(bytes: Uint8Array): ContainerContents {
  const reader = new PcapngBlockReader();
  const records: PacketRecord[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const r = reader.block(bytes, offset, bytes.length, offset === 0);
    if (r === 'more') {
      if (offset === 0) throw captureTruncatedError('Section Header Block', 'the file ends inside it', offset);
      reader.warnings.push(truncatedLastRecordWarning(reader.endsInside(bytes, offset), offset));
      break;
    }
    if (r.record) records.push(r.record);
    offset += r.length;
  }
  return { records, warnings: reader.warnings };
}

/**
 * pcapng one block at a time, for the whole-file reader and the streaming one: keeps the section (byte order,
 * interfaces) and the last packet time between blocks. Record data are views of `bytes`.
 */
export class PcapngBlockReader {
  readonly warnings: CaptureWarning[] = [];
  private section: Section | undefined;
  // Simple Packet Blocks carry no timestamp; they inherit the previous packet's time.
  private lastTime = 0;

  /**
   * Reads the block at `bytes[offset…]`. `limit` bounds a plausible block length (the whole file, or a cap when
   * streaming); 'more': the bytes end inside the block. Throws GG_CAPTURE_FORMAT / GG_CAPTURE_TRUNCATED.
   */
  block(
    bytes: Uint8Array,
    offset: number,
    limit: number,
    isFileHeader: boolean,
  ): { length: number; record?: PacketRecord } | 'more' {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const remaining = bytes.length - offset;
    if (remaining < 8) return 'more';
    const rawType = view.getUint32(offset, true);
    if (rawType === PCAPNG_SECTION_HEADER_TYPE) {
      if (remaining < BLOCK_OVERHEAD) return 'more';
      this.section = { littleEndian: sectionByteOrder(view, offset), interfaces: [] };
    }
    const section = this.section;
    if (!section) throw captureFormatError('pcapng file does not start with a Section Header Block', offset);

    const { littleEndian } = section;
    const type = view.getUint32(offset, littleEndian);
    const kind = KNOWN_BLOCKS.get(type);
    const blockName = kind?.name ?? `pcapng block of type 0x${type.toString(16).padStart(8, '0')}`;
    const totalLength = checkedBlockLength(
      view,
      offset,
      littleEndian,
      blockName,
      kind?.minimumLength ?? BLOCK_OVERHEAD,
      limit,
    );
    if (totalLength > remaining) {
      if (isFileHeader && remaining >= limit) throw captureTruncatedError(blockName, 'the file ends inside it', offset);
      return 'more';
    }
    if (view.getUint32(offset + totalLength - 4, littleEndian) !== totalLength) {
      throw captureFormatError(`${blockName} trailing length differs from its leading length ${totalLength}`, offset);
    }

    const block: Block = { view, bytes, offset, totalLength, littleEndian, name: blockName };
    switch (type) {
      case PCAPNG_SECTION_HEADER_TYPE:
        if (view.getUint16(offset + 12, littleEndian) !== SUPPORTED_MAJOR_VERSION) {
          throw captureFormatError(
            `pcapng major version ${view.getUint16(offset + 12, littleEndian)} is not 1`,
            offset,
          );
        }
        return { length: totalLength };
      case INTERFACE_DESCRIPTION_TYPE:
        section.interfaces.push(readInterfaceDescription(block));
        return { length: totalLength };
      case ENHANCED_PACKET_TYPE:
      case OBSOLETE_PACKET_TYPE: {
        const record = readTimestampedPacket(block, section, type === ENHANCED_PACKET_TYPE);
        this.lastTime = record.time;
        return { length: totalLength, record };
      }
      case SIMPLE_PACKET_TYPE:
        return { length: totalLength, record: readSimplePacket(block, section, this.lastTime) };
      default:
        // Statistics, name resolution, custom blocks are skipped.
        return { length: totalLength };
    }
  }

  /** What the bytes from `offset` end inside, for the truncated-last-record warning. */
  endsInside(bytes: Uint8Array, offset: number): string {
    const remaining = bytes.length - offset;
    if (remaining < 8 || this.section === undefined) return 'the file ends inside a pcapng block header';
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const type = view.getUint32(offset, this.section.littleEndian);
    if (type === PCAPNG_SECTION_HEADER_TYPE && remaining < BLOCK_OVERHEAD) {
      return 'the file ends inside a Section Header Block';
    }
    const blockName = KNOWN_BLOCKS.get(type)?.name ?? `pcapng block of type 0x${type.toString(16).padStart(8, '0')}`;
    return `the file ends inside a ${blockName} of ${view.getUint32(offset + 4, this.section.littleEndian)} bytes`;
  }
}

interface Block {
  view: DataView;
  bytes: Uint8Array;
  offset: number;
  totalLength: number;
  littleEndian: boolean;
  name: string;
}

/**
 * The block's declared total length, refused when absurd (below the type's minimum, larger than the
 * whole file, not a multiple of 4). A plausible length may still run past the end of the file:
 * the caller treats that as a truncated last block.
 */
function checkedBlockLength(
  view: DataView,
  offset: number,
  littleEndian: boolean,
  blockName: string,
  minimumLength: number,
  limit: number = view.byteLength,
): number {
  const totalLength = view.getUint32(offset + 4, littleEndian);
  if (totalLength < minimumLength) {
    throw captureTruncatedError(
      blockName,
      `declared length ${totalLength} is below its minimum ${minimumLength}`,
      offset,
    );
  }
  if (totalLength > limit) {
    throw captureTruncatedError(
      blockName,
      limit === view.byteLength
        ? `declared length ${totalLength} is larger than the whole file (${limit} bytes)`
        : `declared length ${totalLength} is larger than any block this reader takes (${limit} bytes)`,
      offset,
    );
  }
  if (totalLength % 4 !== 0) {
    throw captureFormatError(`${blockName} length ${totalLength} is not a multiple of 4`, offset);
  }
  return totalLength;
}

function sectionByteOrder(view: DataView, offset: number): boolean {
  if (view.getUint32(offset + 8, true) === BYTE_ORDER_MAGIC) return true;
  if (view.getUint32(offset + 8, false) === BYTE_ORDER_MAGIC) return false;
  throw captureFormatError('pcapng Section Header Block has an unknown byte-order magic', offset);
}

function readInterfaceDescription(block: Block): InterfaceDescription {
  const { view, offset, littleEndian } = block;
  const description: InterfaceDescription = {
    linkType: view.getUint16(offset + 8, littleEndian),
    snapLength: view.getUint32(offset + 12, littleEndian),
    unitsPerSecond: unitsPerSecondFromTsresol(undefined),
    offsetSeconds: 0,
  };
  forEachOption(block, offset + 16, (code, valueOffset, valueLength) => {
    if (code === OPTION_IF_TSRESOL && valueLength >= 1) {
      description.unitsPerSecond = unitsPerSecondFromTsresol(view.getUint8(valueOffset));
    } else if (code === OPTION_IF_TSOFFSET && valueLength >= 8) {
      description.offsetSeconds = Number(view.getBigInt64(valueOffset, littleEndian));
    }
  });
  return description;
}

/** Walks `code, length, value (padded to 4)` options from `start` to the trailing length field. */
function forEachOption(
  block: Block,
  start: number,
  visit: (code: number, valueOffset: number, valueLength: number) => void,
): void {
  const { view, offset, totalLength, littleEndian } = block;
  const end = offset + totalLength - 4;
  let cursor = start;
  while (end - cursor >= 4) {
    const code = view.getUint16(cursor, littleEndian);
    const length = view.getUint16(cursor + 2, littleEndian);
    if (code === OPTION_END) return;
    const valueOffset = cursor + 4;
    if (valueOffset + length > end) {
      throw captureTruncatedError(`${block.name} option ${code}`, `length ${length} runs past the block's end`, offset);
    }
    visit(code, valueOffset, length);
    cursor = valueOffset + ((length + 3) & ~3);
  }
}

/** EPB and the obsolete PB share a layout apart from the interface id width. */
function readTimestampedPacket(block: Block, section: Section, enhanced: boolean): PacketRecord {
  const { view, bytes, offset, totalLength, littleEndian } = block;
  const interfaceId = enhanced ? view.getUint32(offset + 8, littleEndian) : view.getUint16(offset + 8, littleEndian);
  const capturedLength = view.getUint32(offset + 20, littleEndian);
  const dataStart = offset + 28;
  if (capturedLength > totalLength - 32) {
    throw captureTruncatedError(
      block.name,
      `captured length ${capturedLength} runs past the block's length ${totalLength}`,
      offset,
    );
  }
  const description = section.interfaces[interfaceId];
  const high = view.getUint32(offset + 12, littleEndian);
  const low = view.getUint32(offset + 16, littleEndian);
  return {
    time: pcapngTimeMs(high, low, description?.unitsPerSecond ?? 1_000_000n, description?.offsetSeconds ?? 0),
    linkType: description?.linkType,
    data: bytes.subarray(dataStart, dataStart + capturedLength),
    offset,
  };
}

function readSimplePacket(block: Block, section: Section, time: number): PacketRecord {
  const { view, bytes, offset, totalLength, littleEndian } = block;
  const originalLength = view.getUint32(offset + 8, littleEndian);
  const description = section.interfaces[0];
  // The SPB has no captured-length field: the packet is cut by the block and the interface snaplen.
  let capturedLength = Math.min(originalLength, totalLength - 16);
  if (description && description.snapLength > 0) capturedLength = Math.min(capturedLength, description.snapLength);
  const dataStart = offset + 12;
  return { time, linkType: description?.linkType, data: bytes.subarray(dataStart, dataStart + capturedLength), offset };
}
