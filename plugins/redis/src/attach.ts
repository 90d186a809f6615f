import { type Attachment, type Guard, type Logger, LogThrottle, readiness } from '@ghostguard/core';
import { RedisBansError } from './errors.js';
import { LinkState } from './link-state.js';
import { decodeMessage, type RejectKind } from './messages.js';
import { type RedisBansOptions, type ResolvedRedisBansOptions, resolveRedisBansOptions } from './options.js';
import { PendingRemovals } from './pending-removals.js';
import type { ReconcileReport } from './reconcile.js';
import { Reconciler } from './reconciler.js';
import { createRedisStore } from './redis-store.js';
import { BanReplication } from './replication.js';
import { ReportSharing } from './report-sharing.js';
import type { RedisBansStats } from './stats.js';
import type { SharedBanStore, StoreListener } from './store.js';
import { WriteGate } from './write-gate.js';

export interface RedisBans extends Attachment<RedisBansStats> {
  readonly nodeId: string;
  /** Resolves on the first connect whose reconcile completed; rejects with GG_REDIS_CLOSED when closed first. */
  readonly ready: Promise<void>;
  stats(): RedisBansStats;
  /** The same snapshot as `stats()` (its name before the adapter contract). */
  health(): RedisBansStats;
  /** Runs a reconcile now (one runs on every connect anyway); resolves with its report, or undefined when not up. */
  reconcile(): Promise<ReconcileReport | undefined>;
  /** Detaches from the guard, waits (bounded) for writes in flight, and closes the store's connections. Idempotent. */
  close(): Promise<void>;
}

/**
 * Shares the guard's bans with every node attached to the same store: Redis (standalone or Sentinel, from
 * `options`) or `store` when given (a {@link MemoryBanHub}'s, for several guards in one process). `judge` never
 * touches the store: this only feeds the guard's local ban list in the background and writes the guard's own bans
 * out (replication.ts), shares the failures the PBX reports (report-sharing.ts, with `shareReports`), and
 * reconciles both ways on every (re)connect (reconcile.ts). While the store is unreachable the guard decides on
 * local state (fail-open, logged once). A guard in monitor mode only listens: it writes and publishes nothing.
 */
export function attachRedisBans(guard: Guard, options: RedisBansOptions = {}, store?: SharedBanStore): RedisBans {
  return new RedisBansAttachment(guard, resolveRedisBansOptions(options), store);
}

class RedisBansAttachment implements RedisBans {
  readonly nodeId: string;
  readonly ready: Promise<void>;
  private readonly settleReady: (err?: Error) => void;
  private readonly logger: Logger;
  private readonly store: SharedBanStore;
  private readonly link: LinkState;
  private readonly writes: WriteGate;
  private readonly removals: PendingRemovals;
  private readonly reconciler: Reconciler;
  private readonly replication: BanReplication;
  private readonly reports: ReportSharing;
  private readonly ignoredLog = new LogThrottle(10_000);
  private readonly errorLog = new LogThrottle(30_000);
  private readonly ignored: Record<RejectKind, number> = { 'too-large': 0, 'not-json': 0, 'bad-shape': 0 };
  private received = 0;
  private reconnects = 0;
  private closed = false;

