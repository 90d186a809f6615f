/**
 * Open connections per source address. Entries exist only while a source has a connection open, so the
 * map never holds more than the gate's open connections.
 */
export class SourceLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly maxPerSource: number) {}

  /** Counts a new connection from `ip`, or returns false when the source is at its limit. */
  tryAdd(ip: string): boolean {
    const n = this.open.get(ip) ?? 0;
    if (n >= this.maxPerSource) return false;
    this.open.set(ip, n + 1);
    return true;
  }

  remove(ip: string): void {
    const n = this.open.get(ip);
    if (n === undefined) return;
    if (n <= 1) this.open.delete(ip);
    else this.open.set(ip, n - 1);
  }

  get sources(): number {
    return this.open.size;
  }
}
