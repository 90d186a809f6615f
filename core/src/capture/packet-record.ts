import type { CaptureWarning } from './capture-types.js';

/** One captured frame as found in the file, before any protocol decoding. */
export interface PacketRecord {
  /** Milliseconds since the Unix epoch. */
  time: number;
  /** LINKTYPE_* of the frame's interface; undefined when a pcapng packet names an undescribed interface. */
  linkType: number | undefined;
  /** View into the file buffer: the captured bytes only. */
  data: Uint8Array;
  /** File offset of the record (its header), for diagnostics. */
  offset: number;
}

/** What a container reader (pcap, pcapng) hands to the protocol decoders. */
export interface ContainerContents {
  records: PacketRecord[];
  warnings: CaptureWarning[];
}
