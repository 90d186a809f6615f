import type { BanInfo } from '@ghostguard/core';
import { RedisBansError } from './errors.js';
import type { MemoryBanHub } from './memory-hub.js';
import {
  type BanLift,
  type BanWrite,
  type BatchResult,
  type BlacklistSet,
  chunks,
  type LiftResult,
  type SharedBanStore,
  type StoreListener,
  type WriteResult,
} from './store.js';

/**
 * One node's link to a {@link MemoryBanHub} (`hub.store()`): a {@link SharedBanStore}. Its operations run at once,
 * atomically, on the hub; they reject with GG_REDIS_UNREACHABLE while the hub or this link is down (nothing is
 * queued, as on Redis). `down()` / `up()` take this node's link away and back.
 */
export class MemoryBanStore implements SharedBanStore {
  readonly target = 'memory hub';
  readonly blacklist: BlacklistSet | undefined;
  private listener: StoreListener | undefined;
  private linkUp = true;
  private notified: boolean | undefined;
  private closed = false;

  constructor(
    private readonly hub: MemoryBanHub,
    private readonly blacklistKey: string | undefined,
  ) {
    const key = blacklistKey;
    this.blacklist =
      key === undefined
        ? undefined
        : {
            key,
            sync: (ips, now) => this.call(() => hub.sync(key, ips, now)),
            members: (pageSize) => paged(() => this.call(() => hub.members(key)), pageSize),
          };
  }

  /** This node's link goes away (messages to it are lost, its operations reject) / comes back. */
  down(): void {
    this.linkUp = false;
    this.update();
  }

  up(): void {
    this.linkUp = true;
    this.update();
  }

  get connected(): boolean {
    return this.listener !== undefined && !this.closed && this.linkUp && this.hub.isUp;
  }

  open(listener: StoreListener): void {
    this.listener = listener;
    this.hub.attach(this);
    // As a network store would: the first state arrives after open() returns.
    queueMicrotask(() => this.update());
  }

  /** @internal Tells the listener when the link changed since it was last told. */
  update(): void {
    const connected = this.connected;
    if (this.listener === undefined || this.closed || connected === this.notified) return;
    this.notified = connected;
    if (connected) this.listener.up();
    else {
      this.listener.error('hub', this.hub.isUp ? 'link down' : 'the memory hub is down');
      this.listener.down('hub');
    }
  }

  /** @internal */ deliver(payload: string): void {
    if (!this.connected) return;
    queueMicrotask(() => {
      if (this.connected) this.listener?.message(payload);
    });
  }

  /** @internal Runs `op` now when connected, otherwise rejects at once (nothing is queued). */
  call<T>(op: () => T): Promise<T> {
    if (!this.connected) {
      return Promise.reject(new RedisBansError('GG_REDIS_UNREACHABLE', `${this.target}: not connected`));
    }
    return Promise.resolve(op());
  }

  writeBan(w: BanWrite): Promise<WriteResult> {
    return this.call(() => this.hub.write(w, this.blacklistKey));
  }

  writeBans(writes: readonly BanWrite[]): Promise<Array<BatchResult<WriteResult>>> {
    return this.call(() => writes.map((w) => this.hub.write(w, this.blacklistKey)));
  }

  liftBan(l: BanLift): Promise<LiftResult> {
    return this.call(() => this.hub.lift(l, this.blacklistKey));
  }

  liftBans(lifts: readonly BanLift[]): Promise<Array<BatchResult<LiftResult>>> {
    return this.call(() => lifts.map((l) => this.hub.lift(l, this.blacklistKey)));
  }

  scanBans(pageSize: number): AsyncIterable<ReadonlyArray<BanInfo | undefined>> {
    return paged(() => this.call(() => this.hub.snapshot()), pageSize);
  }

  publish(message: string): Promise<void> {
    return this.call(() => this.hub.publish(message));
  }

  async close(drained?: Promise<unknown>): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await drained;
    this.hub.detach(this);
  }
}

/** What `read` answers, in pages of `size`: one empty page when there is nothing (a round trip that found none). */
async function* paged<T>(read: () => Promise<T[]>, size: number): AsyncIterable<T[]> {
  const pages = chunks(await read(), size);
  if (pages.length === 0) yield [];
  yield* pages;
}
