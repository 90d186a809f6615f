import type { Socket } from 'node:net';
import { type Logger, LogThrottle, type RefusalLog } from '@ghostguard/core';
import type { ResolvedGateOptions } from './options.js';
import type { PreSetupSlots } from './pre-setup-slots.js';
import type { SourceLimiter } from './source-limiter.js';
import type { H323GateStats } from './stats.js';

/** What every connection shares: options, counters and the bookkeeping the attachment's close() needs. */
export interface GateContext {
  readonly options: ResolvedGateOptions;
  readonly logger: Logger;
  readonly stats: H323GateStats;
  readonly limiter: SourceLimiter;
  /** Connections still waiting for their first frame, by network: whose slot a newcomer takes when the gate is full. */
  readonly preSetup: PreSetupSlots<Call>;
  /** Every open socket (callers and upstreams), destroyed by close(). */
  readonly sockets: Set<Socket>;
  /** One per kind of line about connections closed without a verdict: a flood writes a line a second each. */
  readonly throttles: GateLogThrottles;
  /** Refused calls (and monitor mode's would-be refusals): one line per source per window, a budget per second. */
  readonly refusals: RefusalLog;
}

/** Least time between two lines of one kind about connections closed without a verdict. */
export const CLOSE_LOG_INTERVAL_MS = 1_000;

export interface GateLogThrottles {
  /** First bytes that are not a SETUP, timeouts, oversized or unfinished first frames. */
  readonly notSetup: LogThrottle;
  readonly sourceLimit: LogThrottle;
  readonly connectionLimit: LogThrottle;
  /** Connections without a SETUP closed to make room for a caller from a less busy network. */
  readonly evicted: LogThrottle;
}

export function gateLogThrottles(): GateLogThrottles {
  return {
    notSetup: new LogThrottle(CLOSE_LOG_INTERVAL_MS),
    sourceLimit: new LogThrottle(CLOSE_LOG_INTERVAL_MS),
    connectionLimit: new LogThrottle(CLOSE_LOG_INTERVAL_MS),
    evicted: new LogThrottle(CLOSE_LOG_INTERVAL_MS),
  };
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

/**
 * Counts a connection closed without a verdict and logs it through its kind's throttle: at most one line a
 * second per kind, carrying how many were left out since the last one (`suppressed`). The caller closes it.
 */
export function closedWithoutVerdict(
  ctx: GateContext,
  throttle: LogThrottle,
  level: 'info' | 'warn',
  fields: Record<string, unknown>,
  msg: string,
): void {
  ctx.stats.closedWithoutVerdict++;
  throttledLine(ctx, throttle, level, fields, msg);
}

/**
 * A log line a peer can trigger at will, through its kind's throttle: at most one a second, carrying how many
 * were left out since the last one (`suppressed`, also added to `logLinesSuppressed`).
 */
export function throttledLine(
  ctx: GateContext,
  throttle: LogThrottle,
  level: 'info' | 'warn',
  fields: Record<string, unknown>,
  msg: string,
): void {
  const suppressed = throttle.take();
  if (suppressed === undefined) {
    ctx.stats.logLinesSuppressed++;
    return;
  }
  const line = { ...fields, suppressed };
  const text = suppressed > 0 ? `${msg} (${suppressed} more like it not logged)` : msg;
  if (level === 'warn') ctx.logger.warn(line, text);
  else ctx.logger.info(line, text);
}
