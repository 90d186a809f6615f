import type { Socket } from 'node:net';
import { type Guard, type LogThrottle, parseIp, type Verdict } from '@ghostguard/core';
import { type Call, type GateContext, track } from './context.js';
import { enforce } from './enforce.js';
import { type FirstFrame, readFirstFrame } from './first-frame.js';
import { classifyFirstMessage, type FirstMessage } from './setup-frame.js';

/** Canonical source text: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, from a dual-stack listener) becomes IPv4. */
function sourceIp(remote: string): string {
  return parseIp(remote)?.text ?? remote;
}

/**
 * Counts a connection closed without a verdict and logs it through its kind's throttle: at most one line a
 * second per kind, carrying how many were left out since the last one (`suppressed`).
 */
function closedWithoutVerdict(
  ctx: GateContext,
  throttle: LogThrottle,
  level: 'info' | 'warn',
  fields: Record<string, unknown>,
  msg: string,
): void {
  ctx.stats.closedWithoutVerdict++;
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

/** Entry point for each accepted connection. */
export function handleConnection(ctx: GateContext, socket: Socket): void {
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
  if (stats.active >= options.maxConnections) {
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
  stats.active++;
  track(ctx, socket);
  socket.once('close', () => {
    stats.active--;
    ctx.limiter.remove(call.ip);
  });
  socket.setKeepAlive(true, 30_000);
  readFirstFrame(socket, { maxBytes: options.maxFirstBytes, timeoutMs: options.firstSetupTimeout }, (first) => {
    // Runs inside a socket event: an exception here would take the whole gate down.
    try {
      onFirstFrame(ctx, call, first);
    } catch (err) {
      stats.closedWithoutVerdict++;
      ctx.logger.error(
        { event: 'h323-gate-error', source: call.ip, port: call.port, err },
        'call handling failed; closed',
      );
      socket.destroy();
    }
  });
}

function onFirstFrame(ctx: GateContext, call: Call, first: FirstFrame): void {
  const { stats } = ctx;
  if (first.kind !== 'frame') {
    if (first.kind === 'timeout') stats.firstFrameTimeouts++;
    else if (first.kind === 'too-large') stats.oversized++;
    else if (first.kind === 'not-tpkt') stats.notSetup++;
    else stats.closedBeforeSetup++;
    closedWithoutVerdict(
      ctx,
      ctx.throttles.notSetup,
      'info',
      { event: 'h323-not-setup', source: call.ip, port: call.port, kind: first.kind, bytes: first.bytes },
      `closed before a SETUP: ${first.kind}${'detail' in first ? ` (${first.detail})` : ''}`,
    );
    call.socket.destroy();
    return;
  }
  const s = call.socket;
  const time = Date.now();
  const message = classifyFirstMessage(
    first.payload,
    {
      source: { ip: call.ip, port: call.port },
      ...(s.localAddress !== undefined ? { local: { ip: sourceIp(s.localAddress), port: s.localPort } } : {}),
      time,
    },
    first.trailing,
  );
  if (message.kind === 'not-setup') {
    stats.notSetup++;
    closedWithoutVerdict(
      ctx,
      ctx.throttles.notSetup,
      'info',
      { event: 'h323-not-setup', source: call.ip, port: call.port, kind: 'not-setup', bytes: first.raw.length },
      `closed before a SETUP: ${message.detail}`,
    );
    s.destroy();
    return;
  }
  if (message.kind === 'undecodable-setup') {
    stats.undecodableSetups++;
    stats.unreadableSetups++;
  } else if (message.attempt.anomalies !== undefined) {
    stats.undecodableSetups++;
  }
  const verdict = judgeSetup(ctx.options.guard, message, call, time);
  const attempt = message.kind === 'setup' ? message.attempt : undefined;
  enforce(ctx, call, verdict, attempt, message.callReference, first.raw);
}

/**
 * The guard's verdict on a first message that says SETUP. One read whole or in part is judged by every rule
 * (`anomalies`, what was not read, is scored as `input.undecodable`); one whose Q.931 header did not decode
 * goes to judgeMalformed, scored the same and never let through for being unreadable.
 */
export function judgeSetup(
  guard: Guard,
  message: Exclude<FirstMessage, { kind: 'not-setup' }>,
  source: { ip: string; port: number },
  time: number,
): Verdict {
  if (message.kind === 'setup') return guard.judge(message.attempt);
  return guard.judgeMalformed({
    protocol: 'h323',
    method: 'SETUP',
    source: { ip: source.ip, port: source.port, transport: 'tcp' },
    time,
    detail: `undecodable SETUP: ${message.detail}`,
    adapter: 'h323-gate',
  });
}
