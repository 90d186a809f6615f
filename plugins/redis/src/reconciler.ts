import type { Logger } from '@ghostguard/core';
import type { LinkState } from './link-state.js';
import { isAborted, type ReconcileContext, type ReconcileReport, reconcile } from './reconcile.js';

/** Delay before retrying a reconcile that had failed commands while the store stayed up. */
const RECONCILE_RETRY_MS = 1_000;

/**
 * When reconciles run: on every transition to up, on request, and once more after writes were skipped or failed
 * (a reconcile is owed: one runs a second after, while the store is up). Never two at once: a request while one
 * runs gets one follow-up run right after it, covering what changed after its pull.
 */
export class Reconciler {
  reconciles = 0;
  lastReconcile: ReconcileReport | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private reconciling: Promise<ReconcileReport | undefined> | undefined;
  private followUp: Promise<ReconcileReport | undefined> | undefined;
  /** A reconcile is owed: writes were skipped or failed, or one was asked for while another ran. */
  private dirty = false;
  private closed = false;

  constructor(
    private readonly link: LinkState,
    private readonly logger: Logger,
    /** Everything the reconcile takes but its abort test. */
    private readonly context: Omit<ReconcileContext, 'aborted'>,
    /** After every completed reconcile. */
    private readonly onReconciled: (report: ReconcileReport) => void,
  ) {}

  /** A reconcile is running now (replica bans then need no blacklist repair: the reconcile syncs the set). */
  get running(): boolean {
    return this.reconciling !== undefined;
  }

  /** Writes were skipped or failed: the next reconcile covers them; one is scheduled while the store is up. */
  owe(): void {
    this.dirty = true;
    if (this.link.state === 'up') this.scheduleRetry();
  }

  request(): Promise<ReconcileReport | undefined> {
    if (this.closed || this.link.state !== 'up') return Promise.resolve(undefined);
    if (this.reconciling) {
      // What changed after this run's pull (or a reconnect that aborted it) is covered by one more run, right after.
      this.followUp ??= this.reconciling.then(() => {
        this.followUp = undefined;
        return this.request();
      });
      return this.followUp;
    }
    this.dirty = false;
    const run = this.run().finally(() => {
      this.reconciling = undefined;
      if (this.dirty && this.followUp === undefined && !this.closed && this.link.state === 'up') this.scheduleRetry();
    });
    this.reconciling = run;
    return run;
  }

  /** Stops scheduling; resolves with the runs to wait for. */
  close(): Array<Promise<unknown> | undefined> {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    return [this.reconciling, this.followUp];
  }

  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      if (this.dirty && this.link.state === 'up') this.request();
    }, RECONCILE_RETRY_MS);
    this.retryTimer.unref();
  }

  private async run(): Promise<ReconcileReport | undefined> {
    const started = this.link.since;
    try {
      const report = await reconcile({
        ...this.context,
        aborted: () => this.closed || this.link.state !== 'up' || this.link.since !== started,
      });
      this.reconciles++;
      this.lastReconcile = report;
      if (report.errors > 0) this.dirty = true;
      this.logger.info({ event: 'shared-store-reconciled', ...report }, 'bans reconciled with the shared store');
      this.onReconciled(report);
      return report;
    } catch (err) {
      if (this.closed) return undefined;
      this.dirty = true;
      if (!isAborted(err)) {
        this.logger.warn(
          {
            event: 'shared-store-reconcile-failed',
            code: 'GG_REDIS_RECONCILE_FAILED',
            err: (err as Error).message,
            failMode: 'open',
          },
          'reconcile with the shared store failed: deciding on local state, retrying',
        );
      }
      return undefined;
    }
  }
}
