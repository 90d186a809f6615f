import type { Action } from '@ghostguard/core';

/** Counters of one attachment (handle.stats()). */
export interface AsteriskStats {
  connected: boolean;
  connects: number;
  drops: number;
  authFailures: number;
  /** GhostguardCheck events received. */
  checks: number;
  /** What the adapter did per check (after tarpit-cap and fail-mode fallbacks). */
  byAction: Record<Action, number>;
  /** Checks decided by the fail mode (no usable source address), and checks whose fields did not decode. */
  unjudgeable: number;
  malformed: number;
  /** Check events without a Channel: nothing to act on (the dialplan times out and follows its fail policy). */
  noChannel: number;
  /** Verdict actions answered "No such channel" / "Channel does not exist": the caller hung up meanwhile. */
  channelGone: number;
  actionErrors: number;
  /** Verdicts that could not be sent (connection down). */
  notSent: number;
  tarpitNoSlot: number;
  tarpitsHeld: number;
  securityReports: number;
  bansFromReports: number;
  invalidSecurityEvents: number;
  oversizedFrames: number;
  keepaliveFailures: number;
  /** Registrations found by the listings after each login (PJSIPShowContacts, SIPpeers + SIPshowpeer). */
  roomsListed: number;
  /** guard.rooms.register() calls that stored a room (listings and events; refreshes included). */
  roomsRegistered: number;
  /** Rooms removed: ContactStatus Removed, PeerStatus Unregistered, or gone from a later listing. */
  roomsRemoved: number;
  /** Registrations Asterisk accepted that the guard classified as hijacks (not stored; source banned). */
  roomHijacks: number;
  /** Registrations not stored for another reason (banned source, nothing to check, registry full). */
  roomsRefused: number;
  /** Listings that failed (permission, module not loaded, timeout, connection lost). */
  roomListFailures: number;
  /** ContactStatus / PeerStatus / list events whose fields did not decode. */
  invalidRoomEvents: number;
}

export function emptyStats(): AsteriskStats {
  return {
    connected: false,
    connects: 0,
    drops: 0,
    authFailures: 0,
    checks: 0,
    byAction: { allow: 0, reject: 0, drop: 0, tarpit: 0 },
    unjudgeable: 0,
    malformed: 0,
    noChannel: 0,
    channelGone: 0,
    actionErrors: 0,
    notSent: 0,
    tarpitNoSlot: 0,
    tarpitsHeld: 0,
    securityReports: 0,
    bansFromReports: 0,
    invalidSecurityEvents: 0,
    oversizedFrames: 0,
    keepaliveFailures: 0,
    roomsListed: 0,
    roomsRegistered: 0,
    roomsRemoved: 0,
    roomHijacks: 0,
    roomsRefused: 0,
    roomListFailures: 0,
    invalidRoomEvents: 0,
  };
}
