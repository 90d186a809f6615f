/**
 * The outbound Event Socket listener: FreeSWITCH's `socket` application connects here once per call. modesl's
 * Server is given a server that already listens (its own would bind port 8022 whatever port is asked for, 0
 * included); every accepted socket gets TCP_NODELAY before modesl writes `connect`, and an OutboundCall.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { type Guard, LogThrottle, RefusalLog } from '@ghostguard/core';
import esl, { type Connection } from 'drachtio-modesl';
import { FreeswitchError } from './errors.js';
import type { ResolvedFreeswitchOptions } from './options.js';
import { OutboundCall } from './outbound-call.js';
import type { FreeswitchStats } from './stats.js';

export interface OutboundAddress {
  host: string;
  port: number;
}

export interface OutboundSocket {
  readonly address: OutboundAddress;
  /** Calls whose connection is open. */
  readonly openCalls: number;
  /** Open calls holding a tarpit slot. */
  readonly tarpitsHeld: number;
  close(): Promise<void>;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export async function startOutboundSocket(
  opts: ResolvedFreeswitchOptions,
  guard: Guard,
  stats: FreeswitchStats,
): Promise<OutboundSocket> {
  const own = opts.server === undefined;
  const server = opts.server ?? createServer({ noDelay: true });
  if (own) await listen(server, opts.outbound.host, opts.outbound.port);
  const addr = server.address();
  if (addr === null || typeof addr !== 'object') {
    throw new FreeswitchError('GG_ESL_NOT_LISTENING', 'freeswitch: the outbound server is not listening');
  }
  server.maxConnections = opts.outbound.maxConnections;
  const onServerError = (err: Error) =>
    opts.logger.error({ event: 'freeswitch-server-error', code: 'GG_ESL_SOCKET', err: err.message });
  server.on('error', onServerError);
  // Before modesl's own listener: it writes `connect` as two small writes at once.
  const noDelay = (socket: Socket) => socket.setNoDelay(true);
  server.prependListener('connection', noDelay);

  const calls = new Map<string, OutboundCall>();
  // Allowed calls are logged at info (a caller can produce them at will): 20 lines a second, shared by all calls.
  const allowedLog = new LogThrottle(1_000, 20);
  const refusals = new RefusalLog(opts.logger, { of: 'freeswitch-call', ...guard.config.log.refusals });
  const before = server.listeners('connection');
  const modesl = new esl.Server({ server });
  // modesl's Server adds a 'connection' listener to the server (bound, not reachable otherwise): remember it.
  const modeslListeners = server.listeners('connection').filter((l) => !before.includes(l));
  modesl.on('error', onServerError);
  // These run inside the server's and the sockets' event handlers: nothing may escape them into the host.
  const fenced =
    (what: string, fn: (conn: Connection, id: string) => void) =>
    (conn: Connection, id: string): void => {
      try {
        fn(conn, id);
      } catch (err) {
        opts.logger.error({ event: 'freeswitch-internal-error', where: what, err: String(err) });
        calls.get(id)?.abort();
        calls.delete(id);
        conn?.socket?.destroy();
      }
    };
  modesl.on(
    'connection::open',
    fenced('open', (conn, id) => {
      stats.connections++;
      const remote = `${conn.socket?.remoteAddress ?? '?'}:${conn.socket?.remotePort ?? '?'}`;
      const call = new OutboundCall(conn, guard, opts, stats, remote, allowedLog, refusals);
      calls.set(id, call);
      call.start();
    }),
  );
  modesl.on(
    'connection::ready',
    fenced('ready', (_conn, id) => calls.get(id)?.ready()),
  );
  modesl.on(
    'connection::close',
    fenced('close', (_conn, id) => {
      calls.get(id)?.closed();
      calls.delete(id);
    }),
  );

  return {
    address: { host: own ? opts.outbound.host : addr.address, port: addr.port },
    get openCalls() {
      return calls.size;
    },
    get tarpitsHeld() {
      let n = 0;
      for (const call of calls.values()) if (call.holdsSlot) n++;
      return n;
    },
    close: async () => {
      server.off('connection', noDelay);
      modesl.removeAllListeners();
      for (const call of calls.values()) call.abort();
      calls.clear();
      refusals.close();
      for (const l of modeslListeners) server.off('connection', l as (socket: Socket) => void);
      if (own) await new Promise<void>((resolve) => server.close(() => resolve()));
      server.off('error', onServerError);
    },
  };
}
