import type { Socket } from 'node:net';
import { parseIp } from '@ghostguard/core';
import { type Call, type GateContext, track } from './context.js';
import { enforce } from './enforce.js';
import { type FirstFrame, readFirstFrame } from './first-frame.js';
import { classifyFirstMessage } from './setup-frame.js';

/** Canonical source text: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, from a dual-stack listener) becomes IPv4. */
function sourceIp(remote: string): string {
  return parseIp(remote)?.text ?? remote;
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
    socket.destroy();
    return;
  }
  const call: Call = { socket, ip: sourceIp(remote), port: socket.remotePort ?? 0 };
  if (stats.active >= options.maxConnections) {
    stats.tooManyConnections++;
    ctx.logger.warn(
      { event: 'h323-too-many-connections', source: call.ip, limit: options.maxConnections },
      'connection limit reached: closed',
    );
    socket.destroy();
    return;
  }
  if (!ctx.limiter.tryAdd(call.ip)) {
    stats.tooManyFromSource++;
    ctx.logger.info(
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
      ctx.logger.error(
        { event: 'h323-gate-error', source: call.ip, port: call.port, err },
        'call handling failed; closed',
      );
      socket.destroy();
    }
  });
}

function onFirstFrame(ctx: GateContext, call: Call, first: FirstFrame): void {
  const { stats, logger } = ctx;
  if (first.kind !== 'frame') {
    if (first.kind === 'timeout') stats.firstFrameTimeouts++;
    else if (first.kind === 'too-large') stats.oversized++;
    else if (first.kind === 'not-tpkt') stats.notSetup++;
    else stats.closedBeforeSetup++;
    logger.debug(
      { event: 'h323-not-setup', source: call.ip, port: call.port, kind: first.kind, bytes: first.bytes },
      `closed before a SETUP: ${first.kind}${'detail' in first ? ` (${first.detail})` : ''}`,
    );
    call.socket.destroy();
    return;
  }
  const s = call.socket;
  const message = classifyFirstMessage(first.payload, {
    source: { ip: call.ip, port: call.port },
    ...(s.localAddress !== undefined ? { local: { ip: sourceIp(s.localAddress), port: s.localPort } } : {}),
    time: Date.now(),
  });
  if (message.kind === 'not-setup') {
    stats.notSetup++;
    logger.debug(
      { event: 'h323-not-setup', source: call.ip, port: call.port, kind: 'not-setup', bytes: first.raw.length },
      `closed before a SETUP: ${message.detail}`,
    );
    s.destroy();
    return;
  }
  if (message.kind === 'undecodable-setup') {
    stats.undecodableSetups++;
    // The guard still refuses a banned source and passes an allowlisted one; otherwise its fail mode decides.
    const verdict = ctx.options.guard.judgeMalformed({
      protocol: 'h323',
      method: 'SETUP',
      source: { ip: call.ip, port: call.port, transport: 'tcp' },
      time: Date.now(),
      detail: `undecodable SETUP: ${message.detail}`,
      adapter: 'h323-gate',
    });
    enforce(ctx, call, verdict, undefined, message.callReference, first.raw);
    return;
  }
  enforce(ctx, call, ctx.options.guard.judge(message.attempt), message.attempt, message.callReference, first.raw);
}
