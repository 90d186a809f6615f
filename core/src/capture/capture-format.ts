import { captureFormatError } from './capture-errors.js';
import { pcapByteOrder } from './pcap-file.js';
import { PCAPNG_SECTION_HEADER_TYPE } from './pcapng-file.js';

export type CaptureFormat = 'pcap' | 'pcapng';

/** Classic pcap or pcapng by the first four bytes; undefined for anything else. */
export function captureFormatOf(bytes: Uint8Array): CaptureFormat | undefined {
  if (bytes.length < 4) return undefined;
  if (pcapByteOrder(bytes)) return 'pcap';
  // The section header type reads the same in both byte orders.
  if (new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0) === PCAPNG_SECTION_HEADER_TYPE) return 'pcapng';
  return undefined;
}

/** Tells classic pcap from pcapng by the first four bytes; anything else is not a capture (GG_CAPTURE_FORMAT). */
export function detectCaptureFormat(bytes: Uint8Array): CaptureFormat {
  if (bytes.length < 4) {
    throw captureFormatError(`not a pcap or pcapng file: only ${bytes.length} bytes`, 0);
  }
  const format = captureFormatOf(bytes);
  if (format) return format;
  const magic = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw captureFormatError(`not a pcap or pcapng file: unknown magic ${magic}`, 0);
}
