import {
  type Attachment,
  type BanInfo,
  type BanOrigin,
  CidrSet,
  type GhostguardConfig,
  type Guard,
  type Logger,
  type ParsedIp,
  parseIp,
  prefixKey,
  readiness,
  type UnbanCause,
} from '@ghostguard/core';
import { KernelSync, type KernelSyncStats, type Wanted } from './kernel-sync.js';
import { canonicalElement } from './listing.js';
import { type FirewallOptions, type ResolvedFirewallOptions, resolveFirewallOptions } from './options.js';
import { FIXED_SLOTS, prefixSlot, type SlotName, trustRanges } from './ruleset.js';
import { type NftRunner, spawnRunner } from './runner.js';

export interface FirewallStats extends KernelSyncStats {
  /** Bans not sent to the kernel: an allowlisted address (never expected: the guard refuses those). */
  skippedTrusted: number;
  /** Bans with less than minTtl left. */
  skippedShort: number;
  /** Bans of an origin not in `origins`. */
  skippedOrigin: number;
}

/** The kernel bouncer: `attachFirewall(guard, options, runner?)`. */
export interface Firewall extends Attachment<FirewallStats> {
  /** True when the kernel drops `ip` (an address or a prefix ban's text as bans.list() shows it) now. */
  inKernel(ip: string): boolean;
  /** A full reconcile soon (list the table, diff, fix). */
  reconcile(): void;
}

const NO_RANGES = { v4: [], v6: [] };

/** How often left-out bans that ended are forgotten. */
const EXCLUDED_SWEEP_MS = 60_000;

/**
 * Keeps `table inet <table>` in step with the guard's bans: `ban` adds the banned address (or, when the guard
 * folded it into a prefix ban, that prefix) with the ban's remaining time as the element timeout, `unban` takes
 * it out; a full reconcile (structure, `nft -j list table`, diff) runs at start, after a reload of the guard's
 * configuration, after any failed run and every `reconcileEvery`. Monitor mode puts nothing in the kernel
 * (monitor changes nothing a caller sees). Nothing here is on judge()'s path: a failure is logged and counted and
 * the guard keeps judging (the kernel side fails open).
 *
 * `runner` runs nft (default: a process per run of `options.command`); tests pass a fake one. `logger`: where its
 * lines go (default the guard's).
 */
