import {
  type BanInfo,
  type BanOrigin,
  type Guard,
  type Logger,
  LogThrottle,
  type Outcome,
  type UnbanCause,
} from '@ghostguard/core';
import type { Redis } from 'ioredis';
import {
  BAN_LIFTED,
  BAN_WRITTEN,
  type CommandContext,
  keepLongerBanCall,
  liftBanCall,
  type ScriptCall,
  syncBlacklistCall,
} from './commands.js';
import { createConnection, describeTarget } from './connection.js';
import { keyNames } from './keys.js';
import { LinkState, type StoreState } from './link-state.js';
import {
  decodeMessage,
  encodeMessage,
  isSharedReportKind,
  type RejectKind,
  type WireOutcome,
  wireOutcome,
} from './messages.js';
import { type RedisBansOptions, type ResolvedRedisBansOptions, resolveRedisBansOptions } from './options.js';
import { PendingRemovals } from './pending-removals.js';
import { isAborted, type ReconcileReport, reconcile } from './reconcile.js';
import { clampReportTime, ReportRate } from './report-rate.js';
import { defineScripts, type ScriptClient } from './scripts.js';

export interface RedisBansHealth {
  state: StoreState;
  /** ms since the epoch of the last state change. */
  since: number;
  nodeId: string;
  /** Where it connects (never the credentials). */
  target: string;
  lastError: string | undefined;
  /** Times the store became unreachable. */
  outages: number;
  /** Writes sent and not answered yet (bounded by maxPendingWrites). */
  inFlight: number;
  /** Manual removals waiting for the store to come back, and those forgotten past the bound. */
  pendingRemovals: number;
  droppedRemovals: number;
  /** Local bans written to the store and published / lifted everywhere. */
  published: number;
  lifted: number;
  /** Writes not sent (store unreachable, or too many in flight) or failed: covered by the next reconcile. */
  skippedWrites: number;
  failedWrites: number;
  /** Messages from other nodes: received, and what they changed here. */
  received: number;
  merged: number;
  removed: number;
  /** Messages ignored, by why (hostile or broken payloads are never thrown). */
  ignored: Record<RejectKind, number>;
  reconciles: number;
  /** Reconnect attempts scheduled, over both connections. */
  reconnects: number;
  lastReconcile: ReconcileReport | undefined;
  /** Failures reported by the PBX, shared between nodes (fire-and-forget: none is replayed after an outage). */
  reports: SharedReportsHealth;
}

export interface SharedReportsHealth {
  /** `shareReports`, and whether this node publishes its own (not in monitor mode). */
  enabled: boolean;
  publishing: boolean;
  /** Local failure reports published on the channel (answered by Redis). */
  published: number;
  /** Not sent: the store unreachable, or `maxPendingWrites` writes already in flight. */
  skipped: number;
  /** Sent and failed (timeout, connection lost). */
  failed: number;
  /** Not sent because the source is already banned here or is over `maxReportsPerSource` this second. */
  coalesced: number;
  /** Valid report messages from other nodes. */
  received: number;
  /** Those the guard counted here, and those it did not (source trusted here, or `shareReports` off). */
  applied: number;
  refused: number;
}

export interface RedisBans {
  readonly nodeId: string;
  health(): RedisBansHealth;
  /** Runs a reconcile now (one runs on every connect anyway); resolves with its report, or undefined when not up. */
  reconcile(): Promise<ReconcileReport | undefined>;
  /** Detaches from the guard, waits (bounded) for writes in flight, and closes both connections. Idempotent. */
  close(): Promise<void>;
}

/** Delay before retrying a reconcile that had failed commands while the store stayed up. */
const RECONCILE_RETRY_MS = 1_000;
/** Sources whose report rate is tracked within one second at most (see ReportRate). */
const REPORT_RATE_SOURCES = 10_000;

/**
 * Shares the guard's bans with every node attached to the same Redis (standalone or Sentinel). `judge` never
 * touches Redis: this only feeds the guard's local ban list in the background and writes the guard's own bans
 * out. A local ban is stored as `<prefix>ban:<ip>` (its JSON, expiring with it; a longer ban already stored is
 * kept) and published on `<prefix>bans`; a ban lifted by hand is deleted and published. Other nodes' messages
 * are validated and merged (`guard.bans.merge`, `guard.bans.remove(ip, {origin: 'replica'})`). Every
 * (re)connect reconciles both ways. While Redis is unreachable the guard decides on local state (fail-open,
 * logged once). A guard in monitor mode only listens: it writes and publishes nothing.
 *
 * With `shareReports` (default), the failures the PBX reports here (`guard.report`, except completed calls) are
 * published too, fire-and-forget, and other nodes' are counted here (`guard.report(outcome, {origin:
 * 'replica'})`), so a password guesser spreading its tries over several nodes is banned as if it had hit one.
 */
