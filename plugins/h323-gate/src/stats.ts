/** Counters of one gate since it was created (`active` and `tarpitsHeld` are current values). */
export interface H323GateStats {
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
  /** Callers that closed before a first frame was complete. */
  closedBeforeSetup: number;
  /**
   * SETUPs judged with something the gate could not read: an H.225.0 UUIE that does not decode, an IE length
   * that lies, bytes after the SETUP that are not TPKT (judged on what could be read), or a Q.931 header that
   * does not decode (`unreadableSetups`). Scored as `input.undecodable`; counted under their action too.
   */
  undecodableSetups: number;
  /** Of undecodableSetups: nothing could be read past "this is a SETUP" (judged by guard.judgeMalformed). */
  unreadableSetups: number;
  /**
   * Connections closed without a verdict: first bytes that are not a SETUP, timeouts, oversized or unfinished
   * first frames, the two connection limits, and connections whose handling failed. Each is also counted
   * under its own reason.
   */
  closedWithoutVerdict: number;
  /** Log lines about such connections left out by the throttle (at most one line a second per kind). */
  logLinesSuppressed: number;
  allowed: number;
  rejected: number;
  /** Dropped by verdict, and tarpit verdicts beyond the tarpit cap. */
  dropped: number;
  /** Tarpit holds started. */
  tarpitted: number;
  /** Tarpit holds going on now. */
  tarpitsHeld: number;
  /** Tarpit verdicts that found no free slot and were dropped instead. */
  tarpitNoSlot: number;
  /** Allowed calls whose called alias names no upstream, with no default upstream configured. */
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
    connections: 0,
    active: 0,
    notSetup: 0,
    firstFrameTimeouts: 0,
    oversized: 0,
    closedBeforeSetup: 0,
    undecodableSetups: 0,
    unreadableSetups: 0,
    closedWithoutVerdict: 0,
    logLinesSuppressed: 0,
    allowed: 0,
    rejected: 0,
    dropped: 0,
    tarpitted: 0,
    tarpitsHeld: 0,
    tarpitNoSlot: 0,
    noRoute: 0,
    relayed: 0,
    relayedBytes: { toUpstream: 0, toCaller: 0 },
    upstreamErrors: 0,
    tooManyFromSource: 0,
    tooManyConnections: 0,
  };
}
