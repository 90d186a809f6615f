import {
  type Action,
  countEnforced,
  GUARD_RULES,
  type H323Attempt,
  type RefusalNote,
  type Verdict,
} from '@ghostguard/core';
import {
  encodeReleaseComplete,
  type H225ReleaseOptions,
  type H225ReplyOptions,
  withSourceSignalAddress,
} from '@ghostguard/core/h323';
import { type Call, type GateContext, track } from './context.js';
import type { Release, Upstream } from './options.js';
import { relay } from './relay.js';
import { pickRoute, targetOf } from './routes.js';
import { type HoldEnd, holdTarpit } from './tarpit-hold.js';

/** After a ReleaseComplete, how long the caller has to close before the gate destroys the connection. */
export const REPLY_LINGER_MS = 2_000;
/** ReleaseComplete when the called alias names no room system (Q.931 cause 1: unallocated number). */
export const NO_ROUTE_RELEASE: Release = { reason: 'unreachableDestination', cause: 1 };
/** ReleaseComplete when the room system cannot be reached (Q.931 cause 27: destination out of order). */
export const UPSTREAM_DOWN_RELEASE: Release = { reason: 'unreachableDestination', cause: 27 };

const GUID_HEX = /^[0-9a-f]{32}$/i;

/**
 * What the gate's answers repeat from the SETUP: its H.225.0 version and callIdentifier (H.225.0 asks every
 * message of a call to carry the SETUP's callIdentifier). Nothing for a SETUP that did not decode.
 */
export function replyOptionsFor(attempt: H323Attempt | undefined): H225ReplyOptions {
  if (!attempt) return {};
  const out: H225ReplyOptions = {};
  const version = attempt.h323.protocolVersion;
  if (version !== undefined && version >= 1 && version <= 255) out.protocolVersion = version;
  if (attempt.callId !== undefined && GUID_HEX.test(attempt.callId)) out.callIdentifier = attempt.callId;
  return out;
}

/**
 * Carries out a verdict on a caller whose first frame was a SETUP: relay, ReleaseComplete, silent close or
 * tarpit, and logs the decision (one line, with the verdict's rules). `raw` is every byte read from the caller.
 * What was done is counted under its action's shared name (countEnforced): one per judged SETUP.
 */
export function enforce(
  ctx: GateContext,
  call: Call,
  verdict: Verdict,
  attempt: H323Attempt | undefined,
  callReference: number | undefined,
  raw: Buffer,
): void {
  const { stats, options } = ctx;
  // A verdict ghostguard could not reach on its own account (a rule that threw, an adapter fault):
  // policy.onInternalError decided. Never the case for what the caller sent, however broken.
  const firstRule = verdict.reasons[0]?.rule;
  const fault = firstRule === GUARD_RULES.invalid || firstRule === GUARD_RULES.internal;
  const anomalies = attempt?.anomalies;
  // Built only for a line that is written: a refused call from a source already refused in the window is counted.
  const fields = () => ({
    event: 'h323-call',
    source: call.ip,
    port: call.port,
    target: attempt ? targetOf(attempt) : undefined,
    callReference,
    verdict: verdict.action,
    intended: verdict.intended,
    score: verdict.score,
    rules: verdict.reasons.map((r) => r.rule),
    monitor: verdict.monitor,
    ...(anomalies !== undefined ? { anomalies } : {}),
    ...(fault
      ? { onInternalError: options.guard.config.policy.onInternalError, detail: verdict.reasons[0]?.detail }
      : {}),
  });
  // What the gate could read of the SETUP: all of it, part of it (anomalies), or nothing past "SETUP".
  const read =
    attempt === undefined ? '; undecodable SETUP' : anomalies !== undefined ? '; SETUP partly undecodable' : '';
  const say = (action: Action, extra: Record<string, unknown> = {}, note = ''): void => {
    // Refusals (and would-be refusals in monitor mode) through the refusal log; a fault is always written.
    let refusal: RefusalNote | undefined;
    if (!fault && (action !== 'allow' || verdict.intended !== 'allow')) {
      refusal = ctx.refusals.take(call.ip, action === 'allow' ? verdict.intended : action, verdict.reasons);
      if (refusal === undefined) return;
    }
    const line = { ...fields(), action, ...extra, ...refusal };
    const msg = `${action} H.323 call${note}${verdict.monitor && verdict.intended !== 'allow' ? ` (monitor mode: would ${verdict.intended})` : ''}${read}`;
    if (!fault) ctx.logger.info(line, msg);
    else
      ctx.logger.warn(line, `${msg}; ghostguard fault, onInternalError ${options.guard.config.policy.onInternalError}`);
  };
  const reply = replyOptionsFor(attempt);
  // A refusal without a call reference to answer (a SETUP whose header did not decode) can only be a silent close.
  const action: Action = verdict.action !== 'allow' && callReference === undefined ? 'drop' : verdict.action;

  switch (action) {
    case 'allow': {
      const route = pickRoute(attempt, options.upstreams);
      if (!route) {
        stats.noRoute++;
        countEnforced(stats, 'reject');
        say('reject', { outcome: 'no-route' }, ': no room system for the called alias');
        refuse(ctx, call, callReference, { ...reply, ...NO_ROUTE_RELEASE });
        return;
      }
      countEnforced(stats, 'allow');
      const upstream = `${route.upstream.host}:${route.upstream.port}`;
      say('allow', { upstream, alias: route.alias });
      startRelay(ctx, call, route.upstream, raw, callReference, upstream, reply);
      return;
    }
    case 'reject':
      countEnforced(stats, 'reject');
      say('reject');
      refuse(ctx, call, callReference, { ...reply, ...options.reject });
      return;
    case 'tarpit': {
      const slot = options.guard.tarpits.tryAcquire();
      if (!slot) {
        stats.tarpitNoSlot++;
        countEnforced(stats, 'drop');
        say('drop', { outcome: 'tarpit-cap' }, ': tarpit cap reached');
        call.socket.destroy();
        return;
      }
      // callReference is set: without one, the action was turned into a drop above.
      holdTarpit(call.socket, slot, callReference!, reply, options.tarpit, tarpitEnded(ctx, call));
      countEnforced(stats, 'tarpit');
      stats.tarpitsHeld++;
      say('tarpit', { maxHold: options.tarpit.maxHold });
      return;
    }
    default:
      countEnforced(stats, 'drop');
      say('drop');
      call.socket.destroy();
  }
}