export function attachRedisBans(guard: Guard, options: RedisBansOptions = {}): RedisBans {
  return new RedisBansAttachment(guard, resolveRedisBansOptions(options));
}

class RedisBansAttachment implements RedisBans {
  readonly nodeId: string;
  private readonly logger: Logger;
  private readonly client: ScriptClient;
  private readonly sub: Redis;
  private readonly link: LinkState;
  private readonly ctx: CommandContext;
  private readonly target: string;
  private readonly writable: boolean;
  private readonly removals: PendingRemovals;
  private readonly ignoredLog = new LogThrottle(10_000);
  private readonly writeLog = new LogThrottle(10_000);
  private readonly removalLog = new LogThrottle(10_000);
  private readonly errorLog = new LogThrottle(30_000);
  private readonly reportLog = new LogThrottle(10_000);
  private readonly inFlightWrites = new Set<Promise<unknown>>();
  private readonly pingTimer: NodeJS.Timeout;
  private retryTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<ReconcileReport | undefined> | undefined;
  private followUp: Promise<ReconcileReport | undefined> | undefined;
  /** A reconcile is owed: writes were skipped or failed, or one was asked for while another ran. */
  private dirty = false;
  private closed = false;
  private readonly counters = {
    published: 0,
    lifted: 0,
    skippedWrites: 0,
    failedWrites: 0,
    received: 0,
    merged: 0,
    removed: 0,
    reconciles: 0,
    reconnects: 0,
  };
  private readonly ignored: Record<RejectKind, number> = { 'too-large': 0, 'not-json': 0, 'bad-shape': 0 };
  private lastReconcile: ReconcileReport | undefined;
  /** This node publishes its own failure reports (shareReports, not in monitor mode). */
  private readonly publishesReports: boolean;
  private readonly reportRate: ReportRate;
  private readonly reportCounters = {
    published: 0,
    skipped: 0,
    failed: 0,
    coalesced: 0,
    received: 0,
    applied: 0,
    refused: 0,
  };
  /** Set while a replica report is handed to the guard: its `report` event then means "counted". */
  private applyingReport = false;

  private readonly onBan = (ban: BanInfo, origin: BanOrigin): void => this.banned(ban, origin);
  private readonly onUnban = (ip: string, cause: UnbanCause): void => this.unbanned(ip, cause);
  private readonly onReport = (outcome: Outcome, origin: BanOrigin): void => this.reported(outcome, origin);

  constructor(
    private readonly guard: Guard,
    private readonly o: ResolvedRedisBansOptions,
  ) {
    this.nodeId = o.nodeId;
    this.logger = guard.logger.child({ adapter: 'redis' });
    this.target = describeTarget(o);
    this.writable = guard.config.mode !== 'monitor';
    this.publishesReports = this.writable && o.shareReports;
    this.reportRate = new ReportRate(o.maxReportsPerSource, REPORT_RATE_SOURCES);
    this.removals = new PendingRemovals(o.maxPendingWrites);
    this.ctx = {
      names: keyNames(o.keyPrefix),
      nodeId: o.nodeId,
      blacklistKey: o.drachtioBlacklistKey,
      liftedTtl: guard.config.bans.maxTtl,
    };
    this.link = new LinkState(this.logger, this.target, () => this.requestReconcile());
    if (!this.writable) {
      this.logger.info(
        { event: 'shared-store-read-only', nodeId: this.nodeId },
        'monitor mode: merging bans (and counting shared failure reports) from the shared store, writing none',
      );
    }

    this.client = defineScripts(createConnection(o, 'commands'));
    this.sub = createConnection(o, 'subscriber');
    this.watch(this.client, 'commands', () => this.link.setReady('commands'));
    this.watch(this.sub, 'subscriber', () => this.subscribe());
    this.sub.on('message', (channel: string, payload: string) => {
      if (channel === this.ctx.names.channel) this.onMessage(payload);
    });

    guard.on('ban', this.onBan);
    guard.on('unban', this.onUnban);
    // Only with sharing on: the guard raises report events only while someone listens.
    if (o.shareReports) guard.on('report', this.onReport);
    this.pingTimer = setInterval(() => this.ping(), o.pingInterval);
    this.pingTimer.unref();
    // connect() rejects when the first attempt fails; the retry strategy keeps trying and 'ready' reports success.
    this.client.connect().catch(() => {});
    this.sub.connect().catch(() => {});
  }

