import type { TpktFramer } from '@ghostguard/core/h323';

/** Most bytes a stand-in keeps per connection, and a caller keeps of the answers it gets. */
export const MAX_RECORDED_BYTES = 1 << 20;

/** TPKT payloads of a byte stream, or undefined where the stream is not TPKT. */
export function framesOf(framer: TpktFramer, chunk: Uint8Array): Uint8Array[] | undefined {
  try {
    return framer.push(chunk);
  } catch {
    return undefined;
  }
}
