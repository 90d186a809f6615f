/**
 * The adapter contract: every package that puts the guard in front of a platform looks the same from outside.
 *
 *   attach<Platform>(guard, platform, options?) → Attachment
 *
 * - `guard` first, always; `platform` is what the adapter attaches to (an Srf, an AMI address, an ESL
 *   address, a listen address); `options` is the adapter's configuration section, validated by its own zod
 *   schema (errors name the full key path).
 * - `ready` settles once the adapter does its job (connected and subscribed, listening); it rejects with the
 *   adapter's typed error when it never can (refused login, address in use) and when closed first. It never
 *   becomes an unhandled rejection if nobody awaits it.
 * - `stats()` is a snapshot; the counters every adapter has use the names of {@link CallStats}.
 * - `close()` answers held calls, releases every tarpit slot and timer and closes the adapter's connections;
 *   idempotent; the guard itself is not closed (it may outlive the attachment).
 *
 * Inside, an adapter is the same few files: `attempt.ts` (platform → CallAttempt), `enforce.ts` (Verdict →
 * platform action), `link.ts` (connection, reconnect), `rooms.ts` (list and parse registrations; the decision is
 * `guard.rooms.acceptBinding`), `options.ts`, `stats.ts`, `index.ts`. docs/design-notes.md shows the map.
 */
import type { BindingDecision } from './rooms/accept-binding.js';
import type { Action } from './verdict.js';

/** Counters every call-handling adapter keeps under these names (plus its own, beside them). */
export interface CallStats {
  /** Call attempts the guard judged (decodable or not). */
  judged: number;
  /** What the adapter did, after tarpit-cap and fail-mode fallbacks: one of these per judged attempt. */
  allowed: number;
  rejected: number;
  dropped: number;
  tarpitted: number;
  /** Tarpit verdicts that found no free slot under the guard's tarpit cap (dropped instead). */
  tarpitNoSlot: number;
  /** Calls held in a tarpit right now. */
  tarpitsHeld: number;
  /** Attempts that did not decode (judged by `guard.judgeMalformed`, or on their decodable part). */
  malformed: number;
  /** The adapter's own faults (a failed action, a handler that threw), each handled by its fail policy. */
  errors: number;
}

/** The handle every `attach<Platform>` returns. */
export interface Attachment<S extends object = CallStats> {
  readonly ready: Promise<void>;
  stats(): S;
  close(): Promise<void>;
}

export function emptyCallStats(): CallStats {
  return {
    judged: 0,
    allowed: 0,
    rejected: 0,
    dropped: 0,
    tarpitted: 0,
    tarpitNoSlot: 0,
    tarpitsHeld: 0,
    malformed: 0,
    errors: 0,
  };
}

const COUNTER_OF = {
  allow: 'allowed',
  reject: 'rejected',
  drop: 'dropped',
  tarpit: 'tarpitted',
} as const satisfies Record<Action, keyof CallStats>;

/** Counts what was enforced for one call under the shared name of its action. */
export function countEnforced(stats: CallStats, action: Action): void {
  stats[COUNTER_OF[action]]++;
}

/**
 * A `ready` promise the adapter settles once, whose rejection is never unhandled (the owner may not await it).
 * `settle()` without an error resolves it; later calls do nothing.
 */
export function readiness(): { readonly ready: Promise<void>; settle(err?: Error): void } {
  let pending: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    pending = { resolve, reject };
  });
  ready.catch(() => {});
  return {
    ready,
    settle(err?: Error) {
      const p = pending;
      pending = undefined;
      if (p) err ? p.reject(err) : p.resolve();
    },
  };
}

/** Counters of an adapter that follows its platform's registrar (`stats().rooms`), under the same names everywhere. */
export interface RoomSyncStats {
  /** Registrations seen in listings (over all listings). */
  listed: number;
  /** Bindings stored in guard.rooms (new, refreshed, moved). */
  stored: number;
  /** Rooms removed because the platform dropped them (or a later listing no longer had them). */
  removed: number;
  /** Bindings refused as hijacks (the core reported them: the source is banned). */
  hijacks: number;
  /** Bindings refused for another reason (no address to check, banned source, registry full, invalid). */
  refused: number;
  /** Listings that failed (permission, module not loaded, timeout, connection lost, answer too large). */
  listFailures: number;
  /** Listed registrations or registration events that did not decode. */
  invalid: number;
}

export function emptyRoomSyncStats(): RoomSyncStats {
  return { listed: 0, stored: 0, removed: 0, hijacks: 0, refused: 0, listFailures: 0, invalid: 0 };
}

/** Counts one `guard.rooms.acceptBinding` answer; true when the binding is stored. */
export function countBinding(
  stats: RoomSyncStats,
  decision: BindingDecision,
): decision is Extract<BindingDecision, { outcome: 'stored' }> {
  if (decision.outcome === 'stored') stats.stored++;
  else if (decision.outcome === 'hijack') stats.hijacks++;
  else if (decision.outcome === 'refused') stats.refused++;
  return decision.outcome === 'stored';
}
