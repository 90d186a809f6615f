import { type Logger, LogThrottle } from '@ghostguard/core';
import { FirewallError } from './errors.js';
import { type KernelElements, parseListing } from './listing.js';
import {
  addSlotLines,
  orderSlots,
  rebuildScript,
  type SlotName,
  slotOf,
  structureScript,
  type TrustRanges,
  timeoutText,
} from './ruleset.js';
import type { NftRunner } from './runner.js';

/** Elements wanted in the kernel: per set, element text → when it should end (ms since the epoch). */
export type Wanted = Map<SlotName, Map<string, number>>;

export interface KernelSyncOptions {
  table: string;
  priority: number;
  maxBatch: number;
  retry: { min: number; max: number };
  runner: NftRunner;
  logger: Logger;
  now: () => number;
  /** The allowlist as nft ranges, read at each reconcile (a reload may change it). */
  trust: () => TrustRanges;
  /** The feeds' entries as nft ranges (empty when feeds are not sent), read at each reconcile. */
  feeds: () => TrustRanges;
  /** Everything that should be in the kernel now, rebuilt from the guard at each full reconcile. */
  desired: () => Wanted;
  /** The sets that always exist (the fixed ones and the guard's fold lengths). */
  baseSlots: () => SlotName[];
}

export type SyncState = 'starting' | 'up' | 'failing' | 'closed';

export interface KernelSyncStats {
  state: SyncState;
  /** Elements put into the kernel and not taken out (one the kernel expired counts until its ban ends here too). */
  elements: number;
  /** Changes waiting for the next nft run. */
  pending: number;
  /** nft runs that succeeded (batches, structure writes, listings). */
  runs: number;
  /** Runs that failed (each logged, throttled): missing nft, no permission, refused batch, timeout. */
  syncErrors: number;
  /** Full reconciles done (start, reload, after an error, periodic). */
  reconciles: number;
  /** Elements added and deleted by batches. */
  added: number;
  deleted: number;
  /** When the last run succeeded (ms since the epoch), 0 before the first. */
  lastSyncAt: number;
  /** The code of the last failure, while failing. */
  lastError?: string;
}

/**
 * An element the kernel ends within this is left to end by itself rather than deleted (a delete of an element
 * that expired meanwhile fails the whole batch: ENOENT).
 */
const EXPIRY_SLACK = 250;
/** An end read back from nft's JSON is whole seconds: ends closer than this are the same. */
const TOLERANCE = 2_000;
/** Longest element timeout written: longer bans are written again by the periodic reconcile before it ends. */
export const MAX_TIMEOUT = 30 * 86_400_000;
/** How often ended elements nobody took out are forgotten (see sweep()). */
const SWEEP_MS = 60_000;

/**
 * Keeps the bouncer's sets in step with what is wanted, through nft runs: one run at a time, what changes
 * meanwhile waits in `dirty` (one entry per element, the latest wish wins), so 10,000 bans arriving while a run is
 * in flight go in the next one or two runs (maxBatch). `have` is what the kernel holds as far as this process
 * knows: written from successful runs and read back (`nft -j list table`) by a full reconcile, which follows any
 * failure, since a refused batch was rolled back whole and the kernel may have moved meanwhile.
 */
export class KernelSync {
  private want: Wanted = new Map();
  private readonly have: Wanted = new Map();
  private readonly dirty = new Map<SlotName, Set<string>>();
  /** Sets that exist in the kernel (made by a structure run, a batch, or listed). */
  private readonly present = new Set<SlotName>();
  private readonly deferred = new Map<SlotName, Set<string>>();
  private dirtyCount = 0;
  private running = false;
  private scheduled = false;
  private reconcileWanted = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private deferTimer: NodeJS.Timeout | undefined;
  private deferAt = Number.POSITIVE_INFINITY;
  private retryDelay: number;
  private closed = false;
  private onFirst: ((err?: Error) => void) | undefined;
  private readonly failLog = new LogThrottle(60_000);
  /** The down/up lines: once per outage, and at most one of each a minute if the kernel side flaps. */
  private readonly downLog = new LogThrottle(60_000);
  private readonly upLog = new LogThrottle(60_000);
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly s: KernelSyncStats = {
    state: 'starting',
    elements: 0,
    pending: 0,
    runs: 0,
    syncErrors: 0,
    reconciles: 0,
    added: 0,
    deleted: 0,
    lastSyncAt: 0,
  };

