import type { BanInfo } from '@ghostguard/core';
import { encodeMessage, wireBan } from './messages.js';

/**
 * The shared-ban store: the few operations ban replication, report sharing and reconcile need from the place
 * where the nodes meet. Two backends implement it: Redis (`redis-store.ts`, standalone or Sentinel: keys with a
 * TTL, Lua scripts, pub/sub) and one process's memory (`memory-store.ts`: several guards on one hub).
 *
 * As in rate-limiter-flexible, the store is never on the decision path: `judge` reads the guard's local ban list,
 * which is the insurance. When the store is away the node keeps deciding on what it has, and a reconcile puts both
 * sides level when it is back. A store serves one attachment (one node); the attachment opens and closes it.
 *
 * Rules every backend keeps:
 * - a stored ban is never shortened (racing nodes keep the one that ends last), and expires when it ends;
 * - a ban lifted by hand is remembered (`BanLift.remember`), so that a node which still holds it cannot push it
 *   back: `writeBan` answers `lifted` for a ban that began before that lift;
 * - messages (`publish`, and the `announce` of a write or lift) reach every open node, the sender included,
 *   as opaque text: the caller encodes and validates them (`messages.ts`). Nothing is queued for a node that is
 *   down; a write while the store is unreachable rejects at once.
 */

/** A ban to store and announce: built by {@link banWrite}. */
export interface BanWrite {
  /** The ban as stored and sent: BanInfo fields only (`wireBan`). */
  readonly ban: BanInfo;
  /** How long the store keeps it (ms, at least 1): until the ban ends. */
  readonly ttl: number;
  /** The message published when (and only when) the ban is written. */
  readonly announce: string;
}

/** A ban lifted by hand, to delete everywhere: built by {@link banLift}. */
export interface BanLift {
  readonly ip: string;
  /** When it was lifted (ms since the epoch). */
  readonly removedAt: number;
  /** How long the lift is remembered (ms): the longest a ban can run, so no older ban can come back. */
  readonly remember: number;
  /** A lift replayed after an outage: a ban that began after `removedAt` is newer news and stays. */
  readonly conditional: boolean;
  /** The message published when it is lifted. */
  readonly announce: string;
}

/** `written` (and announced); `kept-longer`: the stored ban ends at least as late; `lifted`: lifted by hand after it began. */
export type WriteResult = 'written' | 'kept-longer' | 'lifted';
/** `lifted` (deleted, remembered, announced); `kept-newer`: a conditional lift met a ban that began after it. */
export type LiftResult = 'lifted' | 'kept-newer';
/** A batch answers item by item: the result, or the error of that one command. */
export type BatchResult<T> = T | Error;

/**
 * What a store tells its attachment. `up` and `down` may repeat (the attachment's LinkState keeps the one log line
 * per transition); nothing is called after `close()`.
 */
export interface StoreListener {
  /** Every connection is ready and subscribed: writes go out and messages come in. */
  up(): void;
  /** A connection closed or could not connect; `connection` names it for the log line. */
  down(connection: string): void;
  /** An error on a connection (refused, reset, timed out): kept as the last error, logged at debug. */
  error(connection: string, message: string): void;
  /** A reconnect attempt was scheduled. */
  reconnecting(): void;
  /** A message published by any node (this one included), unvalidated. */
  message(payload: string): void;
}

/** A set of banned addresses kept in step with the stored bans (drachtio-server's blacklist). */
export interface BlacklistSet {
  readonly key: string;
  /** Each of `ips` in the set while the store holds a ban on it running past `now`, out of it otherwise; atomic per address. Resolves with how many members changed. */
  sync(ips: readonly string[], now: number): Promise<number>;
  /** Every member, in pages of about `pageSize`: at least one page (possibly empty) per round trip. */
  members(pageSize: number): AsyncIterable<readonly string[]>;
}

export interface SharedBanStore {
  /** Where it is, for log lines: never the credentials. */
  readonly target: string;
  /** The blacklist set kept in step, when this store keeps one. */
  readonly blacklist: BlacklistSet | undefined;
  /** Starts connecting; events go to `listener` until `close()`. Called once. */
  open(listener: StoreListener): void;
  /** Stores the ban unless a longer one is stored or it was lifted after it began; announces only what it wrote. */
  writeBan(write: BanWrite): Promise<WriteResult>;
  /** The same for many, in one round trip where the backend can; rejects when the round trip itself fails. */
  writeBans(writes: readonly BanWrite[]): Promise<Array<BatchResult<WriteResult>>>;
  /** Deletes the ban, remembers the lift (the later of two), takes the address out of the blacklist, announces. */
  liftBan(lift: BanLift): Promise<LiftResult>;
  liftBans(lifts: readonly BanLift[]): Promise<Array<BatchResult<LiftResult>>>;
  /**
   * Every stored ban, in pages of about `pageSize`: at least one page (possibly empty) per round trip, so the
   * caller may stop between any two. An entry is undefined when the stored value is not a valid ban for its
   * address; bans already over may be listed until the store expires them.
   */
  scanBans(pageSize: number): AsyncIterable<ReadonlyArray<BanInfo | undefined>>;
  /** Sends a message to every open node. */
  publish(message: string): Promise<void>;
  /** Stops its timers and events now, waits for `drained` (operations already sent), then disconnects. Idempotent. */
  close(drained?: Promise<unknown>): Promise<void>;
}

/** `ban` as stored and announced by `nodeId`; undefined once it has ended (nothing to store). */
export function banWrite(nodeId: string, ban: BanInfo, now: number): BanWrite | undefined {
  const ttl = Math.ceil(ban.until - now);
  if (!(ttl > 0)) return undefined;
  const wire = wireBan(ban);
  return { ban: wire, ttl, announce: encodeMessage({ op: 'ban', node: nodeId, ban: wire }) };
}

/** The lift of the ban on `ip` by `nodeId`, remembered for `rememberMs` (the guard's `bans.maxTtl`). */
export function banLift(
  nodeId: string,
  ip: string,
  removedAt: number,
  conditional: boolean,
  rememberMs: number,
): BanLift {
  return {
    ip,
    removedAt,
    remember: Math.max(1, Math.ceil(rememberMs)),
    conditional,
    announce: encodeMessage({ op: 'unban', node: nodeId, ip }),
  };
}

/** `items` in slices of `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
