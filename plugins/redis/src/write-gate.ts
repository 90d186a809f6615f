import type { LinkState } from './link-state.js';

/**
 * The one bound on what a node sends: a write (ban, lift, blacklist update) or a report publication goes out
 * only while the store is up and fewer than `maxPendingWrites` of them wait for an answer. Nothing is queued:
 * what cannot go now is skipped (bans are covered by the next reconcile, reports are lost by design).
 */
export class WriteGate {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly link: LinkState,
    private readonly max: number,
  ) {}

  /** Sent and not answered yet. */
  get inFlight(): number {
    return this.pending.size;
  }

  canSend(): boolean {
    return this.link.state === 'up' && this.pending.size < this.max;
  }

  /** Counts `p` in flight until it settles. */
  track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  /** Settles once everything in flight now has its answer (or its timeout). */
  drained(): Promise<unknown> {
    return Promise.allSettled([...this.pending]);
  }
}
