import { type Attachment, type Guard, RefusalLog } from '@ghostguard/core';
import { judgeFirstFrame } from './attempt.js';
import { type Call, type GateContext, gateLogThrottles } from './context.js';
import { enforce } from './enforce.js';
import { readFirstFrame } from './first-frame.js';
import { type GateAddress, openLink } from './link.js';
import { type H323GateListen, type H323GateOptions, resolveGateOptions } from './options.js';
import { PreSetupSlots } from './pre-setup-slots.js';
import { declareRooms } from './rooms.js';
import { SourceLimiter } from './source-limiter.js';
import { emptyStats, type H323GateStats, snapshot } from './stats.js';

/** The handle attachH323Gate() returns. */
export interface H323GateAttachment extends Attachment<H323GateStats> {
  /**
   * Resolves once the gate listens; rejects with H323GateError GG_H323_GATE_LISTEN (address in use, port 1720
   * not allowed…: the system's error is its `cause`) or GG_H323_GATE_CLOSED (closed first). Never an unhandled
   * rejection when nobody awaits it.
   */
  readonly ready: Promise<void>;
  /** The bound address once `ready` resolved (the real port when `listen.port` is 0); undefined before and after. */
  address(): GateAddress | undefined;
  /** A snapshot of the gate's counters (the shared ones under the names of CallStats). */
  stats(): H323GateStats;
  /**
   * Stops accepting and closes every open connection: held tarpit calls are closed as a tarpit ends (no
   * ReleaseComplete; their slots released, their timers cleared), relays are cut, callers still sending their
   * first frame are closed. Resolves once every socket is closed; idempotent. The guard is not closed.
   */
  close(): Promise<void>;
}

/**
 * Puts the guard in front of H.323 call signalling: listens on `listen` (where the room system's TCP 1720 was
 * reachable) from this call on, reads each connection's first TPKT frame, decodes the Q.931 SETUP, asks the
 * guard, and relays the call to the room system or refuses it (ReleaseComplete, a silent close, or a tarpit).
 * `listen` and `options` are validated here: a bad key throws GG_CONFIG_INVALID naming it.
 */
export function attachH323Gate(
  guard: Guard,
  listen: H323GateListen,
  options: H323GateOptions = {},
): H323GateAttachment {
  const resolved = resolveGateOptions(guard, listen, options);
  const ctx: GateContext = {
    options: resolved,
    logger: resolved.logger,
    stats: emptyStats(),
    limiter: new SourceLimiter(resolved.maxConnectionsPerSource),
    preSetup: new PreSetupSlots(),
    sockets: new Set(),
    throttles: gateLogThrottles(),
    refusals: new RefusalLog(resolved.logger, { of: 'h323-call', ...guard.config.log.refusals }),
  };
  declareRooms(guard, resolved.upstreams.byAlias);
  const link = openLink(ctx, (call) => onCall(ctx, call));
  return {
    ready: link.ready,
    address: link.address,
    stats: () => snapshot(ctx.stats),
    close: () => {
      ctx.refusals.close();
      return link.close();
    },
  };
}

/** One caller within the limits: its first frame, judged, then the verdict carried out. */
function onCall(ctx: GateContext, call: Call): void {
  const { options } = ctx;
  readFirstFrame(call.socket, { maxBytes: options.maxFirstBytes, timeoutMs: options.firstSetupTimeout }, (first) => {
    // Past its first frame (or closed): no longer a connection another network's caller may take the slot of.
    ctx.preSetup.remove(call);
    // Runs inside a socket event: an exception here would take the whole gate down.
    try {
      const judged = judgeFirstFrame(ctx, call, first);
      if (judged) enforce(ctx, call, judged.verdict, judged.attempt, judged.callReference, judged.raw);
    } catch (err) {
      ctx.stats.errors++;
      ctx.stats.closedWithoutVerdict++;
      ctx.logger.error(
        { event: 'h323-gate-error', source: call.ip, port: call.port, err },
        'call handling failed; closed',
      );
      call.socket.destroy();
    }
  });
}
