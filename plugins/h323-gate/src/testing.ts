/**
 * Test peers for the gate, exported as `@ghostguard/h323-gate/testing` (tests, `pnpm bench`, `pnpm demo`):
 * a stand-in room system that records what reaches it, and a caller that dials the gate and collects its
 * answers. Loopback use only; every buffer is capped.
 */
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TpktFramer } from '@ghostguard/core/h323';
import { waitUntil as coreWaitUntil } from '@ghostguard/core/testing';

/** Most bytes a stand-in keeps per connection, and a caller keeps of the gate's answers. */
const MAX_RECORDED_BYTES = 1 << 20;

/** The core's bounded wait, 2 s by default, polling every 2 ms. */
export function waitUntil(predicate: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  return coreWaitUntil(predicate, timeoutMs, what, 2);
}

/** TPKT payloads of a byte stream, or undefined where the stream is not TPKT. */
function framesOf(framer: TpktFramer, chunk: Uint8Array): Uint8Array[] | undefined {
  try {
    return framer.push(chunk);
  } catch {
    return undefined;
  }
}

/** One connection that reached the stand-in room system. */
export interface RoomCall {
  readonly socket: Socket;
  readonly remote: { ip: string; port: number };
  /** Every byte received, in order (up to 1 MiB). */
  bytes(): Buffer;
  /** TPKT payloads received so far. */
  readonly frames: Uint8Array[];
  /** performance.now() when each frame was complete. */
  readonly frameTimes: number[];
  /** The caller side half-closed (FIN). */
  readonly ended: boolean;
  readonly closed: boolean;
}

export interface StandInRoomOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** What the room answers to each complete TPKT frame it receives (e.g. CallProceeding, Alerting, Connect). */
  answer?: (frame: Uint8Array, call: RoomCall) => Uint8Array | readonly Uint8Array[] | undefined;
  /** Called for every complete frame, with the performance.now() of its arrival. */
  onFrame?: (frame: Uint8Array, call: RoomCall, at: number) => void;
}

export interface StandInRoom {
  readonly host: string;
  readonly port: number;
  /** Every connection received, in order of arrival. */
  readonly calls: RoomCall[];
  /** Frames received over all connections. */
  frameCount(): number;
  close(): Promise<void>;
}

/** A TCP server standing in for a room system's port 1720: records every byte and frame, optionally answers. */
export async function startStandInRoom(opts: StandInRoomOptions = {}): Promise<StandInRoom> {
  const host = opts.host ?? '127.0.0.1';
  const calls: RoomCall[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    sockets.add(socket);
    const chunks: Buffer[] = [];
    let size = 0;
    const framer = new TpktFramer({ maxFrameBytes: 65_535 });
    let tpkt = true;
    const call = {
      socket,
      remote: { ip: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 },
      bytes: () => Buffer.concat(chunks, size),
      frames: [] as Uint8Array[],
      frameTimes: [] as number[],
      ended: false,
      closed: false,
    };
    calls.push(call);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const at = performance.now();
      if (size + chunk.length <= MAX_RECORDED_BYTES) {
        chunks.push(chunk);
        size += chunk.length;
      }
      const frames = tpkt ? framesOf(framer, chunk) : undefined;
      if (frames === undefined) {
        tpkt = false;
        return;
      }
      for (const f of frames) {
        call.frames.push(f);
        call.frameTimes.push(at);
        opts.onFrame?.(f, call, at);
        const reply = opts.answer?.(f, call);
        if (reply === undefined || socket.destroyed) continue;
        for (const r of reply instanceof Uint8Array ? [reply] : reply) socket.write(r);
      }
    });
    socket.on('end', () => {
      call.ended = true;
      socket.end();
    });
    socket.on('close', () => {
      call.closed = true;
      sockets.delete(socket);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: 0 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('stand-in room: no address');
  return {
    host,
    port: address.port,
    calls,
    frameCount: () => calls.reduce((n, c) => n + c.frames.length, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

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
          await waitUntil(() => frames.length >= n, timeoutMs, `${n} frame(s) from the gate`);
          return frames;
        },
      });
    });
  });
}
