import { type BanInfo, type BanOrigin, type Guard, type Logger, LogThrottle, type UnbanCause } from '@ghostguard/core';
import type { LinkState } from './link-state.js';
import type { SyncMessage } from './messages.js';
import type { PendingRemovals } from './pending-removals.js';
import type { Reconciler } from './reconciler.js';
import { banLift, banWrite, type SharedBanStore } from './store.js';
import type { WriteGate } from './write-gate.js';

export interface ReplicationContext {
  guard: Guard;
  store: SharedBanStore;
  logger: Logger;
  nodeId: string;
  /** false in monitor mode: merge what others send, write nothing. */
  writable: boolean;
  /** How long a manual lift is remembered (the guard's `bans.maxTtl`). */
  liftedTtl: number;
  link: LinkState;
  writes: WriteGate;
  removals: PendingRemovals;
  reconciler: Reconciler;
}

/** What replication did (part of the attachment's stats). */
export interface ReplicationCounters {
  /** Local bans written to the store and published / lifted everywhere. */
  published: number;
  lifted: number;
  /** Writes not sent (store unreachable, or too many in flight) or failed: covered by the next reconcile. */
  skippedWrites: number;
  failedWrites: number;
  /** Ban and unban messages from other nodes that changed something here. */
  merged: number;
  removed: number;
}

/**
 * Ban replication, both ways. The guard's own bans (origin `local`) are written to the store, keeping a longer one
 * already there, and announced; a ban lifted by hand is lifted everywhere (or remembered for the next reconcile
 * while the store is away). Other nodes' ban and unban messages are merged (`guard.bans.merge`: the longer ban
 * wins, no escalation) and applied (`guard.bans.remove(ip, {origin: 'replica'})`); those come back as events with
 * origin `replica` and are never written again. In monitor mode nothing is written.
 */
export class BanReplication {
  readonly counters: ReplicationCounters = {
    published: 0,
    lifted: 0,
    skippedWrites: 0,
    failedWrites: 0,
    merged: 0,
    removed: 0,
  };
  private readonly writeLog = new LogThrottle(10_000);
  private readonly removalLog = new LogThrottle(10_000);
  private detached = false;
  private readonly onBan = (ban: BanInfo, origin: BanOrigin): void => this.banned(ban, origin);
  private readonly onUnban = (ip: string, cause: UnbanCause): void => this.unbanned(ip, cause);

  constructor(private readonly c: ReplicationContext) {}

  attach(): void {
    this.c.guard.on('ban', this.onBan);
    this.c.guard.on('unban', this.onUnban);
  }

  detach(): void {
    this.detached = true;
    this.c.guard.off('ban', this.onBan);
    this.c.guard.off('unban', this.onUnban);
  }

  /** Another node's ban or unban (already validated, not this node's own). */
  apply(m: Extract<SyncMessage, { op: 'ban' | 'unban' }>): void {
    const { guard, removals } = this.c;
    if (m.op === 'ban') {
      // Lifted here after it began, and the store not told yet: the replayed removal decides.
      const removedAt = removals.removedAt(m.ban.ip);
      if (removedAt !== undefined && removedAt >= m.ban.since) return;
      if (guard.bans.merge(m.ban)) this.counters.merged++;
    } else if (guard.bans.remove(m.ip, { origin: 'replica' })) {
      this.counters.removed++;
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Local changes → the store

  private banned(ban: BanInfo, origin: BanOrigin): void {
    const { store, guard } = this.c;
    if (!this.c.writable || this.detached) return;
    if (origin === 'local') {
      this.c.removals.forget(ban.ip);
      const write = banWrite(this.c.nodeId, ban, Date.now());
      if (write === undefined) return;
      this.write(
        'ban',
        () => store.writeBan(write),
        (result) => {
          if (result === 'written') this.counters.published++;
          // Only with clocks apart: the store holds a manual lift later than this ban's start.
          else if (result === 'lifted') guard.bans.remove(ban.ip, { origin: 'replica' });
        },
      );
    } else if (store.blacklist !== undefined && !this.c.reconciler.running) {
      // A replica ban's node already added it to the set with the ban itself; this only repairs a set that
      // node does not keep, and only while the stored ban runs (no stale member after a quick lift).
      this.syncBlacklist(ban.ip);
    }
  }

  private unbanned(ip: string, cause: UnbanCause): void {
    if (!this.c.writable || this.detached) return;
    if (cause === 'removed') {
      const removedAt = Date.now();
      if (this.c.link.state !== 'up') {
        this.queueRemoval(ip, removedAt);
        this.c.reconciler.owe();
        return;
      }
      this.write(
        'unban',
        () => this.c.store.liftBan(banLift(this.c.nodeId, ip, removedAt, false, this.c.liftedTtl)),
        () => {
          this.counters.lifted++;
        },
        () => this.queueRemoval(ip, removedAt),
      );
    } else if (cause === 'expired' && this.c.store.blacklist !== undefined) {
      // Out of the set unless the store still holds a ban (another node's, longer).
      this.syncBlacklist(ip);
    }
  }

  private queueRemoval(ip: string, removedAt: number): void {
    const forgotten = this.c.removals.add(ip, removedAt);
    if (forgotten !== undefined && this.removalLog.take() !== undefined) {
      this.c.logger.warn(
        {
          event: 'shared-store-removal-dropped',
          code: 'GG_REDIS_REMOVAL_DROPPED',
          ip: forgotten,
          pending: this.c.removals.size,
        },
        'too many manual removals waiting for the shared store: the oldest may come back from it until it expires',
      );
    }
  }

  private syncBlacklist(ip: string): void {
    const blacklist = this.c.store.blacklist;
    if (blacklist !== undefined) this.write('blacklist', () => blacklist.sync([ip], Date.now()));
  }

  /**
   * Sends one write now or not at all: never queued. Unreachable store or too many in flight → skipped and a
   * reconcile owed (it pushes every local ban); a failure → the same, and `onFail` for what a reconcile cannot
   * infer from the ban list (a manual removal).
   */
  private write<T>(
    what: 'ban' | 'unban' | 'blacklist',
    send: () => Promise<T>,
    onDone?: (result: T) => void,
    onFail?: () => void,
  ): void {
    const { writes, reconciler } = this.c;
    if (!writes.canSend()) {
      this.counters.skippedWrites++;
      onFail?.();
      reconciler.owe();
      return;
    }
    const p = send().then(
      (result) => onDone?.(result),
      (err: Error) => {
        this.counters.failedWrites++;
        onFail?.();
        const suppressed = this.writeLog.take();
        if (suppressed !== undefined && !this.detached) {
          this.c.logger.warn(
            {
              event: 'shared-store-write-failed',
              code: 'GG_REDIS_WRITE_FAILED',
              what,
              err: err.message,
              suppressed,
              failMode: 'open',
            },
            'shared store write failed: kept locally, the next reconcile pushes it',
          );
        }
        reconciler.owe();
      },
    );
    writes.track(p);
  }
}