  // ------------------------------------------------------------------------------------------------------------
  // Connections

  private watch(conn: Redis, role: 'commands' | 'subscriber', onReady: () => void): void {
    // Without an 'error' listener ioredis' errors would be unhandled: every one is expected here (refused,
    // reset, timed out) and the state change below is what gets logged.
    conn.on('error', (err: Error) => {
      if (this.closed) return;
      this.link.lastError = err.message;
      const suppressed = this.errorLog.take();
      if (suppressed !== undefined) {
        this.logger.debug(
          { event: 'shared-store-error', connection: role, err: err.message, suppressed },
          'redis error',
        );
      }
    });
    conn.on('ready', () => {
      if (!this.closed) onReady();
    });
    conn.on('close', () => {
      if (!this.closed) this.link.setLost(role, undefined);
    });
    conn.on('reconnecting', () => {
      this.counters.reconnects++;
    });
  }

  private subscribe(): void {
    this.sub.subscribe(this.ctx.names.channel).then(
      () => {
        if (!this.closed) this.link.setReady('subscriber');
      },
      (err: Error) => {
        if (this.closed) return;
        // Subscribed nowhere means deaf to other nodes: drop the link and let the retry strategy reconnect.
        this.logger.warn(
          { event: 'shared-store-subscribe-failed', err: err.message },
          'could not subscribe; reconnecting',
        );
        this.sub.disconnect(true);
      },
    );
  }

