import { createServer, type Server, type Socket } from 'node:net';
import { readiness } from '@ghostguard/core';
import { sourceIp } from './attempt.js';
import { type Call, closedWithoutVerdict, type GateContext, throttledLine, track } from './context.js';
import { H323GateError } from './errors.js';
import { fairPrefix } from './pre-setup-slots.js';

/** Where the gate listens, once it does. */
export interface GateAddress {
  address: string;
  port: number;
  family: string;
}

/** The gate's listening side: the server, the connections it accepts, and their limits. */
export interface GateLink {
  /** Resolves once listening; rejects with GG_H323_GATE_LISTEN (the system's error its cause) or GG_H323_GATE_CLOSED. */
  readonly ready: Promise<void>;
  /** The bound address while listening (the real port when `listen.port` is 0). */
  address(): GateAddress | undefined;
  /** Stops accepting, destroys every open connection (callers, relays, tarpits) and resolves once all are closed. */
  close(): Promise<void>;
}

/** Waits for a socket's 'close' event. Only for sockets still in the gate's set: those have not emitted it yet. */
function closeEvent(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function boundAddress(server: Server, port: number): GateAddress {
  const a = server.address();
  return a !== null && typeof a === 'object'
    ? { address: a.address, port: a.port, family: a.family }
    : { address: String(a), port, family: 'unknown' };
}

/**
 * Starts listening on `ctx.options.listen` at once and hands each connection within the limits
 * (`maxConnectionsPerSource`, then `maxConnections`, shared fairly by network among connections without a
 * SETUP yet: see makeRoom) to `onCall`. Connections over a limit are counted, logged (throttled) and closed; a
 * handler that throws costs its connection, never the gate.
 */
export function openLink(ctx: GateContext, onCall: (call: Call) => void): GateLink {
  const { logger, options } = ctx;
  const { host, port } = options.listen;
  const { ready, settle } = readiness();
  let bound: GateAddress | undefined;
  let closing: Promise<void> | undefined;

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    try {
      accept(ctx, socket, onCall);
    } catch (err) {
      // Never let one connection take the gate down.
      ctx.stats.errors++;
      ctx.stats.closedWithoutVerdict++;
      logger.error({ event: 'h323-gate-error', err }, 'connection handling failed; connection closed');
      socket.destroy();
    }
  });

  /** Settles once the listen attempt has: true when the server listens (close() then closes it). */
  const listening = new Promise<boolean>((resolve) => {
    // The system's error (EADDRINUSE, EACCES on port 1720 without the capability, EADDRNOTAVAIL…), with a code.
    const onListenError = (err: Error): void => {
      settle(
        new H323GateError('GG_H323_GATE_LISTEN', `h323-gate: cannot listen on ${host}:${port}: ${err.message}`, {
          cause: err,
        }),
      );
      resolve(false);
    };
    server.once('error', onListenError);
    try {
      server.listen({ host, port }, () => {
        server.off('error', onListenError);
        // After listening, errors are accept failures (EMFILE…): logged, never fatal.
        server.on('error', (err) => logger.error({ event: 'h323-gate-accept-error', err }, 'accept failed'));
        resolve(true);
        if (closing) return;
        bound = boundAddress(server, port);
        logger.info({ event: 'h323-gate-listening', ...bound }, 'H.323 gate listening');
        settle();
      });
    } catch (err) {
      // Node refuses some arguments before trying (validated options should never get here).
      server.off('error', onListenError);
      onListenError(err instanceof Error ? err : new Error(String(err)));
    }
  });

  return {
    ready,
    address: () => bound,
    close() {
      closing ??= (async () => {
        settle(new H323GateError('GG_H323_GATE_CLOSED', 'h323-gate: closed before it was listening'));
        bound = undefined;
        // Listen first: 'close' handlers (tarpit slot release, counters) have run when this resolves.
        const sockets = [...ctx.sockets];
        const socketsClosed = sockets.map(closeEvent);
        for (const s of sockets) s.destroy();
        const serverClosed = listening.then((up) =>
          up ? new Promise<void>((resolve) => server.close(() => resolve())) : undefined,
        );
        await Promise.all([serverClosed, ...socketsClosed]);
      })();
      return closing;
    },
  };
}

/** One accepted connection: counted, checked against the limits, tracked until it closes, then handed on. */
function accept(ctx: GateContext, socket: Socket, onCall: (call: Call) => void): void {
  const { stats, options } = ctx;
  stats.connections++;
  socket.on('error', (err) =>
    ctx.logger.debug({ event: 'h323-socket-error', err: err.message }, 'caller socket error'),
  );
  const remote = socket.remoteAddress;
  if (remote === undefined) {
    // Already reset by the peer before we saw it.
    stats.closedBeforeSetup++;
    stats.closedWithoutVerdict++;
    socket.destroy();
    return;
  }
  const call: Call = { socket, ip: sourceIp(remote), port: socket.remotePort ?? 0 };
  // The per-source limit first: a source at its limit never costs another network's caller its slot.
  if (!ctx.limiter.tryAdd(call.ip)) {
    stats.tooManyFromSource++;
    closedWithoutVerdict(
      ctx,
      ctx.throttles.sourceLimit,
      'info',
      { event: 'h323-source-limit', source: call.ip, limit: options.maxConnectionsPerSource },
      'per-source connection limit reached: closed',
    );
    socket.destroy();
    return;
  }
  const prefix = fairPrefix(call.ip);
  if (stats.active >= options.maxConnections && !makeRoom(ctx, call, prefix)) {
    ctx.limiter.remove(call.ip);
    stats.tooManyConnections++;
    closedWithoutVerdict(
      ctx,
      ctx.throttles.connectionLimit,
      'warn',
      { event: 'h323-too-many-connections', source: call.ip, limit: options.maxConnections },
      'connection limit reached: closed',
    );
    socket.destroy();
    return;
  }
  stats.active++;
  track(ctx, socket);
  ctx.preSetup.add(call, prefix);
  socket.once('close', () => {
    stats.active--;
    ctx.limiter.remove(call.ip);
    ctx.preSetup.remove(call);
  });
  socket.setKeepAlive(true, 30_000);
  onCall(call);
}

/**
 * The gate is full: closes the oldest connection still without a SETUP of the busiest network (/24 or /64),
 * when that network has at least two more such connections than the newcomer's, so the newcomer can have its
 * slot. False when there is none (the slots hold calls past their SETUP, or the newcomer's network is the
 * busiest). The closed connection's first-frame read ends as `closed` (counted under closedBeforeSetup and
 * closedWithoutVerdict there); its slot frees when its socket has closed, a moment later.
 */
function makeRoom(ctx: GateContext, call: Call, prefix: string): boolean {
  const victim = ctx.preSetup.victimFor(prefix);
  if (victim === undefined) return false;
  ctx.preSetup.remove(victim.item);
  ctx.stats.evictedBeforeSetup++;
  throttledLine(
    ctx,
    ctx.throttles.evicted,
    'warn',
    {
      event: 'h323-evicted-before-setup',
      source: victim.item.ip,
      network: victim.prefix,
      waiting: victim.waiting,
      for: call.ip,
      limit: ctx.options.maxConnections,
    },
    'connection limit reached: closed the oldest connection without a SETUP of the busiest network',
  );
  victim.item.socket.destroy();
  return true;
}
