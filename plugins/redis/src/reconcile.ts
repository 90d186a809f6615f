import type { Guard } from '@ghostguard/core';
import {
  BAN_LIFTED,
  BAN_WRITTEN,
  type CommandContext,
  keepLongerBanCall,
  liftBanCall,
  syncBlacklistCall,
} from './commands.js';
import { decodeStoredBan } from './messages.js';
import type { PendingRemovals } from './pending-removals.js';
import { type ScriptClient, type ScriptPipeline, scriptPipeline } from './scripts.js';

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

export interface ReconcileContext extends CommandContext {
  client: ScriptClient;
  guard: Guard;
  batchSize: number;
  maxValueBytes: number;
  removals: PendingRemovals;
  /** false in monitor mode: pull only, write nothing. */
  writable: boolean;
  /** Stops between batches (detached, or the connection dropped: the next connect starts over). */
  aborted: () => boolean;
}

class Aborted extends Error {}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Runs a pipeline; returns each command's result, with errors in place (exec itself rejects when the link fails). */
async function run(p: ScriptPipeline): Promise<Array<[Error | null, unknown]>> {
  return ((await p.exec()) ?? []) as Array<[Error | null, unknown]>;
}

/**
 * Brings this node and the store to the same ban list, on every (re)connect:
 * 1. replays removals made here while the store was unreachable (so they do not come back in step 2);
 * 2. reads every ban key (SCAN pages, MGET per page) and merges each ban still running into the guard;
 * 3. pushes local bans the store lacks or holds shorter (made while it was unreachable, or restored from the
 *    data directory), publishing only those it wrote; expired bans are never written;
 * 4. with a drachtio blacklist set: adds every banned address, removes members whose ban is gone.
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
  const check = (): void => {
    if (ctx.aborted()) throw new Aborted('reconcile aborted');
  };

  // 1. Removals made while unreachable.
  if (ctx.writable) {
    for (const batch of chunks(ctx.removals.entries(), ctx.batchSize)) {
      check();
      const p = scriptPipeline(ctx.client);
      for (const [ip, removedAt] of batch) p.ggLiftBan(...liftBanCall(ctx, ip, removedAt, true));
      const results = await run(p);
      results.forEach(([err, value], i) => {
        const [ip, removedAt] = batch[i]!;
        if (err) {
          r.errors++;
          return;
        }
        ctx.removals.settle(ip, removedAt);
        if (value === 1) {
          r.removalsReplayed++;
          // Another node may have pushed it back here before this replay: lifted means lifted here too.
          ctx.guard.bans.remove(ip, { origin: 'replica' });
        } else r.removalsSuperseded++;
      });
    }
  }

  // 2. Pull every ban in the store.
  let cursor = '0';
  do {
    check();
    const [next, keys] = await ctx.client.scan(cursor, 'MATCH', ctx.names.banPattern, 'COUNT', ctx.batchSize);
    cursor = next;
    for (const page of chunks(keys, ctx.batchSize)) {
      check();
      const values = await ctx.client.mget(...page);
      const now = Date.now();
      page.forEach((key, i) => {
        const value = values[i];
        if (value === null || value === undefined) return; // expired or lifted between SCAN and MGET
        r.scanned++;
        const ban = decodeStoredBan(value, ctx.maxValueBytes);
        if (ban === undefined || ctx.names.ipOf(key) !== ban.ip) {
          r.invalid++;
          return;
        }
        if (ban.until <= now) {
          r.expiredSkipped++;
          return;
        }
        if (ctx.guard.bans.merge(ban)) r.merged++;
      });
    }
  } while (cursor !== '0');

  if (ctx.writable) {
    // 3. Push what only this node knows (or knows longer).
    const local = ctx.guard.bans.list();
    for (const batch of chunks(local, ctx.batchSize)) {
      check();
      const now = Date.now();
      const p = scriptPipeline(ctx.client);
      const queued: string[] = [];
      for (const ban of batch) {
        const call = keepLongerBanCall(ctx, ban, now);
        if (call === undefined) continue;
        p.ggKeepLongerBan(...call);
        queued.push(ban.ip);
      }
      if (queued.length === 0) continue;
      (await run(p)).forEach(([err, value], i) => {
        if (err) r.errors++;
        else if (value === BAN_WRITTEN) r.pushed++;
        else if (value === BAN_LIFTED) {
          // Lifted by hand on another node while this one could not hear it.
          if (ctx.guard.bans.remove(queued[i]!, { origin: 'replica' })) r.liftedElsewhere++;
        }
      });
    }

    // 4. drachtio-server's blacklist: every banned address in, every member without a ban out.
    const blacklistKey = ctx.blacklistKey;
    if (blacklistKey !== undefined) {
      const sync = async (ips: readonly string[]): Promise<void> => {
        if (ips.length === 0) return;
        check();
        const p = scriptPipeline(ctx.client);
        p.ggSyncBlacklist(...syncBlacklistCall({ ...ctx, blacklistKey }, ips, Date.now()));
        for (const [err, value] of await run(p)) {
          if (err) r.errors++;
          else r.blacklistChanged += Number(value) || 0;
        }
      };
      for (const batch of chunks(ctx.guard.bans.list(), ctx.batchSize)) await sync(batch.map((b) => b.ip));
      let setCursor = '0';
      do {
        check();
        const [next, members] = await ctx.client.sscan(blacklistKey, setCursor, 'COUNT', ctx.batchSize);
        setCursor = next;
        for (const page of chunks(members, ctx.batchSize)) await sync(page);
      } while (setCursor !== '0');
    }
  }

  r.ms = Date.now() - at;
  return r;
}

export function isAborted(err: unknown): boolean {
  return err instanceof Aborted;
}
