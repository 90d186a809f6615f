import type { Guard } from '@ghostguard/core';
import { RedisBansError } from './errors.js';
import type { PendingRemovals } from './pending-removals.js';
import { banLift, banWrite, chunks, type SharedBanStore } from './store.js';

export interface ReconcileReport {
  /** ms since the epoch when it started, and how long it took. */
  at: number;
  ms: number;
  /** Removals made here while the store was unreachable, replayed (lifted everywhere) / kept (a newer ban). */
  removalsReplayed: number;
  removalsSuperseded: number;
  /** Ban keys read from the store; merged (new or longer than the local one); past their end (skipped). */
  scanned: number;
  merged: number;
  expiredSkipped: number;
  /** Keys under the ban prefix whose value is not a valid ban for that address: skipped. */
  invalid: number;
  /** Local bans the store lacked or held shorter, written and published. */
  pushed: number;
  /** Local bans the store says were lifted by hand after they began: lifted here too. */
  liftedElsewhere: number;
  /** drachtio blacklist members added or removed. */
  blacklistChanged: number;
  /** Commands that failed; the reconcile is retried when any did. */
  errors: number;
}

export interface ReconcileContext {
  store: SharedBanStore;
  guard: Guard;
  nodeId: string;
  /** How long a manual lift is remembered (the longest a ban can run: no older ban can still be pushed). */
  liftedTtl: number;
  batchSize: number;
  removals: PendingRemovals;
  /** false in monitor mode: pull only, write nothing. */
  writable: boolean;
  /** Stops between batches (detached, or the connection dropped: the next connect starts over). */
  aborted: () => boolean;
}

/**
 * Brings this node and the store to the same ban list, on every (re)connect:
 * 1. replays removals made here while the store was unreachable (so they do not come back in step 2);
 * 2. reads every stored ban (on Redis: SCAN pages, MGET per page) and merges each ban still running into the guard;
 * 3. pushes local bans the store lacks or holds shorter (made while it was unreachable, or restored from the
 *    data directory), publishing only those it wrote; expired bans are never written;
 * 4. with a blacklist set (drachtio-server's): adds every banned address, removes members whose ban is gone.
 * Work per round trip is bounded by `batchSize`; nothing is held beyond one page plus the local ban list.
 */
export async function reconcile(ctx: ReconcileContext): Promise<ReconcileReport> {
  const at = Date.now();
  const r: ReconcileReport = {
    at,
    ms: 0,
    removalsReplayed: 0,
    removalsSuperseded: 0,
    scanned: 0,
    merged: 0,
    expiredSkipped: 0,
    invalid: 0,
    pushed: 0,
    liftedElsewhere: 0,
    blacklistChanged: 0,
    errors: 0,
  };
  const { store, guard } = ctx;
  const check = (): void => {
    if (ctx.aborted()) throw new RedisBansError('GG_REDIS_RECONCILE_ABORTED', 'reconcile aborted');
  };

  // 1. Removals made while unreachable.
  if (ctx.writable) {
    for (const batch of chunks(ctx.removals.entries(), ctx.batchSize)) {
      check();
      const lifts = batch.map(([ip, removedAt]) => banLift(ctx.nodeId, ip, removedAt, true, ctx.liftedTtl));
      (await store.liftBans(lifts)).forEach((result, i) => {
        const [ip, removedAt] = batch[i]!;
        if (result instanceof Error) {
          r.errors++;
          return;
        }
        ctx.removals.settle(ip, removedAt);
        if (result === 'lifted') {
          r.removalsReplayed++;
          // Another node may have pushed it back here before this replay: lifted means lifted here too.
          guard.bans.remove(ip, { origin: 'replica' });
        } else r.removalsSuperseded++;
      });
    }
  }

  // 2. Pull every ban in the store (a check after each round trip: the store yields at least one page per trip).
  check();
  for await (const page of store.scanBans(ctx.batchSize)) {
    const now = Date.now();
    for (const ban of page) {
      r.scanned++;
      if (ban === undefined) r.invalid++;
      else if (ban.until <= now) r.expiredSkipped++;
      else if (guard.bans.merge(ban)) r.merged++;
    }
    check();
  }

  if (ctx.writable) {
    // 3. Push what only this node knows (or knows longer).
    for (const batch of chunks(guard.bans.list(), ctx.batchSize)) {
      check();
      const now = Date.now();
      const writes = batch.flatMap((ban) => banWrite(ctx.nodeId, ban, now) ?? []);
      if (writes.length === 0) continue;
      (await store.writeBans(writes)).forEach((result, i) => {
        if (result instanceof Error) r.errors++;
        else if (result === 'written') r.pushed++;
        else if (result === 'lifted') {
          // Lifted by hand on another node while this one could not hear it.
          if (guard.bans.remove(writes[i]!.ban.ip, { origin: 'replica' })) r.liftedElsewhere++;
        }
      });
    }

    // 4. The blacklist set: every banned address in, every member without a ban out.
    const blacklist = store.blacklist;
    if (blacklist !== undefined) {
      const sync = async (ips: readonly string[]): Promise<void> => {
        if (ips.length === 0) return;
        check();
        try {
          r.blacklistChanged += Number(await blacklist.sync(ips, Date.now())) || 0;
        } catch {
          r.errors++;
        }
      };
      for (const batch of chunks(guard.bans.list(), ctx.batchSize)) await sync(batch.map((b) => b.ip));
      check();
      for await (const page of blacklist.members(ctx.batchSize)) {
        await sync(page);
        check();
      }
    }
  }

  r.ms = Date.now() - at;
  return r;
}

export function isAborted(err: unknown): boolean {
  return err instanceof RedisBansError && err.code === 'GG_REDIS_RECONCILE_ABORTED';
}
