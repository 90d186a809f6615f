import { createServer, type Server, type Socket } from 'node:net';
import { handleConnection } from './connection.js';
import { type GateContext, gateLogThrottles } from './context.js';
import { type H323GateOptions, resolveGateOptions } from './options.js';
import { SourceLimiter } from './source-limiter.js';
import { emptyStats, type H323GateStats } from './stats.js';

export interface GateAddress {
  address: string;
  port: number;
  family: string;
}

export interface H323Gate {
  /** Starts listening; resolves with the bound address (the real port when `listen.port` is 0). */
  listen(): Promise<GateAddress>;
  /** Stops accepting, closes every open connection (relays and tarpits too) and resolves once all are closed. */
  close(): Promise<void>;
  /** A snapshot of the gate's counters. */
  stats(): H323GateStats;
}

/** Waits for a socket's 'close' event. Only for sockets still in the gate's set: those have not emitted it yet. */
function closeEvent(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * A TCP front for H.323 call signalling (port 1720): reads each connection's first TPKT frame, decodes the
 * Q.931 SETUP, asks the guard, and relays the call to the room system or refuses it (ReleaseComplete, a
 * silent close, or a tarpit). Options are validated here (GG_CONFIG_INVALID).
 */
export function createH323Gate(options: H323GateOptions): H323Gate {
  const resolved = resolveGateOptions(options);
  const logger = resolved.logger;
  const ctx: GateContext = {
    options: resolved,
    logger,
    stats: emptyStats(),
    limiter: new SourceLimiter(resolved.maxConnectionsPerSource),
    sockets: new Set(),
    throttles: gateLogThrottles(),
  };
  // The upstreams by alias are room systems that never register: the guard's dial-shape layer must know
  // them, so a call to one of them is not a call to an unknown target.
  for (const [alias, up] of resolved.upstreams.byAlias) {
    resolved.guard.rooms.declare({ name: alias, address: `${up.host}:${up.port}` });
  }
  let server: Server | undefined;
  let closing: Promise<void> | undefined;

  const onConnection = (socket: Socket): void => {
    if (closing) {
      socket.destroy();
      return;
    }
    try {
      handleConnection(ctx, socket);
    } catch (err) {
      // Never let one connection take the gate down.
      ctx.stats.closedWithoutVerdict++;
      logger.error({ event: 'h323-gate-error', err }, 'connection handling failed; connection closed');
      socket.destroy();
    }
  };

  return {
    listen() {
      if (server) return Promise.reject(new Error('h323-gate: listen() called twice'));
      if (closing) return Promise.reject(new Error('h323-gate: closed'));
      const srv = createServer({ allowHalfOpen: true, noDelay: true }, onConnection);
      server = srv;
      return new Promise<GateAddress>((resolve, reject) => {
        // The system's error as is (EADDRINUSE, EACCES on port 1720 without the capability, EADDRNOTAVAIL…).
        const onListenError = (err: Error): void => {
          server = undefined;
          reject(err);
        };
        srv.once('error', onListenError);
        srv.listen({ host: resolved.listen.host, port: resolved.listen.port }, () => {
          srv.off('error', onListenError);
          // After listening, errors are accept failures (EMFILE…): logged, never fatal.
          srv.on('error', (err) => logger.error({ event: 'h323-gate-accept-error', err }, 'accept failed'));
          const a = srv.address();
          const bound =
            a !== null && typeof a === 'object'
              ? { address: a.address, port: a.port, family: a.family }
              : { address: String(a), port: resolved.listen.port, family: 'unknown' };
          logger.info({ event: 'h323-gate-listening', ...bound }, 'H.323 gate listening');
          resolve(bound);
        });
      });
    },

    close() {
      closing ??= (async () => {
        const srv = server;
        const serverClosed = srv?.listening
          ? new Promise<void>((resolve) => srv.close(() => resolve()))
          : Promise.resolve();
        // Listen first: 'close' handlers (tarpit slot release, counters) have run when this resolves.
        const sockets = [...ctx.sockets];
        const socketsClosed = sockets.map(closeEvent);
        for (const s of sockets) s.destroy();
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },

    stats() {
      const s = ctx.stats;
      return { ...s, relayedBytes: { ...s.relayedBytes } };
    },
  };
}
