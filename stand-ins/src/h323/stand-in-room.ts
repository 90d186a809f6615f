/**
 * A stand-in for a room system's H.323 port 1720: a TCP server that records every byte and TPKT frame that
 * reaches it and, when told, answers each frame (e.g. with a recorded CallProceeding, Alerting, Connect).
 * Loopback use only; every buffer is capped.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { TpktFramer } from '@ghostguard/core/h323';
import { listenOn } from '../listen.js';
import { framesOf, MAX_RECORDED_BYTES } from './tpkt-stream.js';

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
  const port = await listenOn(server, host, 0, 'stand-in room');
  return {
    host,
    port,
    calls,
    frameCount: () => calls.reduce((n, c) => n + c.frames.length, 0),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
