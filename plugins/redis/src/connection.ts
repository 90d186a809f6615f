import { Redis, type RedisOptions } from 'ioredis';
import type { ResolvedRedisBansOptions } from './options.js';

export type ConnectionRole = 'commands' | 'subscriber';

/** Reconnect delay: doubles from `min` to `max`, with jitter so that many nodes do not reconnect in step. */
export function backoffDelay(times: number, reconnect: { min: number; max: number }, random = Math.random): number {
  const base = Math.min(reconnect.max, reconnect.min * 2 ** Math.min(Math.max(times - 1, 0), 30));
  return Math.max(1, Math.round(base * (0.5 + random() / 2)));
}

/** How long a closing connection may take to end before it is destroyed (ioredis' default: 2 s). */
const DISCONNECT_TIMEOUT_MS = 200;

/** CLIENT SETNAME refuses spaces and control characters. */
function connectionName(nodeId: string, role: ConnectionRole): string {
  return `ghostguard:${nodeId.replace(/[^A-Za-z0-9._:@-]/g, '_')}:${role}`;
}

/**
 * One ioredis connection with the settings that keep Redis trouble away from the host app: nothing is queued
 * while disconnected (`enableOfflineQueue: false`, commands fail at once and a reconcile covers them later), a
 * command in flight when the link drops is not retried (`maxRetriesPerRequest: 0`), every command has a
 * timeout, and reconnection goes on forever with capped backoff. The caller must listen to 'error'.
 * Not connected yet: call connect().
 */
export function createConnection(o: ResolvedRedisBansOptions, role: ConnectionRole): Redis {
  const retryStrategy = (times: number): number => backoffDelay(times, o.reconnect);
  const common: RedisOptions = {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    autoResubscribe: false,
    connectTimeout: o.connectTimeout,
    commandTimeout: o.commandTimeout,
    // ioredis arms this timer on every disconnect() and clears it only on the stream's next 'close': a stream that had
    // already closed (Redis away, connection refused) left a 2 s timer that kept a stopping process alive.
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    keepAlive: 10_000,
    retryStrategy,
    reconnectOnError: () => false,
    connectionName: connectionName(o.nodeId, role),
    disableClientInfo: true,
    enableAutoPipelining: role === 'commands',
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(o.db !== undefined ? { db: o.db } : {}),
  };
  if (o.sentinels !== undefined && o.name !== undefined) {
    return new Redis({
      ...common,
      sentinels: o.sentinels,
      name: o.name,
      sentinelRetryStrategy: retryStrategy,
      ...(o.sentinelPassword !== undefined ? { sentinelPassword: o.sentinelPassword } : {}),
    });
  }
  return new Redis(o.url, common);
}

/** Where the connection goes, for log lines: never the credentials. */
export function describeTarget(o: ResolvedRedisBansOptions): string {
  if (o.sentinels !== undefined)
    return `sentinel ${o.name} via ${o.sentinels.map((s) => `${s.host}:${s.port}`).join(',')}`;
  try {
    const u = new URL(o.url);
    return `${u.protocol}//${u.host}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(unparsable url)';
  }
}
