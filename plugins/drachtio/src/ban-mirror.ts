import type { BanInfo, Guard, Logger } from '@ghostguard/core';
import { ADAPTER_NAME } from './attempt.js';

/**
 * Where bans are mirrored so drachtio-server itself refuses the source before any app sees it: drachtio-server's
 * `--blacklist-redis-key` names a Redis set of addresses whose traffic it silently discards. v0.9.10 reads the set
 * once, when it starts (src/blacklist.cpp: the loader stops after its first successful SMEMBERS;
 * `--blacklist-refresh-secs` is never used), so a ban takes effect there at drachtio-server's next start. A sink keeps such a set: `add` when the guard bans, `remove` when the ban ends (expiry,
 * manual lift). Redis sets have no per-member expiry, so removal is driven by the guard's `unban` events.
 * The Redis implementation lands with the cluster issue; any sink may be async and may fail (it is logged).
 */
export interface BanSink {
  add(ip: string, ban: BanInfo): void | Promise<void>;
  remove(ip: string): void | Promise<void>;
}

export interface BanMirror {
  /** Stops mirroring (the sink keeps what it has). */
  stop(): void;
  /** Sink failures so far. */
  readonly failures: number;
}

export interface MirrorOptions {
  logger?: Logger;
  /** Copy the bans active right now into the sink first; default true. */
  initial?: boolean;
}

/**
 * Mirrors the guard's bans into a sink. A failing sink never affects judging: the guard still refuses banned
 * sources in the app (fail-open for the mirror, logged). In `monitor` mode nothing is mirrored: a mirrored ban
 * would be enforced by drachtio-server, which monitor mode promises not to do.
 */
export function mirrorBans(guard: Guard, sink: BanSink, options: MirrorOptions = {}): BanMirror {
  const log = (options.logger ?? guard.logger).child({ adapter: ADAPTER_NAME, component: 'ban-mirror' });
  let failures = 0;
  let stopped = false;

  const guarded = (op: 'add' | 'remove', ip: string, run: () => void | Promise<void>): void => {
    const failed = (err: unknown): void => {
      failures++;
      log.warn(
        { event: 'ban-mirror-failed', op, ip, err, failMode: 'open' },
        'ban mirror failed: fail-open (the app still refuses the source)',
      );
    };
    try {
      const pending = run();
      if (pending && typeof pending.then === 'function') pending.then(undefined, failed);
    } catch (err) {
      failed(err);
    }
  };

  if (guard.config.mode === 'monitor') {
    log.info({ event: 'ban-mirror-off', reason: 'monitor mode' }, 'bans are not mirrored in monitor mode');
    return { stop: () => {}, failures: 0 };
  }

  const onBan = (ban: BanInfo): void => {
    if (!stopped) guarded('add', ban.ip, () => sink.add(ban.ip, ban));
  };
  const onUnban = (ip: string): void => {
    if (!stopped) guarded('remove', ip, () => sink.remove(ip));
  };
  guard.on('ban', onBan);
  guard.on('unban', onUnban);
  if (options.initial ?? true) for (const ban of guard.bans.list()) onBan(ban);

  return {
    stop: () => {
      stopped = true;
      guard.off('ban', onBan);
      guard.off('unban', onUnban);
    },
    get failures() {
      return failures;
    },
  };
}

/** An in-memory sink (tests, single-node setups that only want to see the set): address → ban. */
export class MemoryBanSink implements BanSink {
  readonly set = new Map<string, BanInfo>();

  add(ip: string, ban: BanInfo): void {
    this.set.set(ip, ban);
  }

  remove(ip: string): void {
    this.set.delete(ip);
  }

  has(ip: string): boolean {
    return this.set.has(ip);
  }
}
