import { connect, type Socket } from 'node:net';
import { H323GateError } from './errors.js';
import type { Upstream } from './options.js';

/** After one side of a relay has closed, how long the other may take to finish its half before it is destroyed. */
export const RELAY_LINGER_MS = 10_000;

export interface RelayHooks {
  /** The room system accepted the connection and the buffered bytes were written to it. */
  onConnected(upstream: Socket): void;
  /** The room system could not be reached; the caller socket is left open and paused (the gate answers it). */
  onConnectFailed(err: Error): void;
  onBytes(direction: 'toUpstream' | 'toCaller', n: number): void;
  /** Changes the buffered bytes once the connection exists (its local end known), before they are written. */
  rewriteFirst?(first: Buffer, local: { address: string; port: number }): Buffer;
}

/**
 * Connects to the room system, writes `first` (every byte read from the caller so far, unchanged), then
 * pipes both ways: backpressure from `pipe`, and an end of stream on one side becomes a half-close (FIN) on
 * the other while the reverse direction keeps flowing. Both sockets are created with `allowHalfOpen: true`;
 * the caller socket must be paused with no 'data' listener. Returns the upstream socket.
 */
export function relay(
  caller: Socket,
  first: Buffer,
  target: Upstream,
  connectTimeoutMs: number,
  hooks: RelayHooks,
): Socket {
  const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  // Released once written: the closures below live as long as the relay.
  let pending: Buffer | undefined = first;
  let connected = false;
  const connectTimer = setTimeout(() => {
    upstream.destroy(
      new H323GateError(
        'GG_H323_GATE_UPSTREAM_TIMEOUT',
        `no connection to ${target.host}:${target.port} within ${connectTimeoutMs} ms`,
      ),
    );
  }, connectTimeoutMs);

  /** One side closed: end the other gracefully (at once after an error), but never wait forever. */
  const closeOther = (other: Socket, hadError: boolean): void => {
    if (other.destroyed) return;
    if (hadError || !connected) {
      other.destroy();
      return;
    }
    other.end();
    const linger = setTimeout(() => other.destroy(), RELAY_LINGER_MS);
    other.once('close', () => clearTimeout(linger));
  };

  upstream.on('error', (err) => {
    pending = undefined;
    if (!connected) {
      clearTimeout(connectTimer);
      hooks.onConnectFailed(err);
    }
    // After connecting, 'close' (hadError) follows and tears the caller side down.
  });
  upstream.once('connect', () => {
    clearTimeout(connectTimer);
    if (caller.destroyed) {
      upstream.destroy();
      return;
    }
    connected = true;
    upstream.setKeepAlive(true, 30_000);
    let bytes = pending ?? Buffer.alloc(0);
    pending = undefined;
    const { localAddress, localPort } = upstream;
    if (hooks.rewriteFirst && localAddress !== undefined && localPort !== undefined) {
      bytes = hooks.rewriteFirst(bytes, { address: localAddress, port: localPort });
    }
    upstream.write(bytes);
    hooks.onBytes('toUpstream', bytes.length);
    upstream.on('data', (chunk: Buffer) => hooks.onBytes('toCaller', chunk.length));
    caller.on('data', (chunk: Buffer) => hooks.onBytes('toUpstream', chunk.length));
    caller.pipe(upstream);
    upstream.pipe(caller);
    hooks.onConnected(upstream);
  });
  upstream.once('close', (hadError) => {
    clearTimeout(connectTimer);
    // Before connecting, the caller is the gate's to answer (onConnectFailed); afterwards it follows the room.
    if (connected) closeOther(caller, hadError);
  });
  // The caller left: while connecting, abandon the upstream; afterwards finish it like any relay.
  caller.once('close', (hadError) => closeOther(upstream, hadError));
  return upstream;
}
