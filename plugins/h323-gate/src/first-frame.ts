import type { Socket } from 'node:net';
import { isGhostguardError } from '@ghostguard/core';
import { TPKT_HEADER_BYTES, TpktFramer } from '@ghostguard/core/h323';

/** How reading a connection's first TPKT frame ended. */
export type FirstFrame =
  /** `raw` is every byte read so far (the frame and anything after it), for a byte-exact relay. */
  | { kind: 'frame'; payload: Uint8Array; raw: Buffer }
  /** The bytes are not TPKT (TLS, HTTP, an nmap probe, garbage). */
  | { kind: 'not-tpkt'; detail: string; bytes: number }
  /** The frame announces a payload over the cap, or the caller sent more than the cap and a header without a frame. */
  | { kind: 'too-large'; detail: string; bytes: number }
  | { kind: 'timeout'; bytes: number }
  /** The caller closed (or reset) before a frame was complete. */
  | { kind: 'closed'; bytes: number };

/**
 * Reads until the first complete TPKT frame, the byte cap, the timeout, or the caller's close, whichever
 * comes first, then stops reading (the socket is left paused) and reports once. `maxBytes` caps the first
 * frame's payload; at most that, a TPKT header and one read's worth of bytes are held.
 */
export function readFirstFrame(
  socket: Socket,
  opts: { maxBytes: number; timeoutMs: number },
  done: (result: FirstFrame) => void,
): void {
  const framer = new TpktFramer({ maxFrameBytes: opts.maxBytes });
  const chunks: Buffer[] = [];
  let bytes = 0;
  let finished = false;

  const finish = (result: FirstFrame): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.pause();
    done(result);
  };

  const onData = (chunk: Buffer): void => {
    chunks.push(chunk);
    bytes += chunk.length;
    let frames: Uint8Array[];
    try {
      frames = framer.push(chunk);
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      if (isGhostguardError(err) && err.code === 'GG_H323_TOO_LARGE') finish({ kind: 'too-large', detail, bytes });
      else finish({ kind: 'not-tpkt', detail, bytes });
      return;
    }
    const first = frames[0];
    if (first !== undefined) {
      finish({ kind: 'frame', payload: first, raw: chunks.length === 1 ? chunk : Buffer.concat(chunks, bytes) });
    } else if (bytes > opts.maxBytes + TPKT_HEADER_BYTES) {
      // Only empty TPKTs (keep-alives, which the framer skips) get here: a frame of up to maxBytes would be done.
      finish({ kind: 'too-large', detail: `${bytes} bytes without a complete TPKT frame`, bytes });
    }
  };
  const onEnd = (): void => finish({ kind: 'closed', bytes });
  const timer = setTimeout(() => finish({ kind: 'timeout', bytes }), opts.timeoutMs);

  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
}
