import type { Socket } from 'node:net';
import { isGhostguardError } from '@ghostguard/core';
import { TPKT_HEADER_BYTES, TpktFramer, tpktHeaderProblem } from '@ghostguard/core/h323';

/** How reading a connection's first TPKT frame ended. */
export type FirstFrame =
  /**
   * `raw` is every byte read so far (the frame and anything after it), for a byte-exact relay. `trailing`:
   * bytes that came after the frame in the same read and could not be framed (not TPKT, or a frame over the
   * cap): the frame is still reported, and the bytes are the caller's to answer for.
   */
  | { kind: 'frame'; payload: Uint8Array; raw: Buffer; trailing?: { bytes: number; detail: string } }
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
    const raw = (): Buffer => (chunks.length === 1 ? chunk : Buffer.concat(chunks, bytes));
    const result = afterRead(framer, chunk, bytes, raw, opts);
    if (result !== undefined) finish(result);
  };
  const onEnd = (): void => finish({ kind: 'closed', bytes });
  const timer = setTimeout(() => finish({ kind: 'timeout', bytes }), opts.timeoutMs);

  socket.on('data', onData);
  socket.on('end', onEnd);
  socket.on('close', onEnd);
}

/**
 * One read of readFirstFrame(): feeds `chunk` to the connection's framer and says how the first frame ended,
 * or undefined while it is not complete yet. `bytes` counts every byte read so far, this chunk included, and
 * `raw()` joins them (called only once there is an outcome). Exported so tests can put bytes through exactly
 * what the gate does with them.
 */
export function afterRead(
  framer: TpktFramer,
  chunk: Uint8Array,
  bytes: number,
  raw: () => Buffer,
  opts: { maxBytes: number },
): FirstFrame | undefined {
  let complete = false;
  let error: unknown;
  try {
    complete = framer.push(chunk).length > 0;
  } catch (err) {
    error = err;
  }
  if (complete || error !== undefined) {
    const all = raw();
    // The framer drops the frames of a read it fails in: a complete first frame in front of the bytes it
    // could not frame is still the caller's first message, and those bytes its anomaly.
    const lead = leadingFrame(all, opts.maxBytes);
    if (lead === undefined) {
      const detail = error instanceof Error ? error.message : String(error);
      if (isGhostguardError(error) && error.code === 'GG_H323_TOO_LARGE') {
        return { kind: 'too-large', detail, bytes: all.length };
      }
      return { kind: 'not-tpkt', detail, bytes: all.length };
    }
    // Fewer than a header's worth of bytes that cannot start a TPKT do not make the framer fail: checked here.
    const detail = error instanceof Error ? error.message : tailProblem(all, lead.end, opts.maxBytes);
    return {
      kind: 'frame',
      payload: lead.payload,
      raw: all,
      ...(detail !== undefined ? { trailing: { bytes: all.length - lead.end, detail } } : {}),
    };
  }
  if (bytes > opts.maxBytes + TPKT_HEADER_BYTES) {
    // Only empty TPKTs (keep-alives, which the framer skips) get here: a frame of up to maxBytes would be done.
    return { kind: 'too-large', detail: `${bytes} bytes without a complete TPKT frame`, bytes };
  }
  return undefined;
}

/** Why raw[at…] cannot be (the start of) more TPKT frames, as the framer would say it; undefined when it can. */
function tailProblem(raw: Uint8Array, at: number, maxBytes: number): string | undefined {
  let i = at;
  while (i < raw.length) {
    const problem = tpktHeaderProblem(raw, i, maxBytes);
    if (problem !== undefined) return problem.message;
    if (raw.length - i < TPKT_HEADER_BYTES) return undefined;
    i += (raw[i + 2]! << 8) | raw[i + 3]!;
  }
  return undefined;
}

/**
 * The first non-empty TPKT frame at the start of `raw` (empty keep-alive frames skipped), when it is complete
 * and within `maxBytes`: its payload (a copy) and where it ends. Headers are checked as TpktFramer does.
 */
export function leadingFrame(raw: Uint8Array, maxBytes: number): { payload: Uint8Array; end: number } | undefined {
  let at = 0;
  while (at + TPKT_HEADER_BYTES <= raw.length) {
    if (tpktHeaderProblem(raw, at, maxBytes) !== undefined) return undefined;
    const total = (raw[at + 2]! << 8) | raw[at + 3]!;
    if (at + total > raw.length) return undefined;
    if (total > TPKT_HEADER_BYTES) return { payload: raw.slice(at + TPKT_HEADER_BYTES, at + total), end: at + total };
    at += total;
  }
  return undefined;
}
