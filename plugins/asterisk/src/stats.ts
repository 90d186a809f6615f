import { type CallStats, emptyCallStats, emptyRoomSyncStats, type RoomSyncStats } from '@ghostguard/core';

/**
 * Counters of one attachment (`attachment.stats()`). The shared names (CallStats: judged, allowed, rejected,
 * dropped, tarpitted, tarpitNoSlot, tarpitsHeld, malformed, errors; `rooms`: RoomSyncStats) mean the same in every
 * adapter; the rest are Asterisk's own.
 */
export interface AsteriskStats extends CallStats {
  connected: boolean;
  connects: number;
  drops: number;
  authFailures: number;
  /** GhostguardCheck events received (judged, unjudgeable, or without a channel). */
  checks: number;
  /** Checks decided by the fail mode (no usable source address). */
  unjudgeable: number;
  /** Check events without a Channel: nothing to act on (the dialplan times out and follows its fail policy). */
  noChannel: number;
  /** Verdict actions answered "No such channel" / "Channel does not exist": the caller hung up meanwhile. */
  channelGone: number;
  /** Verdicts that could not be sent (connection down). */
  notSent: number;
  securityReports: number;
  bansFromReports: number;
  invalidSecurityEvents: number;
  oversizedFrames: number;
  keepaliveFailures: number;
  /** chan_ooh323 checks answered with the H.323 gate's verdict (h323Gate). */
  fromGate: number;
  /**
   * Rooms kept although Asterisk removed their contact for a refused (hijack) registration (`remove_existing`):
   * Asterisk sends their calls to the hijacker until they register again.
   */
  roomsDisplaced: number;
  /** Registrations followed (PJSIPShowContacts, SIPpeers + SIPshowpeer, ContactStatus, PeerStatus). */
  rooms: RoomSyncStats;
}

export function emptyStats(): AsteriskStats {
  return {
    ...emptyCallStats(),
    connected: false,
    connects: 0,
    drops: 0,
    authFailures: 0,
    checks: 0,
    unjudgeable: 0,
    noChannel: 0,
    channelGone: 0,
    notSent: 0,
    securityReports: 0,
    bansFromReports: 0,
    invalidSecurityEvents: 0,
    oversizedFrames: 0,
    keepaliveFailures: 0,
    roomsDisplaced: 0,
    fromGate: 0,
    rooms: emptyRoomSyncStats(),
  };
}
