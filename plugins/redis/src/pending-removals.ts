/**
 * Bans lifted by hand on this node while the store could not be told: replayed on the next reconcile so the
 * lifted ban does not come back from Redis. Bounded: past `max` the oldest is forgotten (and counted), and that
 * ban may return from the store until it expires.
 */
export class PendingRemovals {
  private readonly removals = new Map<string, number>();
  dropped = 0;

  constructor(private readonly max: number) {}

  get size(): number {
    return this.removals.size;
  }

  /** Returns the address forgotten to make room, if any. */
  add(ip: string, removedAt: number): string | undefined {
    this.removals.delete(ip);
    this.removals.set(ip, removedAt);
    if (this.removals.size <= this.max) return undefined;
    const oldest = this.removals.keys().next().value;
    if (oldest === undefined) return undefined;
    this.removals.delete(oldest);
    this.dropped++;
    return oldest;
  }

  /** When `ip` was lifted here and not yet told to the store. */
  removedAt(ip: string): number | undefined {
    return this.removals.get(ip);
  }

  /** A ban set here again after the removal supersedes it. */
  forget(ip: string): void {
    this.removals.delete(ip);
  }

  /** Only entries whose time is still `removedAt` are deleted (a newer removal of the same ip stays queued). */
  settle(ip: string, removedAt: number): void {
    if (this.removals.get(ip) === removedAt) this.removals.delete(ip);
  }

  entries(): Array<[ip: string, removedAt: number]> {
    return [...this.removals];
  }
}