/**
 * The callback for a tarpit's end, made outside enforce(): a closure created there would share enforce's
 * context and keep the decoded attempt, the verdict and the log line alive for the whole hold.
 */
function tarpitEnded(ctx: GateContext, call: Call): (why: HoldEnd, heldMs: number) => void {
  return (why, heldMs) => {
    ctx.stats.tarpitsHeld--;
    ctx.logger.debug({ event: 'h323-tarpit-end', source: call.ip, port: call.port, why, heldMs }, 'tarpit ended');
  };
}

/** ReleaseComplete with the SETUP's call reference, then close (destroyed if the caller lingers). */
function refuse(ctx: GateContext, call: Call, callReference: number | undefined, release: H225ReleaseOptions): void {
  const s = call.socket;
  if (callReference === undefined || s.destroyed) {
    s.destroy();
    return;
  }
  let frame: Uint8Array;
  try {
    frame = encodeReleaseComplete(callReference, release);
  } catch (err) {
    ctx.stats.errors++;
    ctx.logger.error({ event: 'h323-gate-error', source: call.ip, err }, 'could not encode ReleaseComplete; closed');
    s.destroy();
    return;
  }
  const linger = setTimeout(() => s.destroy(), REPLY_LINGER_MS);
  s.once('close', () => clearTimeout(linger));
  // Read and discard what the caller still sends, so that its FIN completes the close.
  s.on('data', () => {});
  s.end(frame);
  s.resume();
}

function startRelay(
  ctx: GateContext,
  call: Call,
  target: Upstream,
  raw: Buffer,
  callReference: number | undefined,
  upstreamText: string,
  reply: H225ReplyOptions,
): void {
  const { stats } = ctx;
  const upstream = relay(call.socket, raw, target, ctx.options.upstreamConnectTimeout, {
    ...(ctx.options.rewriteSourceAddress ? { rewriteFirst: withGateSourceAddress } : {}),
    onConnected: () => {
      stats.relayed++;
    },
    onConnectFailed: (err) => {
      stats.upstreamErrors++;
      ctx.logger.warn(
        { event: 'h323-upstream-error', source: call.ip, port: call.port, upstream: upstreamText, err: err.message },
        'room system unreachable: ReleaseComplete to the caller',
      );
      refuse(ctx, call, callReference, { ...reply, ...UPSTREAM_DOWN_RELEASE });
    },
    onBytes: (direction, n) => {
      stats.relayedBytes[direction] += n;
    },
  });
  track(ctx, upstream);
}

/**
 * The buffered bytes with the first frame's SETUP naming the gate's end of the upstream connection as its
 * sourceCallSignalAddress (IPv4 only; anything that does not decode is relayed as read).
 */
function withGateSourceAddress(first: Buffer, local: { address: string; port: number }): Buffer {
  const ip = local.address.startsWith('::ffff:') ? local.address.slice(7) : local.address;
  if (first.length < 4) return first;
  const frameEnd = Math.min(first.readUInt16BE(2), first.length);
  const payload = first.subarray(4, frameEnd);
  const rewritten = withSourceSignalAddress(payload, ip, local.port);
  if (rewritten === payload) return first;
  const out = Buffer.from(first);
  out.set(rewritten, 4);
  return out;
}