export function attachFirewall(guard: Guard, options?: FirewallOptions, runner?: NftRunner, logger?: Logger): Firewall {
  const log = logger ?? guard.logger;
  const o: ResolvedFirewallOptions = resolveFirewallOptions(options);
  const now = () => Date.now();
  const origins = new Set<BanOrigin>(o.origins);
  let config: GhostguardConfig = guard.config;
  let trust = cidrSetOf(config);
  const counts = { skippedTrusted: 0, skippedShort: 0, skippedOrigin: 0 };
  /** Bans left out for their origin (a reconcile rebuilt from bans.list() leaves them out too). */
  const excluded = new Map<string, number>();

  /** The set a ban's text goes to: an address to ban4/ban6, a network to the set of its prefix length. */
  const slotOf = (text: string): { slot: SlotName; key: string; ip?: ParsedIp } | undefined => {
    const key = canonicalElement(text);
    if (key === undefined) return undefined;
    const slash = key.indexOf('/');
    if (slash < 0) {
      const ip = parseIp(key)!;
      return { slot: ip.family === 4 ? 'ban4' : 'ban6', key, ip };
    }
    return { slot: prefixSlot(key.includes(':') ? 6 : 4, Number(key.slice(slash + 1))), key };
  };

  /** Where `ban` goes in `into` (a rebuild) or in the sync (an event); false when it stays out of the kernel. */
  const admit = (ban: BanInfo, at: number, count = true): ReturnType<typeof slotOf> => {
    // Read live: a reload to monitor mode stops new elements at once (its reconcile then empties the sets).
    if (guard.config.mode === 'monitor') return undefined;
    if (ban.until - at < Math.max(o.minTtl, 1)) {
      if (count) counts.skippedShort++;
      return undefined;
    }
    const target = slotOf(ban.ip);
    if (target === undefined) return undefined;
    // The guard never bans an allowlisted address; checked again so that no bug elsewhere can drop a peer.
    if (target.ip !== undefined && trust.match(target.ip)) {
      if (count) counts.skippedTrusted++;
      return undefined;
    }
    return target;
  };

  const liftedSlot = (family: 4 | 6): SlotName => (family === 4 ? 'lifted4' : 'lifted6');

  /**
   * The latest end of a prefix ban over `ip` in the sets `slots` (one per prefix length in use: a handful), as
   * `read` sees them (wanted, or held by the kernel).
   */
  const coveringEnd = (
    ip: ParsedIp,
    slots: readonly SlotName[],
    read: (slot: SlotName, key: string) => number | undefined,
  ): number | undefined => {
    let end: number | undefined;
    for (const slot of slots) {
      const len = Number(slot.slice(slot.indexOf('_') + 1));
      const until = read(slot, canonicalElement(prefixKey(ip, len, len))!);
      if (until !== undefined && (end === undefined || until > end)) end = until;
    }
    return end;
  };

  const baseSlots = (): SlotName[] => [
    ...FIXED_SLOTS.map((s) => s.name),
    ...([4, 6] as const).flatMap((family) => prefixLengths(config, family).map((len) => prefixSlot(family, len))),
  ];

  const desired = (): Wanted => {
    const next: Wanted = new Map();
    if (guard.config.mode === 'monitor') return next;
    const at = now();
    const into = (slot: SlotName): Map<string, number> => {
      let m = next.get(slot);
      if (m === undefined) {
        m = new Map();
        next.set(slot, m);
      }
      return m;
    };
    for (const ban of guard.bans.list()) {
      if (excluded.has(ban.ip)) continue;
      const target = admit(ban, at, false);
      if (target !== undefined) into(target.slot).set(target.key, ban.until);
    }
    // Addresses lifted inside a banned prefix stay lifted while the prefix is wanted and they are not banned again.
    for (const family of [4, 6] as const) {
      for (const [text] of sync.wantedIn(liftedSlot(family))) {
        const ip = parseIp(text);
        if (ip === undefined || guard.bans.get(text) !== undefined) continue;
        const slots = [...next.keys()].filter((n) => n.startsWith(`net${family}_`));
        const end = coveringEnd(ip, slots, (slot, key) => next.get(slot)?.get(key));
        if (end !== undefined) into(liftedSlot(family)).set(text, end);
      }
    }
    return next;
  };

  const sync = new KernelSync({
    table: o.table,
    priority: o.priority,
    maxBatch: o.maxBatch,
    retry: o.retry,
    runner: runner ?? spawnRunner(o.command, o.commandTimeout),
    logger: log,
    now,
    trust: () => trustRanges(config.trust.cidrs),
    // Feeds as a set of their own, rewritten whole at each reconcile (a feed update asks for one); monitor: empty.
    feeds: () => (o.feeds && guard.config.mode !== 'monitor' ? trustRanges([...guard.feeds.cidrs()]) : NO_RANGES),
    desired,
    baseSlots,
  });

  const onBan = (ban: BanInfo, origin: BanOrigin): void => {
    if (!origins.has(origin)) {
      excluded.set(ban.ip, ban.until);
      counts.skippedOrigin++;
      return;
    }
    excluded.delete(ban.ip);
    const at = now();
    let effective = ban;
    if (!ban.ip.includes('/')) {
      // Folding: the guard turned this address and its neighbours into one prefix ban (quietly: no event for the
      // prefix); the address's own ban is gone, the prefix covers it. The prefix goes to the kernel; the member
      // addresses already there stay until their own timeouts (another set: no overlap).
      const current = guard.bans.get(ban.ip);
      if (current?.ip.includes('/')) effective = current;
    }
    const target = admit(effective, at);
    if (target === undefined) return;
    if (target.ip !== undefined) sync.take(liftedSlot(target.ip.family), target.key);
    sync.put(target.slot, target.key, effective.until);
  };

  const onUnban = (ipText: string, cause: UnbanCause): void => {
    excluded.delete(ipText);
    const target = slotOf(ipText);
    if (target === undefined) return;
    sync.take(target.slot, target.key);
    if (target.ip === undefined) {
      // A prefix lifted before its end (by hand, by another node): the addresses folded into it went quietly with
      // it, and some may still be in the kernel on their own: a reconcile from bans.list() takes them out.
      if (cause !== 'expired') sync.requestReconcile();
      return;
    }
    // An address lifted inside a banned prefix: the guard exempts it, so the kernel lets it pass too.
    if (guard.bans.get(target.key) !== undefined) return;
    const end = coveringEnd(target.ip, sync.prefixSlots(target.ip.family), (slot, key) => sync.wanted(slot, key));
    if (end !== undefined && end > now()) sync.put(liftedSlot(target.ip.family), target.key, end);
  };

  const onFeeds = (): void => sync.requestReconcile();
  guard.on('ban', onBan);
  guard.on('unban', onUnban);
  if (o.feeds) guard.on('feeds', onFeeds);

  // A reload (SIGHUP, POST /v1/reload): the allowlist, the mode or the prefix lengths may have changed.
  const onReconfigured = (): void => {
    config = guard.config;
    trust = cidrSetOf(config);
    sync.requestReconcile();
  };
  guard.on('reconfigured', onReconfigured);

  const watch = setInterval(() => {
    // Left-out bans that ended without an unban event (folded quietly): forgotten, so the map follows the bans.
    const at = now();
    for (const [ip, until] of excluded) if (until <= at) excluded.delete(ip);
  }, EXCLUDED_SWEEP_MS);
  watch.unref();
  const periodic =
    o.reconcileEvery > 0 ? setInterval(() => sync.requestReconcile(), o.reconcileEvery).unref() : undefined;

  const { ready, settle } = readiness();
  sync.start().then(
    () => {
      log.info(
        { event: 'firewall-ready', table: o.table, priority: o.priority, elements: sync.stats().elements },
        `nftables table inet ${o.table} in step with the bans`,
      );
      settle();
    },
    (err: Error) => {
      if ((err as { code?: string }).code !== 'GG_FIREWALL_CLOSED')
        log.error(
          { event: 'firewall-start-failed', code: (err as { code?: string }).code, err },
          'kernel bouncer could not start: the kernel side fails open (the guard keeps judging every call)',
        );
      detach();
      settle(err);
    },
  );

  let closed = false;
  function detach(): void {
    guard.off('ban', onBan);
    guard.off('unban', onUnban);
    guard.off('feeds', onFeeds);
    guard.off('reconfigured', onReconfigured);
    clearInterval(watch);
    if (periodic !== undefined) clearInterval(periodic);
  }

  return {
    ready,
    stats: () => ({ ...sync.stats(), ...counts }),
    inKernel(ipText: string): boolean {
      const target = slotOf(ipText);
      if (target === undefined) return false;
      if (sync.holds(target.slot, target.key)) return true;
      if (target.ip === undefined) return false;
      if (sync.holds(liftedSlot(target.ip.family), target.key)) return false;
      const at = now();
      const slots = sync.prefixSlots(target.ip.family);
      return coveringEnd(target.ip, slots, (slot, key) => (sync.holds(slot, key) ? at + 1 : undefined)) !== undefined;
    },
    reconcile: () => sync.requestReconcile(),
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      detach();
      // The table stays (a restart or a crash keeps the kernel dropping; element timeouts end every ban).
      // Before the first reconcile finished, ready rejects with GG_FIREWALL_CLOSED.
      sync.close();
    },
  };
}

/** The guard's prefix-ban lengths (bans.aggregate; its defaults when absent). */
function prefixLengths(config: GhostguardConfig, family: 4 | 6): readonly [number, number] {
  const a = config.bans.aggregate;
  return family === 4 ? (a?.v4 ?? [24, 16]) : (a?.v6 ?? [64, 48]);
}

function cidrSetOf(config: GhostguardConfig): CidrSet {
  const set = new CidrSet();
  for (const c of config.trust.cidrs) {
    try {
      set.add(typeof c === 'string' ? c : c.address);
    } catch {
      // validated by the guard's configuration already
    }
  }
  return set;
}
