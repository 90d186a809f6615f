import type { TarpitSlot } from '@ghostguard/core';

/**
 * Tarpit slots held for redirected channels, keyed by Uniqueid (or channel name): released when the channel's
 * Hangup event arrives, when the redirect fails, or after `releaseAfter` (a Hangup missed while AMI was down).
 */
export class TarpitSlots {
  private readonly held = new Map<string, { slot: TarpitSlot; timer: NodeJS.Timeout }>();

  constructor(private readonly releaseAfter: number) {}

  get size(): number {
    return this.held.size;
  }

  hold(key: string, slot: TarpitSlot): void {
    this.release(key);
    const timer = setTimeout(() => this.release(key), this.releaseAfter);
    timer.unref();
    this.held.set(key, { slot, timer });
  }

  /** True when a slot was held for `key`. */
  release(key: string): boolean {
    const h = this.held.get(key);
    if (!h) return false;
    clearTimeout(h.timer);
    h.slot.release();
    this.held.delete(key);
    return true;
  }

  releaseAll(): void {
    for (const key of [...this.held.keys()]) this.release(key);
  }
}