  constructor(
    guard: Guard,
    private readonly o: ResolvedRedisBansOptions,
    store: SharedBanStore | undefined,
  ) {
    this.nodeId = o.nodeId;
    ({ ready: this.ready, settle: this.settleReady } = readiness());
    this.logger = guard.logger.child({ adapter: 'redis' });
    const writable = guard.config.mode !== 'monitor';
    const liftedTtl = guard.config.bans.maxTtl;
    this.store = store ?? createRedisStore(o, this.logger);
    this.removals = new PendingRemovals(o.maxPendingWrites);
    this.link = new LinkState(this.logger, this.store.target, () => this.reconciler.request());
    this.writes = new WriteGate(this.link, o.maxPendingWrites);
    const shared = { guard, store: this.store, logger: this.logger, nodeId: o.nodeId, writable };
    this.reconciler = new Reconciler(
      this.link,
      this.logger,
      { ...shared, liftedTtl, batchSize: o.batchSize, removals: this.removals },
      () => this.settleReady(),
    );
    this.replication = new BanReplication({
      ...shared,
      liftedTtl,
      link: this.link,
      writes: this.writes,
      removals: this.removals,
      reconciler: this.reconciler,
    });
    this.reports = new ReportSharing({
      ...shared,
      enabled: o.shareReports,
      maxReportsPerSource: o.maxReportsPerSource,
      reportClockSkew: o.reportClockSkew,
      writes: this.writes,
    });
    if (!writable) {
      this.logger.info(
        { event: 'shared-store-read-only', nodeId: this.nodeId },
        'monitor mode: merging bans (and counting shared failure reports) from the shared store, writing none',
      );
    }
    this.replication.attach();
    this.reports.attach();
    this.store.open(this.listener());
  }

  private listener(): StoreListener {
    return {
      up: () => {
        if (!this.closed) this.link.setUp();
      },
      down: (connection) => {
        if (!this.closed) this.link.setLost(connection, undefined);
      },
      error: (connection, message) => {
        if (this.closed) return;
        this.link.lastError = message;
        const suppressed = this.errorLog.take();
        if (suppressed !== undefined) {
          this.logger.debug({ event: 'shared-store-error', connection, err: message, suppressed }, 'redis error');
        }
      },
      reconnecting: () => {
        this.reconnects++;
      },
      message: (payload) => this.onMessage(payload),
    };
  }

  /** A message from the channel: validated, this node's own ignored, the rest to replication or report sharing. */
  private onMessage(payload: string): void {
    if (this.closed) return;
    this.received++;
    const decoded = decodeMessage(payload, this.o.maxMessageBytes);
    if (!decoded.ok) {
      this.ignored[decoded.kind]++;
      const suppressed = this.ignoredLog.take();
      if (suppressed !== undefined) {
        this.logger.warn(
          {
            event: 'shared-store-bad-message',
            code: 'GG_REDIS_BAD_MESSAGE',
            kind: decoded.kind,
            detail: decoded.detail,
            suppressed,
          },
          'ignored an invalid message from the shared store',
        );
      }
      return;
    }
    const m = decoded.message;
    if (m.node === this.nodeId) return;
    try {
      if (m.op === 'report') this.reports.apply(m.outcome);
      else this.replication.apply(m);
    } catch (err) {
      // The guard's API does not throw on bad input; this only keeps a surprise out of the store's event loop.
      this.logger.error(
        { event: 'shared-store-apply-failed', code: 'GG_REDIS_APPLY_FAILED', err },
        'could not apply a message from the shared store',
      );
    }
  }

  reconcile(): Promise<ReconcileReport | undefined> {
    return this.reconciler.request();
  }

  stats(): RedisBansStats {
    const { published, lifted, skippedWrites, failedWrites, merged, removed } = this.replication.counters;
    return {
      state: this.link.state,
      since: this.link.since,
      nodeId: this.nodeId,
      target: this.store.target,
      lastError: this.link.lastError,
      outages: this.link.outages,
      inFlight: this.writes.inFlight,
      pendingRemovals: this.removals.size,
      droppedRemovals: this.removals.dropped,
      published,
      lifted,
      skippedWrites,
      failedWrites,
      received: this.received,
      merged,
      removed,
      reconciles: this.reconciler.reconciles,
      reconnects: this.reconnects,
      ignored: { ...this.ignored },
      lastReconcile: this.reconciler.lastReconcile,
      reports: this.reports.stats(),
    };
  }

  health(): RedisBansStats {
    return this.stats();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.replication.detach();
    this.reports.detach();
    const running = this.reconciler.close();
    this.settleReady(new RedisBansError('GG_REDIS_CLOSED', 'closed before the shared store was first reconciled'));
    // Writes in flight and a reconcile running get their answer or their timeout (commandTimeout), not more.
    const drained = Promise.allSettled([this.writes.drained(), ...running]).then(() => this.link.close());
    await this.store.close(drained);
  }
}
