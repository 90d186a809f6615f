/** Counters of one attachment (`handle.stats()`), for logs, tests and the CLI. */
export interface FreeswitchStats {
  /** Outbound connections FreeSWITCH opened. */
  connections: number;
  /** Calls whose CHANNEL_DATA was read and acted on. */
  calls: number;
  allowed: number;
  transferred: number;
  rejected: number;
  dropped: number;
  tarpitted: number;
  /** Tarpits refused for want of a slot (dropped instead). */
  tarpitFull: number;
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
    /** Room registrations followed on the inbound socket. */
    rooms: {
      /** Registrations seen in listings (over all listings). */
      listed: number;
      /** Bindings stored in guard.rooms (new, refreshed, moved). */
      registered: number;
      removed: number;
      /** Bindings refused as hijacks (the core banned the source). */
      hijacks: number;
      /** Bindings not stored for another reason (banned source, registry full, no address). */
      refused: number;
      /** Hijackers' bindings FreeSWITCH confirmed flushing. */
      flushed: number;
      listFailures: number;
      /** Listed registrations without a usable user or contact. */
      invalid: number;
    };
  };
}

export function emptyStats(): FreeswitchStats {
  return {
    connections: 0,
    calls: 0,
    allowed: 0,
    transferred: 0,
    rejected: 0,
    dropped: 0,
    tarpitted: 0,
    tarpitFull: 0,
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
      rooms: { listed: 0, registered: 0, removed: 0, hijacks: 0, refused: 0, flushed: 0, listFailures: 0, invalid: 0 },
    },
  };
}
