import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from './component.js';

/** Bounds for the daemon's small HTTP endpoints: they serve a handful of local clients, never the internet. */
const LIMITS = {
  headersTimeout: 5_000,
  requestTimeout: 10_000,
  keepAliveTimeout: 1_000,
  maxConnections: 64,
  maxHeaderSize: 8_192,
} as const;
/** In-flight requests get this long to finish after close() before their connections are cut. */
const DRAIN_MS = 2_000;

export interface HttpEndpoint {
  readonly address: ListenAddress;
  /** Stops listening at once (the port is free when this resolves); in-flight requests finish within 2 s. */
  close(): Promise<void>;
}

/**
 * Listens with `handler` on `listen`; rejects with the system error (EADDRINUSE…). The handler must not
 * throw: a throw is answered 500 here as a last resort.
 */
export function startHttpEndpoint(
  listen: ListenAddress,
  handler: (req: IncomingMessage, res: ServerResponse) => void,
  onError: (err: Error) => void,
): Promise<HttpEndpoint> {
  const server: Server = createServer({ maxHeaderSize: LIMITS.maxHeaderSize }, (req, res) => {
    try {
      handler(req, res);
    } catch (err) {
      onError(err as Error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json', connection: 'close' });
      res.end('{"error":{"code":"GG_ADMIN_INTERNAL","message":"internal error"}}\n');
    }
  });
  server.headersTimeout = LIMITS.headersTimeout;
  server.requestTimeout = LIMITS.requestTimeout;
  server.keepAliveTimeout = LIMITS.keepAliveTimeout;
  server.maxConnections = LIMITS.maxConnections;
  // Unparseable requests (garbage, headers past maxHeaderSize) get a bare status line, then the socket closes.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    setTimeout(() => socket.destroy(), 1_000).unref();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', reject);
      server.on('error', onError);
      const a = server.address() as AddressInfo;
      let closing: Promise<void> | undefined;
      resolve({
        address: { host: a.address, port: a.port },
        close: () => {
          closing ??= new Promise<void>((done) => {
            // The listening socket closes now; 'close' waits for open connections, bounded below.
            const cut = setTimeout(() => server.closeAllConnections(), DRAIN_MS).unref();
            server.close(() => {
              clearTimeout(cut);
            });
            server.closeIdleConnections();
            done();
          });
          return closing;
        },
      });
    });
  });
}
