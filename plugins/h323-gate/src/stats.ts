import { type CallStats, emptyCallStats } from '@ghostguard/core';

/**
 * Counters of one gate since it was attached (`active` and `tarpitsHeld` are current values). The shared ones
 * ({@link CallStats}) under their shared names:
 * - `judged`: SETUPs the guard judged, whole, in part or through judgeMalformed;
 * - `allowed`, `rejected`, `dropped`, `tarpitted`: what the gate did with each, one per judged SETUP (an
 *   allowed call with no room system to go to is rejected: counted under `noRoute` too; a tarpit verdict with
 *   no free slot is dropped: under `tarpitNoSlot` too; a refusal with no call reference to answer is dropped);
 * - `malformed`: SETUPs judged with something the gate could not read (`unreadableSetups` for the worst);
 * - `errors`: the gate's own faults (a connection handler that threw, a ReleaseComplete that would not encode),
 *   each connection closed.
 */
export interface H323GateStats extends CallStats {
  /** Connections accepted. */
  connections: number;
  /** Connections open now (callers; the upstream side of a relay is not counted). */
  active: number;
  /** First bytes that were not a Q.931 SETUP: not TPKT (TLS, HTTP, probes, garbage), not Q.931, or another message. */
  notSetup: number;
  /** Callers that did not complete a first TPKT frame within `firstSetupTimeout`. */
  firstFrameTimeouts: number;
  /** First frames announcing, or first bytes exceeding, `maxFirstBytes`. */
  oversized: number;
  /** Callers that closed before a first frame was complete (those the gate closed for room, `evictedBeforeSetup`, too). */
  closedBeforeSetup: number;
  /**
   * Connections still without a SETUP that the gate closed when it was full, to give their slot to a caller from
   * a network with fewer such connections (the oldest of the busiest /24 or /64 goes first).
   */
  evictedBeforeSetup: number;
  /**
   * SETUPs judged with something the gate could not read: an H.225.0 UUIE that does not decode, an IE length
   * that lies, bytes after the SETUP that are not TPKT (judged on what could be read), or a Q.931 header that
   * does not decode (`unreadableSetups`). Scored as `input.undecodable`; counted under their action too.
   */
  malformed: number;
  /** Of `malformed`: nothing could be read past "this is a SETUP" (judged by guard.judgeMalformed). */
  unreadableSetups: number;
  /**
   * Connections closed without a verdict: first bytes that are not a SETUP, timeouts, oversized or unfinished
   * first frames, the two connection limits, and connections whose handling failed. Each is also counted
   * under its own reason.
   */
  closedWithoutVerdict: number;
  /** Log lines about such connections left out by the throttle (at most one line a second per kind). */
  logLinesSuppressed: number;
  /** Dropped by verdict, tarpit verdicts beyond the tarpit cap, and refusals without a call reference. */
  dropped: number;
  /** Tarpit holds started. */
  tarpitted: number;
  /** Tarpit holds going on now. */
  tarpitsHeld: number;
  /** Tarpit verdicts that found no free slot and were dropped instead. */
  tarpitNoSlot: number;
  /** Allowed calls whose called alias names no upstream, with no default upstream configured (rejected). */
  noRoute: number;
  /** Relays that reached the room system. */
  relayed: number;
  /** Bytes passed on, caller → room system (the buffered SETUP included) and room system → caller. */
  relayedBytes: { toUpstream: number; toCaller: number };
  /** Room systems that could not be reached (refused, timed out, failed). */
  upstreamErrors: number;
  /** Connections closed at once because their source already had `maxConnectionsPerSource` open. */
  tooManyFromSource: number;
  /** Connections closed at once because `maxConnections` were open. */
  tooManyConnections: number;
}

export function emptyStats(): H323GateStats {
  return {
    ...emptyCallStats(),
    connections: 0,
    active: 0,
    notSetup: 0,
    firstFrameTimeouts: 0,
    oversized: 0,
    closedBeforeSetup: 0,
    evictedBeforeSetup: 0,
    unreadableSetups: 0,
    closedWithoutVerdict: 0,
    logLinesSuppressed: 0,
    noRoute: 0,
    relayed: 0,
    relayedBytes: { toUpstream: 0, toCaller: 0 },
    upstreamErrors: 0,
    tooManyFromSource: 0,
    tooManyConnections: 0,
  };
}

/** A copy of the counters that later counting does not change (stats() hands it out). */
export function snapshot(stats: H323GateStats): H323GateStats {
  return { ...stats, relayedBytes: { ...stats.relayedBytes } };
}
