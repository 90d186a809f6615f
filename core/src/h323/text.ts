import { MAX_FIELD_LENGTH } from '../attempt.js';

/** Byte and text helpers shared by the Q.931 and H.225 decoders (wire text is short: no Buffer round trip). */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function hex(bytes: Uint8Array, start = 0, end = bytes.length): string {
  let s = '';
  for (let i = start; i < end; i++) s += HEX[bytes[i]!];
  return s;
}

/** One char per byte (IA5 / OCTET STRING text), trailing NULs dropped (C strings sent with their terminator). */
export function latin1Text(bytes: Uint8Array, start = 0, end = bytes.length): string {
  while (end > start && bytes[end - 1] === 0) end--;
  let s = '';
  for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

/** BMPString: big-endian UTF-16 code units in bytes[start, end); trailing NULs dropped. */
export function bmpText(bytes: Uint8Array, start = 0, end = bytes.length): string {
  end = start + ((end - start) & ~1);
  while (end - start >= 2 && bytes[end - 2] === 0 && bytes[end - 1] === 0) end -= 2;
  let s = '';
  for (let i = start; i < end; i += 2) s += String.fromCharCode((bytes[i]! << 8) | bytes[i + 1]!);
  return s;
}

export function ipv4Text(b: Uint8Array, at = 0): string {
  return `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;
}

/**
 * RFC 5952 text of the 16 octets at `at`, as net/ip's formatIpv6 writes it (lower case, no leading zeros,
 * the longest run of two or more zero groups as `::`), without its intermediate arrays.
 */
export function ipv6Text(b: Uint8Array, at = 0): string {
  let bestStart = -1;
  let bestLen = 0;
  let runStart = -1;
  for (let g = 0; g < 8; g++) {
    const zero = b[at + 2 * g] === 0 && b[at + 2 * g + 1] === 0;
    if (zero) {
      if (runStart < 0) runStart = g;
      if (g - runStart + 1 > bestLen) {
        bestStart = runStart;
        bestLen = g - runStart + 1;
      }
    } else {
      runStart = -1;
    }
  }
  if (bestLen < 2) bestStart = -1;
  let s = '';
  for (let g = 0; g < 8; g++) {
    if (g === bestStart) {
      s += g === 0 ? '::' : ':';
      g += bestLen - 1;
      continue;
    }
    s += ((b[at + 2 * g]! << 8) | b[at + 2 * g + 1]!).toString(16);
    if (g < 7) s += ':';
  }
  return s;
}

/** Cuts to `max` UTF-16 units without splitting a surrogate pair. */
export function clip(s: string, max = MAX_FIELD_LENGTH): string {
  if (s.length <= max) return s;
  const last = s.charCodeAt(max - 1);
  return s.slice(0, last >= 0xd800 && last <= 0xdbff ? max - 1 : max);
}
