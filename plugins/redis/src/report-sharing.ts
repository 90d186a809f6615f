import { type BanOrigin, type Guard, type Logger, LogThrottle, type Outcome } from '@ghostguard/core';
import { encodeMessage, isSharedReportKind, type WireOutcome, wireOutcome } from './messages.js';
import { clampReportTime, ReportRate } from './report-rate.js';
import type { SharedBanStore } from './store.js';
import type { WriteGate } from './write-gate.js';

/** Sources whose report rate is tracked within one second at most (see ReportRate). */
const REPORT_RATE_SOURCES = 10_000;

export interface SharedReportsHealth {
  /** `shareReports`, and whether this node publishes its own (not in monitor mode). */
  enabled: boolean;
  publishing: boolean;
  /** Local failure reports published on the channel (answered by the store). */
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

export interface ReportSharingContext {
  guard: Guard;
  store: SharedBanStore;
  logger: Logger;
  nodeId: string;
  /** `shareReports`: publish this node's failures and count the others'. */
  enabled: boolean;
  /** false in monitor mode: count the others' failures, publish none. */
  writable: boolean;
  maxReportsPerSource: number;
  reportClockSkew: number;
  writes: WriteGate;
}

/**
 * Failures the PBX reports (`guard.report`, completed calls excepted) shared between nodes, fire-and-forget: each
 * local one is published now or never (not when the source is banned here already, its ban is shared instead; not
 * past `maxReportsPerSource` a second; not with the store away or the in-flight cap reached), and another node's is
 * counted here as `guard.report(outcome, {origin: 'replica'})` at its time clamped into [now - reportClockSkew,
 * now]. A password guesser spreading its tries over several nodes is banned as if it had hit one.
 */
export class ReportSharing {
  private readonly counters = {
    published: 0,
    skipped: 0,
    failed: 0,
    coalesced: 0,
    received: 0,
    applied: 0,
    refused: 0,
  };
  /** This node publishes its own failure reports (shareReports, not in monitor mode). */
  private readonly publishing: boolean;
  private readonly rate: ReportRate;
  private readonly failLog = new LogThrottle(10_000);
  /** Set while a replica report is handed to the guard: its `report` event then means "counted". */
  private applying = false;
  private detached = false;
  private readonly onReport = (outcome: Outcome, origin: BanOrigin): void => this.reported(outcome, origin);

  constructor(private readonly c: ReportSharingContext) {
    this.publishing = c.writable && c.enabled;
    this.rate = new ReportRate(c.maxReportsPerSource, REPORT_RATE_SOURCES);
  }

  attach(): void {
    // Only with sharing on: the guard raises report events only while someone listens.
    if (this.c.enabled) this.c.guard.on('report', this.onReport);
  }

  detach(): void {
    this.detached = true;
    this.c.guard.off('report', this.onReport);
  }

  stats(): SharedReportsHealth {
    return { enabled: this.c.enabled, publishing: this.publishing, ...this.counters };
  }

  /** Another node's failure report, counted here as if the PBX had reported it here, at a clamped time. */
  apply(outcome: WireOutcome): void {
    this.counters.received++;
    if (!this.c.enabled) {
      this.counters.refused++;
      return;
    }
    const before = this.counters.applied;
    this.applying = true;
    try {
      const time = clampReportTime(outcome.time, Date.now(), this.c.reportClockSkew);
      this.c.guard.report({ ...outcome, time }, { origin: 'replica' });
    } finally {
      this.applying = false;
    }
    if (this.counters.applied === before) this.counters.refused++;
  }

  /** A report event of the guard: a replica one just applied is counted; a local failure is published. */
  private reported(outcome: Outcome, origin: BanOrigin): void {
    if (origin === 'replica') {
      if (this.applying) this.counters.applied++;
      return;
    }
    if (!this.publishing || this.detached || !isSharedReportKind(outcome.kind)) return;
    const now = Date.now();
    const ip = outcome.source.ip;
    if (this.c.guard.bans.get(ip) !== undefined || !this.rate.take(ip, now)) {
      this.counters.coalesced++;
      return;
    }
    if (!this.c.writes.canSend()) {
      this.counters.skipped++;
      return;
    }
    const payload = encodeMessage({
      op: 'report',
      node: this.c.nodeId,
      outcome: wireOutcome({ ...outcome, kind: outcome.kind }, now),
    });
    const p = this.c.store.publish(payload).then(
      () => {
        this.counters.published++;
      },
      (err: Error) => {
        this.counters.failed++;
        const suppressed = this.failLog.take();
        if (suppressed !== undefined && !this.detached) {
          this.c.logger.warn(
            {
              event: 'shared-store-report-failed',
              code: 'GG_REDIS_REPORT_FAILED',
              err: err.message,
              suppressed,
              failMode: 'open',
            },
            'could not share a failure report: it counts on this node only',
          );
        }
      },
    );
    this.c.writes.track(p);
  }
}
