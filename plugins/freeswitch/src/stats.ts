import { type CallStats, emptyCallStats, emptyRoomSyncStats, type RoomSyncStats } from '@ghostguard/core';

/**
 * Counters of one attachment (`attachment.stats()`). The shared names (CallStats; `rooms`: RoomSyncStats) mean the
 * same in every adapter: `judged` counts calls whose CHANNEL_DATA was judged, `allowed` includes those handed on by
 * `uuid_transfer` (also counted in `transferred`), `malformed` counts CHANNEL_DATA without a usable source address.
 */
export interface FreeswitchStats extends CallStats {
  /** Outbound connections FreeSWITCH opened. */
  connections: number;
  /** Allowed calls handed on with `uuid_transfer` (allow.transfer). */
  transferred: number;
  /** Allowed calls `allow.transfer` could not be filled in for safely (a variable missing or not one word): resumed instead. */
  transferUnsafe: number;
  /** Calls the adapter could not judge, by the fail policy applied. */
  failedOpen: number;
  failedClosed: number;
  /** Connections that sent no CHANNEL_DATA in time. */
  noChannelData: number;
  /** Frames over `maxFrameBytes` (connection closed). */
  oversizedFrames: number;
  /** Header values with malformed %-escapes (decoded leniently). */
  badEscapes: number;
  socketErrors: number;
  /** Verdict commands sent but FreeSWITCH kept the socket open past `settleTimeout`. */
  settleTimeouts: number;
  inbound: {
    connected: boolean;
    connects: number;
    authFailures: number;
    reconnects: number;
    events: number;
    reported: { authFailures: number; completedCalls: number; unknownTargets: number };
    /** Calls ghostguard moved with allow.transfer that found no route there (not reported against the caller). */
    transferNoRoute: number;
  };
  /** Room registrations followed on the inbound socket; `flushed`: hijackers' bindings FreeSWITCH confirmed flushing. */
  rooms: RoomSyncStats & { flushed: number };
}

export function emptyStats(): FreeswitchStats {
  return {
    ...emptyCallStats(),
    connections: 0,
    transferred: 0,
    transferUnsafe: 0,
    failedOpen: 0,
    failedClosed: 0,
    noChannelData: 0,
    oversizedFrames: 0,
    badEscapes: 0,
    socketErrors: 0,
    settleTimeouts: 0,
    inbound: {
      connected: false,
      connects: 0,
      authFailures: 0,
      reconnects: 0,
      events: 0,
      reported: { authFailures: 0, completedCalls: 0, unknownTargets: 0 },
      transferNoRoute: 0,
    },
    rooms: { ...emptyRoomSyncStats(), flushed: 0 },
  };
}