  constructor(private readonly o: KernelSyncOptions) {
    this.retryDelay = o.retry.min;
    this.sweepTimer = setInterval(() => this.sweep(), SWEEP_MS);
    this.sweepTimer.unref();
  }

  /**
   * Forgets elements whose end has passed and that no event took out: the addresses a fold replaced (the guard
   * drops them quietly; their kernel elements end with their own timeouts). Once a minute, so what is kept
   * follows the bans in force, not every ban ever made.
   */
  private sweep(): void {
    const now = this.o.now();
    for (const [name, want] of this.want) {
      const have = this.have.get(name);
      for (const [text, until] of want) {
        if (until > now) continue;
        want.delete(text);
        const h = have?.get(text);
        if (h !== undefined && h > now + EXPIRY_SLACK) this.mark(name, text);
        else have?.delete(text);
      }
    }
  }

  /** Runs the first full reconcile; resolves once the kernel holds what is wanted, rejects with its error. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.onFirst = (err) => (err ? reject(err) : resolve());
      this.reconcileWanted = true;
      this.schedule();
    });
  }

  /** Wants `text` in `slot` until `until` (replaces an earlier wish). */
  put(slot: SlotName, text: string, until: number): void {
    of(this.want, slot).set(text, until);
    this.mark(slot, text);
  }

  /** Wants `text` out of `slot`. */
  take(slot: SlotName, text: string): void {
    if (this.want.get(slot)?.delete(text) || this.have.get(slot)?.has(text)) this.mark(slot, text);
  }

  wanted(slot: SlotName, text: string): number | undefined {
    return this.want.get(slot)?.get(text);
  }

  wantedIn(slot: SlotName): ReadonlyMap<string, number> {
    return this.want.get(slot) ?? EMPTY;
  }

  /** The prefix sets of `family` that anything is wanted in or the kernel holds (a handful: one per length). */
  prefixSlots(family: 4 | 6): SlotName[] {
    const out = new Set<SlotName>();
    for (const map of [this.want, this.have]) {
      for (const [name, elements] of map) {
        const s = slotOf(name);
        if (s?.interval && s.family === family && elements.size > 0) out.add(name);
      }
    }
    return [...out];
  }

  /** True when the kernel holds `text` in `slot` now (as far as this process wrote or read it). */
  holds(slot: SlotName, text: string): boolean {
    const h = this.have.get(slot)?.get(text);
    return h !== undefined && h > this.o.now();
  }

  /** A full reconcile soon (a reload, a prefix lifted by hand, the periodic one). */
  requestReconcile(): void {
    this.reconcileWanted = true;
    this.schedule();
  }

  stats(): KernelSyncStats {
    let elements = 0;
    for (const m of this.have.values()) elements += m.size;
    return { ...this.s, elements, pending: this.dirtyCount };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.s.state = 'closed';
    this.stopTimers();
    this.settleFirst(new FirewallError('GG_FIREWALL_CLOSED', 'the firewall was closed before its first reconcile'));
  }

  // ----------------------------------------------------------------------------------------------------------

  private mark(slot: SlotName, text: string): void {
    const d = of(this.dirty, slot, () => new Set<string>());
    if (!d.has(text)) {
      d.add(text);
      this.dirtyCount++;
    }
    this.schedule();
  }