  /** A link that stops answering (no RST, no FIN) is dropped so the reconnect logic notices it. */
  private ping(): void {
    for (const [conn, role] of [
      [this.client, 'commands'],
      [this.sub, 'subscriber'],
    ] as const) {
      if (conn.status !== 'ready') continue;
      conn.ping().catch((err: Error) => {
        if (this.closed || conn.status !== 'ready') return;
        this.logger.debug({ event: 'shared-store-ping-failed', connection: role, err: err.message }, 'ping failed');
        conn.disconnect(true);
      });
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Local changes → the store

  private banned(ban: BanInfo, origin: BanOrigin): void {
    if (!this.writable || this.closed) return;
    if (origin === 'local') {
      this.removals.forget(ban.ip);
      const call = keepLongerBanCall(this.ctx, ban, Date.now());
      if (call === undefined) return;
      this.write(
        'ban',
        call,
        (c) => this.client.ggKeepLongerBan(...c),
        (result) => {
          if (result === BAN_WRITTEN) this.counters.published++;
          // Only with clocks apart: the store holds a manual lift later than this ban's start.
          else if (result === BAN_LIFTED) this.guard.bans.remove(ban.ip, { origin: 'replica' });
        },
      );
    } else if (this.ctx.blacklistKey !== undefined && !this.reconciling) {
      // A replica ban's node already added it to the set with the ban itself; this only repairs a set that
      // node does not keep, and only while the stored ban runs (no stale member after a quick lift).
      this.syncBlacklist(ban.ip);
    }
  }

  private unbanned(ip: string, cause: UnbanCause): void {
    if (!this.writable || this.closed) return;
    if (cause === 'removed') {
      const removedAt = Date.now();
      if (this.link.state !== 'up') {
        this.queueRemoval(ip, removedAt);
        this.dirty = true;
        return;
      }
      this.write(
        'unban',
        liftBanCall(this.ctx, ip, removedAt, false),
        (c) => this.client.ggLiftBan(...c),
        () => {
          this.counters.lifted++;
        },
        () => this.queueRemoval(ip, removedAt),
      );
    } else if (cause === 'expired' && this.ctx.blacklistKey !== undefined) {
      // Out of the set unless the store still holds a ban (another node's, longer).
      this.syncBlacklist(ip);
    }
  }

  private queueRemoval(ip: string, removedAt: number): void {
    const forgotten = this.removals.add(ip, removedAt);
    if (forgotten !== undefined && this.removalLog.take() !== undefined) {
      this.logger.warn(
        { event: 'shared-store-removal-dropped', ip: forgotten, pending: this.removals.size },
        'too many manual removals waiting for the shared store: the oldest may come back from it until it expires',
      );
    }
  }

  private syncBlacklist(ip: string): void {
    const key = this.ctx.blacklistKey;
    if (key === undefined) return;
    this.write('blacklist', syncBlacklistCall({ ...this.ctx, blacklistKey: key }, [ip], Date.now()), (c) =>
      this.client.ggSyncBlacklist(...c),
    );
  }

  /**
   * Sends one write now or not at all: never queued. Unreachable store or too many in flight → skipped and a
   * reconcile owed (it pushes every local ban); a failure → the same, and `onFail` for what a reconcile cannot
   * infer from the ban list (a manual removal).
   */
  private write(
    what: 'ban' | 'unban' | 'blacklist',
    call: ScriptCall,
    send: (call: ScriptCall) => Promise<number>,
    onDone?: (result: number) => void,
    onFail?: () => void,
  ): void {
    if (!this.canSend()) {
      this.counters.skippedWrites++;
      onFail?.();
      this.dirty = true;
      if (this.link.state === 'up') this.scheduleRetry();
      return;
    }
    const p = send(call).then(
      (result) => onDone?.(result),
      (err: Error) => {
        this.counters.failedWrites++;
        onFail?.();
        this.dirty = true;
        const suppressed = this.writeLog.take();
        if (suppressed !== undefined && !this.closed) {
          this.logger.warn(
            { event: 'shared-store-write-failed', what, err: err.message, suppressed, failMode: 'open' },
            'shared store write failed: kept locally, the next reconcile pushes it',
          );
        }
        if (this.link.state === 'up') this.scheduleRetry();
      },
    );
    this.track(p);
  }

  /** The store is up and fewer than `maxPendingWrites` writes (bans, lifts, reports) are waiting for an answer. */
  private canSend(): boolean {
    return this.link.state === 'up' && this.inFlightWrites.size < this.o.maxPendingWrites;
  }

  private track(p: Promise<unknown>): void {
    this.inFlightWrites.add(p);
    void p.finally(() => this.inFlightWrites.delete(p));
  }

  // ------------------------------------------------------------------------------------------------------------
  // Failures the PBX reported here → the other nodes

  /**
   * Publishes one local failure report, or not at all: never queued and never replayed (a reconcile covers bans,
   * not counts). Not sent when the source is banned here already (its ban is shared instead), past
   * `maxReportsPerSource` this second, with the store away, or with the in-flight cap reached; each counted.
   */
  private reported(outcome: Outcome, origin: BanOrigin): void {
    if (origin === 'replica') {
      if (this.applyingReport) this.reportCounters.applied++;
      return;
    }
    if (!this.publishesReports || this.closed || !isSharedReportKind(outcome.kind)) return;
    const now = Date.now();
    const ip = outcome.source.ip;
    if (this.guard.bans.get(ip) !== undefined || !this.reportRate.take(ip, now)) {
      this.reportCounters.coalesced++;
      return;
    }
    if (!this.canSend()) {
      this.reportCounters.skipped++;
      return;
    }
    const payload = encodeMessage({
      op: 'report',
      node: this.nodeId,
      outcome: wireOutcome({ ...outcome, kind: outcome.kind }, now),
    });
    const p = this.client.publish(this.ctx.names.channel, payload).then(
      () => {
        this.reportCounters.published++;
      },
      (err: Error) => {
        this.reportCounters.failed++;
        const suppressed = this.reportLog.take();
        if (suppressed !== undefined && !this.closed) {
          this.logger.warn(
            { event: 'shared-store-report-failed', err: err.message, suppressed, failMode: 'open' },
            'could not share a failure report: it counts on this node only',
          );
        }
      },
    );
    this.track(p);
  }

  /** Another node's failure report, counted here as if the PBX had reported it here, at a clamped time. */
  private applyReport(outcome: WireOutcome): void {
    this.reportCounters.received++;
    if (!this.o.shareReports) {
      this.reportCounters.refused++;
      return;
    }
    const before = this.reportCounters.applied;
    this.applyingReport = true;
    try {
      const time = clampReportTime(outcome.time, Date.now(), this.o.reportClockSkew);
      this.guard.report({ ...outcome, time }, { origin: 'replica' });
    } finally {
      this.applyingReport = false;
    }
    if (this.reportCounters.applied === before) this.reportCounters.refused++;
  }

  // ------------------------------------------------------------------------------------------------------------
  // Other nodes → the guard

  private onMessage(payload: string): void {
    if (this.closed) return;
    this.counters.received++;
    const decoded = decodeMessage(payload, this.o.maxMessageBytes);
    if (!decoded.ok) {
      this.ignored[decoded.kind]++;
      const suppressed = this.ignoredLog.take();
      if (suppressed !== undefined) {
        this.logger.warn(
          { event: 'shared-store-bad-message', kind: decoded.kind, detail: decoded.detail, suppressed },
          'ignored an invalid message from the shared store',
        );
      }
      return;
    }
    const m = decoded.message;
    if (m.node === this.nodeId) return;
    try {
      if (m.op === 'ban') {
        // Lifted here after it began, and the store not told yet: the replayed removal decides.
        const removedAt = this.removals.removedAt(m.ban.ip);
        if (removedAt !== undefined && removedAt >= m.ban.since) return;
        if (this.guard.bans.merge(m.ban)) this.counters.merged++;
      } else if (m.op === 'report') {
        this.applyReport(m.outcome);
      } else if (this.guard.bans.remove(m.ip, { origin: 'replica' })) {
        this.counters.removed++;
      }
    } catch (err) {
      // The guard's API does not throw on bad input; this only keeps a surprise out of ioredis' event loop.
      this.logger.error({ event: 'shared-store-apply-failed', err }, 'could not apply a message from the shared store');
    }
  }

  // ------------------------------------------------------------------------------------------------------------
  // Reconcile

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.dirty && this.link.state === 'up') this.requestReconcile();
    }, RECONCILE_RETRY_MS);
    this.retryTimer.unref();
  }

  private requestReconcile(): Promise<ReconcileReport | undefined> {
    if (this.closed || this.link.state !== 'up') return Promise.resolve(undefined);
    if (this.reconciling) {
      // What changed after this run's pull (or a reconnect that aborted it) is covered by one more run, right after.
      this.followUp ??= this.reconciling.then(() => {
        this.followUp = undefined;
        return this.requestReconcile();
      });
      return this.followUp;
    }
    this.dirty = false;
    const run = this.runReconcile().finally(() => {
      this.reconciling = undefined;
      if (this.dirty && this.followUp === undefined && !this.closed && this.link.state === 'up') this.scheduleRetry();
    });
    this.reconciling = run;
    return run;
  }

  private async runReconcile(): Promise<ReconcileReport | undefined> {
    const started = this.link.since;
    try {
      const report = await reconcile({
        ...this.ctx,
        client: this.client,
        guard: this.guard,
        batchSize: this.o.batchSize,
        maxValueBytes: this.o.maxMessageBytes,
        removals: this.removals,
        writable: this.writable,
        aborted: () => this.closed || this.link.state !== 'up' || this.link.since !== started,
      });
      this.counters.reconciles++;
      this.lastReconcile = report;
      if (report.errors > 0) this.dirty = true;
      this.logger.info({ event: 'shared-store-reconciled', ...report }, 'bans reconciled with the shared store');
      return report;
    } catch (err) {
      if (this.closed) return undefined;
      this.dirty = true;
      if (!isAborted(err)) {
        this.logger.warn(
          { event: 'shared-store-reconcile-failed', err: (err as Error).message, failMode: 'open' },
          'reconcile with the shared store failed: deciding on local state, retrying',
        );
      }
      return undefined;
    }
  }

  reconcile(): Promise<ReconcileReport | undefined> {
    return this.requestReconcile();
  }

  health(): RedisBansHealth {
    return {
      state: this.link.state,
      since: this.link.since,
      nodeId: this.nodeId,
      target: this.target,
      lastError: this.link.lastError,
      outages: this.link.outages,
      inFlight: this.inFlightWrites.size,
      pendingRemovals: this.removals.size,
      droppedRemovals: this.removals.dropped,
      ...this.counters,
      ignored: { ...this.ignored },
      lastReconcile: this.lastReconcile,
      reports: { enabled: this.o.shareReports, publishing: this.publishesReports, ...this.reportCounters },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.guard.off('ban', this.onBan);
    this.guard.off('unban', this.onUnban);
    this.guard.off('report', this.onReport);
    clearInterval(this.pingTimer);
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    // Writes in flight get their answer or their timeout (commandTimeout), not more.
    await Promise.allSettled([...this.inFlightWrites, this.reconciling, this.followUp]);
    this.link.close();
    await Promise.allSettled([quit(this.client), quit(this.sub)]);
  }
}

/** QUIT when connected (lets Redis finish what it has), otherwise just stop reconnecting. */
async function quit(conn: Redis): Promise<void> {
  if (conn.status === 'ready') {
    try {
      await conn.quit();
      return;
    } catch {
      // fall through to a hard disconnect
    }
  }
  conn.disconnect(false);
}
