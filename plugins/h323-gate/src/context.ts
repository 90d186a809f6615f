import type { Socket } from 'node:net';
import type { Logger } from '@ghostguard/core';
import type { ResolvedGateOptions } from './options.js';
import type { SourceLimiter } from './source-limiter.js';
import type { H323GateStats } from './stats.js';

/** What every connection shares: options, counters and the bookkeeping the gate's close() needs. */
export interface GateContext {
  readonly options: ResolvedGateOptions;
  readonly logger: Logger;
  readonly stats: H323GateStats;
  readonly limiter: SourceLimiter;
  /** Every open socket (callers and upstreams), destroyed by close(). */
  readonly sockets: Set<Socket>;
}

/** One caller's connection, with its canonical source address. */
export interface Call {
  socket: Socket;
  ip: string;
  port: number;
}

/** Adds a socket to the set close() destroys, until it closes. */
export function track(ctx: GateContext, socket: Socket): void {
  ctx.sockets.add(socket);
  socket.once('close', () => ctx.sockets.delete(socket));
}
