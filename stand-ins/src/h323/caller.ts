/**
 * An H.323 caller: dials a gate (or a room) over TCP, writes its SETUP and collects the TPKT frames it gets
 * back. Loopback use only; what it keeps is capped.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { TpktFramer } from '@ghostguard/core/h323';
import { waitUntil } from '../wait-until.js';
import { framesOf, MAX_RECORDED_BYTES } from './tpkt-stream.js';

/** A caller connected to the gate (or straight to a room). */
export interface Caller {
  readonly socket: Socket;
  /** Bytes received from the gate (up to 1 MiB). */
  received(): Buffer;
  /** TPKT payloads received. */
  readonly frames: Uint8Array[];
  /** Resolves when the socket closes: whether it ended with an error (RST) and how many bytes came in. */
  readonly closed: Promise<{ hadError: boolean; bytes: number }>;
  readonly isClosed: boolean;
  waitForFrames(n: number, timeoutMs?: number): Promise<Uint8Array[]>;
}

export interface DialOptions {
  host: string;
  port: number;
  /** Written as soon as the connection is up. */
  send?: Uint8Array;
  /** Source address to bind (any 127.x.y.z on Linux loopback; lets one test play many sources). */
  localAddress?: string;
  /** Reject if not connected within this, default 2 s. */
  connectTimeoutMs?: number;
}

/** Connects a caller; resolves once connected (and `send` written). */
export function dial(opts: DialOptions): Promise<Caller> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({
      host: opts.host,
      port: opts.port,
      allowHalfOpen: true,
      noDelay: true,
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    const chunks: Buffer[] = [];
    let size = 0;
    const framer = new TpktFramer({ maxFrameBytes: 65_535 });
    const frames: Uint8Array[] = [];
    let tpkt = true;
    let isClosed = false;
    const closed = new Promise<{ hadError: boolean; bytes: number }>((done) => {
      socket.once('close', (hadError) => {
        isClosed = true;
        done({ hadError, bytes: size });
      });
    });
    const timer = setTimeout(() => socket.destroy(new Error('connect timeout')), opts.connectTimeoutMs ?? 2_000);
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('data', (chunk: Buffer) => {
      if (size + chunk.length <= MAX_RECORDED_BYTES) {
        chunks.push(chunk);
        size += chunk.length;
      }
      const got = tpkt ? framesOf(framer, chunk) : undefined;
      if (got === undefined) tpkt = false;
      else frames.push(...got);
    });
    socket.on('end', () => socket.end());
    socket.once('connect', () => {
      clearTimeout(timer);
      if (opts.send) socket.write(opts.send);
      resolve({
        socket,
        received: () => Buffer.concat(chunks, size),
        frames,
        closed,
        get isClosed() {
          return isClosed;
        },
        waitForFrames: async (n, timeoutMs = 2_000) => {
          await waitUntil(() => frames.length >= n, timeoutMs, `${n} frame(s) from the gate`, 2);
          return frames;
        },
      });
    });
  });
}
