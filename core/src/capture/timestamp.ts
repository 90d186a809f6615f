/**
 * Capture timestamps to milliseconds since the epoch (a float64: about 0.24 µs resolution at
 * today's epoch). pcapng counts are split exactly with BigInt first so only the final sum rounds.
 */

/** Classic pcap: seconds plus a microsecond or nanosecond fraction. */
export function pcapTimeMs(seconds: number, fraction: number, fractionsPerSecond: number): number {
  return seconds * 1000 + (fraction * 1000) / fractionsPerSecond;
}

/**
 * Units per second for a pcapng `if_tsresol` byte: high bit clear means 10^-n seconds, set means
 * 2^-n. Absent option means microseconds.
 */
export function unitsPerSecondFromTsresol(tsresol: number | undefined): bigint {
  if (tsresol === undefined) return 1_000_000n;
  const exponent = BigInt(tsresol & 0x7f);
  return tsresol & 0x80 ? 1n << exponent : 10n ** exponent;
}

/** pcapng: a 64-bit count of interface units split in two 32-bit halves, plus `if_tsoffset` seconds. */
export function pcapngTimeMs(high: number, low: number, unitsPerSecond: bigint, offsetSeconds: number): number {
  const units = (BigInt(high) << 32n) | BigInt(low);
  const seconds = units / unitsPerSecond;
  const remainder = units % unitsPerSecond;
  return (Number(seconds) + offsetSeconds) * 1000 + Number(remainder * 1000n) / Number(unitsPerSecond);
}
