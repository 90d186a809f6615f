import type { Logger } from '@ghostguard/core';

/**
 * `connecting`: not reached yet; `up`: both connections ready and subscribed; `down`: unreachable (the guard
 * decides on local state); `closed`: detached.
 */
export type StoreState = 'connecting' | 'up' | 'down' | 'closed';

/**
 * The shared store's reachability as its backend reports it (`up` when every connection is ready and subscribed,
 * `lost` when one drops), and the two log lines operators need: one warn when it goes away (however many
 * reconnect attempts fail after that) and one info when it is back.
 */
export class LinkState {
  state: StoreState = 'connecting';
  /** ms since the epoch of the last state change. */
  since = Date.now();
  lastError: string | undefined;
  outages = 0;

  constructor(
    private readonly logger: Logger,
    private readonly target: string,
    /** Called on every transition to `up` (first connect and every return). */
    private readonly onUp: (again: boolean) => void,
  ) {}

  /** Every connection of the store is ready. */
  setUp(): void {
    if (this.state === 'closed' || this.state === 'up') return;
    const again = this.state === 'down';
    this.set('up');
    if (again) {
      this.logger.info(
        { event: 'shared-store-up', target: this.target },
        'shared store reachable again: reconciling bans',
      );
    } else {
      this.logger.info({ event: 'shared-store-connected', target: this.target }, 'shared store connected');
    }
    this.onUp(again);
  }

  /** A connection closed or failed to connect. */
  setLost(connection: string, reason: string | undefined): void {
    if (reason !== undefined) this.lastError = reason;
    if (this.state !== 'up' && this.state !== 'connecting') return;
    this.set('down');
    this.outages++;
    this.logger.warn(
      {
        event: 'shared-store-down',
        code: 'GG_REDIS_UNREACHABLE',
        target: this.target,
        connection,
        error: this.lastError,
        failMode: 'open',
        detail:
          'fail-open: every node keeps judging on its own ban list; bans made meanwhile stay local until the store is back, then they are pushed',
      },
      'shared store unreachable: deciding on local state',
    );
  }

  close(): void {
    this.set('closed');
  }

  private set(state: StoreState): void {
    this.state = state;
    this.since = Date.now();
  }
}