  private schedule(): void {
    if (this.running || this.scheduled || this.closed || this.retryTimer !== undefined) return;
    this.scheduled = true;
    // setImmediate: every ban of this turn of the event loop goes in one run.
    setImmediate(() => {
      this.scheduled = false;
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.running || this.closed) return;
    this.running = true;
    try {
      while (!this.closed) {
        if (this.reconcileWanted) {
          this.reconcileWanted = false;
          await this.reconcile();
          continue;
        }
        if (this.dirtyCount === 0) break;
        await this.flushOnce();
      }
      if (!this.closed) this.succeeded();
    } catch (err) {
      this.failed(err);
    } finally {
      this.running = false;
    }
    // Changes that came in after the loop's last look (none can: it runs to empty), or during a failure's backoff.
    if (this.dirtyCount > 0 || this.reconcileWanted) this.schedule();
  }

  /** Structure (table, sets, chain, rules, trust), then the kernel read back, then every element diffed. */
  private async reconcile(): Promise<void> {
    const { table, priority, runner } = this.o;
    const trust = this.o.trust();
    const feeds = this.o.feeds();
    const want = this.o.desired();
    const slots = orderSlots([...this.o.baseSlots(), ...want.keys(), ...this.present]);
    try {
      await runner(['-f', '-'], structureScript(table, priority, trust, slots, feeds));
    } catch (err) {
      // A set of the same name with other flags or type (File exists) or the chain at another priority (Operation
      // not supported), as nft 1.0.6 answers here: an older version's table or a changed option. The table is made
      // again in one transaction, then filled below. Any other refusal is a failure like any other.
      const shape = /File exists|Operation not supported/.test((err as Error).message);
      if ((err as FirewallError).code !== 'GG_FIREWALL_REJECTED' || !shape) throw err;
      this.o.logger.warn(
        { event: 'firewall-rebuild', table, detail: (err as Error).message },
        `nftables table inet ${table} does not have the expected shape: made again`,
      );
      await runner(['-f', '-'], rebuildScript(table, priority, trust, slots, feeds));
    }
    this.s.runs++;
    this.present.clear();
    for (const s of slots) this.present.add(s.name);
    const listing = await runner(['-j', 'list', 'table', 'inet', table]);
    this.s.runs++;
    const kernel: KernelElements = parseListing(listing, this.o.now());
    this.want = want;
    this.have.clear();
    for (const [name, elements] of kernel) {
      // A set left by an earlier run (a length no longer banned) exists: its elements are diffed out below.
      this.present.add(name);
      this.have.set(name, new Map(elements));
    }
    for (const map of [this.have, this.want]) {
      for (const [name, elements] of map) {
        const dirty = of(this.dirty, name, () => new Set<string>());
        for (const text of elements.keys()) dirty.add(text);
      }
    }
    this.dirtyCount = 0;
    for (const d of this.dirty.values()) this.dirtyCount += d.size;
    this.s.reconciles++;
  }

  /** One nft run with up to maxBatch elements' changes; `have` follows once it succeeded. */
  private async flushOnce(): Promise<void> {
    const now = this.o.now();
    const t = `inet ${this.o.table}`;
    let budget = this.o.maxBatch;
    const creates: string[] = [];
    const deletes: string[] = [];
    const adds: string[] = [];
    const after: Array<() => void> = [];
    let added = 0;
    let deleted = 0;
    for (const [name, dirty] of this.dirty) {
      if (dirty.size === 0) continue;
      const slot = slotOf(name)!;
      const want = of(this.want, name);
      const have = of(this.have, name);
      const del: string[] = [];
      const add: string[] = [];
      for (const text of dirty) {
        if (budget <= 0) break;
        dirty.delete(text);
        this.dirtyCount--;
        const w = want.get(text);
        const h = have.get(text);
        const alive = h !== undefined && h > now;
        if (w === undefined || w <= now) {
          if (w !== undefined) want.delete(text);
          if (h === undefined) continue;
          if (h > now + EXPIRY_SLACK) {
            del.push(text);
            budget--;
          }
          after.push(() => have.delete(text));
          continue;
        }
        const end = Math.min(w, now + MAX_TIMEOUT);
        if (alive) {
          // Close enough, or a long ban whose element still has more than half of the longest timeout left.
          if (Math.abs(end - h) <= TOLERANCE || (end > h && h - now >= MAX_TIMEOUT / 2)) continue;
          if (h - now <= EXPIRY_SLACK) {
            // About to end in the kernel: add it once it has (a delete now could race its expiry).
            this.deferUntil(name, text, h + EXPIRY_SLACK);
            continue;
          }
          // Longer or shorter than what the kernel has: delete and add in the same transaction (portable: an
          // `add` of an existing element leaves its timeout alone before Linux 6.x).
          del.push(text);
          budget--;
        }
        add.push(`${text} timeout ${timeoutText(end - now)}`);
        budget--;
        after.push(() => have.set(text, end));
      }
      if (del.length > 0) {
        deletes.push(`delete element ${t} ${name} { ${del.join(', ')} }`);
        deleted += del.length;
      }
      if (add.length > 0) {
        if (!this.present.has(name)) {
          // A prefix length first seen (a network banned by hand at a new length): its set and rule first.
          creates.push(...addSlotLines(this.o.table, slot));
          after.push(() => this.present.add(name));
        }
        adds.push(`add element ${t} ${name} { ${add.join(', ')} }`);
        added += add.length;
      }
      if (budget <= 0) break;
    }
    if (creates.length + deletes.length + adds.length > 0) {
      await this.o.runner(['-f', '-'], `${[...creates, ...deletes, ...adds].join('\n')}\n`);
      this.s.runs++;
      this.s.added += added;
      this.s.deleted += deleted;
      this.s.lastSyncAt = this.o.now();
    }
    for (const f of after) f();
  }

  private deferUntil(slot: SlotName, text: string, at: number): void {
    // Marked again when the timer fires; kept out of `dirty` meanwhile so the pump loop ends.
    const fire = () => {
      this.deferTimer = undefined;
      this.deferAt = Number.POSITIVE_INFINITY;
      for (const [s, texts] of this.deferred) for (const x of texts) this.mark(s, x);
      this.deferred.clear();
    };
    let set = this.deferred.get(slot);
    if (set === undefined) {
      set = new Set();
      this.deferred.set(slot, set);
    }
    set.add(text);
    if (at < this.deferAt) {
      clearTimeout(this.deferTimer);
      this.deferAt = at;
      this.deferTimer = setTimeout(fire, Math.max(0, at - this.o.now()));
      this.deferTimer.unref();
    }
  }

  private succeeded(): void {
    this.retryDelay = this.o.retry.min;
    if (this.s.state === 'failing') {
      const suppressed = this.upLog.take(this.o.now());
      if (suppressed !== undefined)
        this.o.logger.info({ event: 'firewall-up', table: this.o.table, suppressed }, 'kernel bans in step again');
    }
    this.s.state = 'up';
    delete this.s.lastError;
    this.s.lastSyncAt = this.o.now();
    this.settleFirst();
  }

  private failed(err: unknown): void {
    this.s.syncErrors++;
    const code = (err as FirewallError)?.code ?? 'GG_FIREWALL_REJECTED';
    this.s.lastError = code;
    // Whatever the run left, the next attempt starts by reading the kernel back.
    this.reconcileWanted = true;
    if (this.onFirst !== undefined) {
      // At start: ready rejects with the typed error and nothing is retried (the owner decides: the daemon's
      // supervisor restarts the component, with its own backoff).
      this.s.state = 'failing';
      this.closed = true;
      this.stopTimers();
      this.settleFirst(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const down = this.s.state !== 'failing' ? this.downLog.take(this.o.now()) : undefined;
    if (this.s.state !== 'failing' && down !== undefined) {
      this.s.state = 'failing';
      this.o.logger.error(
        { event: 'firewall-down', code, err, table: this.o.table, suppressed: down },
        'kernel bans out of step: the kernel side fails open (the guard keeps judging every call); retrying',
      );
    } else {
      this.s.state = 'failing';
      const suppressed = this.failLog.take(this.o.now());
      if (suppressed !== undefined) {
        this.o.logger.error(
          { event: 'firewall-sync-failed', code, err, suppressed, retryIn: this.retryDelay },
          'kernel bans still out of step; retrying',
        );
      }
    }
    if (this.closed) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.o.retry.max, this.retryDelay * 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.pump();
    }, delay);
    this.retryTimer.unref();
  }

  private stopTimers(): void {
    clearTimeout(this.retryTimer);
    clearTimeout(this.deferTimer);
    clearInterval(this.sweepTimer);
  }

  private settleFirst(err?: Error): void {
    const f = this.onFirst;
    this.onFirst = undefined;
    f?.(err);
  }
}

const EMPTY: ReadonlyMap<string, number> = new Map();

function of<V extends Map<string, number> | Set<string>>(
  map: Map<SlotName, V>,
  slot: SlotName,
  make: () => V = () => new Map() as V,
): V {
  let v = map.get(slot);
  if (v === undefined) {
    v = make();
    map.set(slot, v);
  }
  return v;
}
