import { Buffer } from 'node:buffer';

/**
 * Byte ↔ string conversions. The parsers read the wire through a latin1 view (one char per byte,
 * so string indexes are byte offsets and no input can fail to decode), then re-decode as UTF-8
 * only the values that contain bytes ≥ 0x80.
 */

export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  return asBuffer(bytes).toString('latin1', start, end);
}

/** Re-reads a latin1 view of wire bytes as UTF-8; invalid sequences become U+FFFD, never an exception. */
export function latin1ToUtf8(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

export function hasHighChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) > 0x7f) return true;
  }
  return false;
}

/** A copy that does not keep the source buffer alive (Buffer#slice would return a view). */
export function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}
