import { mkdirSync, readdirSync, renameSync, unlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { GhostguardError } from '../errors.js';
import type { BanRecordOrigin } from '../verdict.js';
import { BanFile } from './ban-file.js';
import type { BanSnapshot, OffenseRecord, StoredBan } from './ban-list.js';

export const STORE_FILE = 'ghostguard.db';
/** A ban's origin on file: its index here + 1 (a number per row, not a string: a restart reads a million). */
const ORIGIN_CODES: readonly BanRecordOrigin[] = ['automatic', 'operator', 'replica'];

/** The checkpointer thread (plain JS: run with eval, no loader needed). */
const CHECKPOINTER = `
const { workerData } = require('node:worker_threads');
const Database = require(workerData.modulePath);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 100');
setInterval(() => {
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {}
}, workerData.everyMs);
`;
const LEGACY_TMP = /^bans\.json\.\d+\.tmp$/;
/** What one background batch may pause the event loop for, about. */
const BATCH_TARGET_MS = 2;
/** Offence records read per turn of the event loop after start (they only matter for escalation). */
const OFFENSE_PAGE = 20_000;

export interface BanStoreOptions {
  /** Background writes happen at least this often (ms): what a crash can lose of automatic bans. */
  flushEvery: number;
  /** Rows per background transaction. */
  batchSize: number;
}

export interface BanStoreOpened {
  store: BanStore;
  snapshot: BanSnapshot;
  /** Bans and offences imported from a legacy bans.json on this start (0: none). */
  migrated: number;
  /** Orphaned bans.json.<pid>.tmp files removed. */
  cleaned: number;
  /** Rows of bans that ended while the process was down (deleted in the background). */
  stale: number;
}

/**
 * The embedded store: SQLite (better-sqlite3) in WAL mode, one file `ghostguard.db` in the data directory. Every
 * change to the ban list and the offence records is queued by key (the last change wins) and written in small
 * transactions in the background (`batchSize` rows, one per event-loop turn, at least every `flushEvery` ms),
 * so writing 100k bans never pauses the event loop for long, and a crash loses at most the last `flushEvery` of
 * automatic bans. An operator's ban or lift is written synchronously (writeNow) before it is acknowledged.
 * synchronous=FULL: a committed transaction survives a power cut, not only a killed process.
 *
 * Why SQLite: crash-safe by construction (WAL + checkpoints), incremental upserts by primary key, one file that
 * `sqlite3` can inspect, and what fail2ban keeps its bans in. better-sqlite3 is synchronous, which suits a
 * bounded batch per turn better than an async driver's queue; it is loaded only when a data directory is set.
 */
export class BanStore {
  private readonly pendingBans = new Pending<StoredBan>();
  private readonly pendingOffenses = new Pending<OffenseRecord>();
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private closed = false;
  private checkpointer: Worker | undefined;
  /** Keys queued while writeThrough() runs its change. */
  private capture: Set<string> | undefined;
  private readonly putBanStmt: BetterSqlite3.Statement;
  private readonly delBanStmt: BetterSqlite3.Statement;
  private readonly putOffenseStmt: BetterSqlite3.Statement;
  private readonly delOffenseStmt: BetterSqlite3.Statement;
  private readonly offensePage: BetterSqlite3.Statement;
  private readonly writeBatch: (
    bans: Array<[string, StoredBan | null]>,
    offs: Array<[string, OffenseRecord | null]>,
  ) => void;
  /** Rows written since open, and background transactions. */
  written = 0;
  transactions = 0;
  /** The longest background batch so far (ms): the pause this store itself causes. */
  longestBatchMs = 0;
  /** Why a legacy bans.json could not be imported on this start (it is left in place). */
  legacyError: Error | undefined;
  /** Set by the owner: called with the error when a background write fails (the rows stay queued). */
  onError: ((err: Error) => void) | undefined;

  private constructor(
    readonly path: string,
    private readonly db: BetterSqlite3.Database,
    private readonly options: BanStoreOptions,
  ) {
    this.putBanStmt = db.prepare(
      'INSERT INTO bans (ip, reason, since, until, offense, origin, exempt) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(ip) DO UPDATE SET reason = excluded.reason, since = excluded.since, until = excluded.until, offense = excluded.offense, origin = excluded.origin, exempt = excluded.exempt',
    );
    this.delBanStmt = db.prepare('DELETE FROM bans WHERE ip = ?');
    this.putOffenseStmt = db.prepare(
      'INSERT INTO offenses (ip, count, last) VALUES (?, ?, ?) ON CONFLICT(ip) DO UPDATE SET count = excluded.count, last = excluded.last',
    );
    this.delOffenseStmt = db.prepare('DELETE FROM offenses WHERE ip = ?');
    this.offensePage = db.prepare('SELECT ip, count, last FROM offenses WHERE ip > ? ORDER BY ip LIMIT ?').raw(true);
    this.writeBatch = db.transaction((bans, offs) => {
      for (const [ip, b] of bans) {
        if (b === null) this.delBanStmt.run(ip);
        else
          this.putBanStmt.run(
            ip,
            b.reason,
            b.since,
            b.until,
            b.offense,
            b.origin === undefined ? null : ORIGIN_CODES.indexOf(b.origin) + 1,
            b.exempt?.length ? JSON.stringify(b.exempt) : null,
          );
      }
      for (const [ip, o] of offs) {
        if (o === null) this.delOffenseStmt.run(ip);
        else this.putOffenseStmt.run(ip, o.count, o.last);
      }
    });
  }

  /**
   * Opens (or creates) the store in `dir`, migrates a legacy bans.json once, removes orphaned temp files and
   * reads what is on file. Throws GG_STATE_IO when the file cannot be opened or read.
   */
  static open(dir: string, options: BanStoreOptions, now: number): BanStoreOpened {
    const path = join(dir, STORE_FILE);
    let db: BetterSqlite3.Database;
    try {
      mkdirSync(dir, { recursive: true });
      const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
      db = new Database(path);
      db.pragma('journal_mode = WAL');
      // Background batches: NORMAL (a commit survives the process being killed, it is in the WAL the OS holds;
      // no fsync per batch, which paused the event loop for tens of ms). Operator writes switch to FULL.
      db.pragma('synchronous = NORMAL');
      // Checkpoints (WAL → database, with an fsync) run in a worker thread, never inside a batch on this one.
      db.pragma('wal_autocheckpoint = 0');
      db.exec(`
        CREATE TABLE IF NOT EXISTS bans (ip TEXT PRIMARY KEY, reason TEXT NOT NULL, since REAL NOT NULL, until REAL NOT NULL, offense INTEGER NOT NULL, origin INTEGER, exempt TEXT) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS offenses (ip TEXT PRIMARY KEY, count INTEGER NOT NULL, last REAL NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      `);
      // Stores written before origins and lifts inside prefixes were kept: the columns are added once (NULL).
      const columns = db.prepare('PRAGMA table_info(bans)').all() as Array<{ name: string }>;
      if (!columns.some((c) => c.name === 'origin')) db.exec('ALTER TABLE bans ADD COLUMN origin INTEGER');
      if (!columns.some((c) => c.name === 'exempt')) db.exec('ALTER TABLE bans ADD COLUMN exempt TEXT');
    } catch (err) {
      throw new GhostguardError('GG_STATE_IO', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
    }
    const store = new BanStore(path, db, options);
    try {
      const cleaned = cleanTempFiles(dir);
      const migrated = store.migrate(dir);
      const { snapshot, stale } = store.read(now);
      return { store, snapshot, migrated, cleaned, stale };
    } catch (err) {
      db.close();
      throw err instanceof GhostguardError
        ? err
        : new GhostguardError('GG_STATE_IO', `cannot read ${path}: ${(err as Error).message}`, { cause: err });
    }
  }

  /** Rows waiting for the background writer. */
  get pending(): number {
    return this.pendingBans.size + this.pendingOffenses.size;
  }

  /** Queues the ban (or its removal: `undefined`) of `ip`. */
  ban(ip: string, ban: StoredBan | undefined): void {
    if (this.closed) return;
    this.pendingBans.set(ip, ban);
    this.capture?.add(ip);
    this.schedule();
  }

  offense(ip: string, record: OffenseRecord | undefined): void {
    if (this.closed) return;
    this.pendingOffenses.set(ip, record === undefined ? undefined : { count: record.count, last: record.last });
    this.capture?.add(ip);
    this.schedule();
  }

  /**
   * Runs `change` and writes every row it queued in one committed transaction before returning (an operator's
   * ban or lift, before its 201): the ban itself and whatever it moved (a prefix it folded into, a ban it
   * evicted). Throws GG_STATE_IO when that write fails; the rows stay queued for the background writer.
   */
  writeThrough<T>(change: () => T): T {
    if (this.closed) return change();
    const keys = new Set<string>();
    this.capture = keys;
    let result: T;
    try {
      result = change();
    } finally {
      this.capture = undefined;
    }
    const bans: Array<[string, StoredBan | null]> = [];
    const offs: Array<[string, OffenseRecord | null]> = [];
    for (const k of keys) {
      const b = this.pendingBans.get(k);
      if (b !== undefined) bans.push([k, b]);
      const o = this.pendingOffenses.get(k);
      if (o !== undefined) offs.push([k, o]);
    }
    if (bans.length + offs.length === 0) return result;
    try {
      this.db.pragma('synchronous = FULL');
      try {
        this.commit(bans, offs);
      } finally {
        this.db.pragma('synchronous = NORMAL');
      }
    } catch (err) {
      throw new GhostguardError('GG_STATE_IO', `cannot write ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    for (const [k, v] of bans) this.pendingBans.settle(k, v);
    for (const [k, v] of offs) this.pendingOffenses.settle(k, v);
    return result;
  }

  /** Writes everything queued (close, tests). */
  flushAll(): void {
    while (this.pending > 0) this.flushBatch();
  }

  close(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    void this.checkpointer?.terminate();
    this.checkpointer = undefined;
    try {
      this.flushAll();
      // A last checkpoint here: the next start reads a short WAL.
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      this.closed = true;
      this.db.close();
    }
  }

  /**
   * Starts the checkpointer: a worker thread with its own connection that moves the WAL into the database file
   * every `everyMs` (PASSIVE: it never waits for, nor blocks, this thread's writes). Should it fail, the WAL only
   * grows until close() checkpoints it.
   */
  startCheckpointer(everyMs = 1000): void {
    if (this.checkpointer !== undefined || this.closed) return;
    const modulePath = createRequire(import.meta.url).resolve('better-sqlite3');
    const w = new Worker(CHECKPOINTER, { eval: true, workerData: { modulePath, path: this.path, everyMs } });
    w.unref();
    w.on('error', (err) => this.onError?.(err));
    this.checkpointer = w;
  }

  private schedule(): void {
    if (this.timer !== undefined || this.immediate !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.backgroundFlush();
    }, this.options.flushEvery);
    this.timer.unref();
  }

  /** One batch now, the next on the next turn of the event loop (other work runs between them). */
  private backgroundFlush(): void {
    this.immediate = undefined;
    if (this.closed) return;
    try {
      this.flushBatch();
    } catch (err) {
      this.onError?.(err as Error);
      // Keep what is queued; try again after the usual delay.
      this.schedule();
      return;
    }
    if (this.pending > 0) {
      this.immediate = setImmediate(() => this.backgroundFlush());
      this.immediate.unref?.();
    }
  }

  /**
   * Rows per batch, adapted so a batch takes about BATCH_TARGET_MS (never more than options.batchSize): the
   * pause a batch causes is what matters, and rows per ms vary with the disk and the load.
   */
  private batchRows = 64;

  private flushBatch(): void {
    const max = Math.min(this.options.batchSize, this.batchRows);
    const bans = this.pendingBans.take(max);
    const offs = this.pendingOffenses.take(Math.max(0, max - bans.length));
    if (bans.length === 0 && offs.length === 0) return;
    const t0 = performance.now();
    try {
      this.commit(bans, offs);
      const ms = performance.now() - t0;
      if (ms > this.longestBatchMs) this.longestBatchMs = ms;
      const n = bans.length + offs.length;
      if (n >= this.batchRows) {
        const perMs = n / Math.max(ms, 0.05);
        // At most doubling from one batch to the next: one fast batch must not make the next one long.
        const next = Math.min(this.batchRows * 2, Math.floor(perMs * BATCH_TARGET_MS));
        this.batchRows = Math.max(16, Math.min(this.options.batchSize, next));
      }
    } catch (err) {
      // Put them back unless something newer was queued meanwhile (nothing runs in between: synchronous).
      this.pendingBans.restore(bans);
      this.pendingOffenses.restore(offs);
      throw new GhostguardError('GG_STATE_IO', `cannot write ${this.path}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    this.transactions++;
  }

  private commit(bans: Array<[string, StoredBan | null]>, offs: Array<[string, OffenseRecord | null]>): void {
    this.writeBatch(bans, offs);
    this.written += bans.length + offs.length;
  }

  /** Imports a legacy bans.json once (then renamed bans.json.migrated). Returns the rows imported. */
  private migrate(dir: string): number {
    const legacy = new BanFile(dir);
    const done = this.db.prepare("SELECT value FROM meta WHERE key = 'migrated-bans-json'").get();
    if (done !== undefined) return 0;
    let snapshot: BanSnapshot;
    try {
      snapshot = legacy.load();
    } catch (err) {
      // A corrupt legacy file stays where it is for the operator (and is tried again next start); the store opens.
      this.legacyError = err as Error;
      return 0;
    }
    const rows = snapshot.bans.length + snapshot.offenses.length;
    this.commit(
      snapshot.bans.map((b) => [b.ip, b]),
      snapshot.offenses.map((o) => [o.ip, { count: o.count, last: o.last }]),
    );
    this.db.prepare("INSERT INTO meta (key, value) VALUES ('migrated-bans-json', ?)").run(new Date().toISOString());
    if (rows > 0) {
      try {
        renameSync(legacy.path, `${legacy.path}.migrated`);
      } catch {
        // Already imported (the meta row says so): a leftover file is never read again.
      }
    }
    return rows;
  }

  /**
   * Offence records on file, a page at a time in key order (after `afterIp`), for loading them after the bans
   * without a pause: they only matter when a source offends again. Records past `offenseMemory` are queued for
   * deletion and left out. Returns the page and the key to continue after (undefined: done).
   */
  readOffenses(
    afterIp: string,
    now: number,
    offenseMemory: number,
  ): { page: BanSnapshot['offenses']; next: string | undefined } {
    const rows = this.offensePage.all(afterIp, OFFENSE_PAGE) as Array<[string, number, number]>;
    const page: BanSnapshot['offenses'] = [];
    for (const row of rows) {
      if (now - row[2] <= offenseMemory) page.push({ ip: row[0], count: row[1], last: row[2] });
      else this.pendingOffenses.set(row[0], undefined);
    }
    if (page.length < rows.length) this.schedule();
    return { page, next: rows.length < OFFENSE_PAGE ? undefined : rows[rows.length - 1]![0] };
  }

  /** The bans on file; rows that ended while the process was down are queued for deletion. */
  private read(now: number): { snapshot: BanSnapshot; stale: number } {
    const bans: StoredBan[] = [];
    const offenses: BanSnapshot['offenses'] = [];
    let stale = 0;
    const banRows = this.db.prepare('SELECT ip, reason, since, until, offense, origin, exempt FROM bans').raw(true);
    type Row = [string, string, number, number, number, number | null, string | null];
    for (const row of banRows.iterate() as IterableIterator<Row>) {
      if (row[3] > now) {
        // one object per row, no spreads: a restart reads a million of them
        const ban: StoredBan = { ip: row[0], reason: row[1], since: row[2], until: row[3], offense: row[4] };
        const origin = row[5] === null ? undefined : ORIGIN_CODES[row[5] - 1];
        if (origin !== undefined) ban.origin = origin;
        if (row[6] !== null) {
          const exempt = exemptOf(row[6]);
          if (exempt !== undefined) (ban as { exempt?: readonly string[] }).exempt = exempt;
        }
        bans.push(ban);
      } else {
        this.pendingBans.set(row[0], undefined);
        stale++;
      }
    }
    if (stale > 0) this.schedule();
    return { snapshot: { bans, offenses }, stale };
  }
}

/**
 * Changes waiting for the writer, the last one per key. Writes go out before removals: a removal reaches the
 * file only once every write queued before it has (so a crash between two batches can leave an address banned
 * twice over, by itself and by the prefix it was folded into, but never leaves a folded address unbanned).
 */
class Pending<V> {
  private readonly puts = new Map<string, V>();
  private readonly dels = new Set<string>();

  get size(): number {
    return this.puts.size + this.dels.size;
  }

  set(key: string, value: V | undefined): void {
    if (value === undefined) {
      this.puts.delete(key);
      this.dels.add(key);
    } else {
      this.dels.delete(key);
      this.puts.set(key, value);
    }
  }

  /** The queued change of `key`: a value, null for a removal, undefined for none. */
  get(key: string): V | null | undefined {
    if (this.dels.has(key)) return null;
    return this.puts.get(key);
  }

  /** Forgets the change of `key` once written, unless a newer one was queued. */
  settle(key: string, written: V | null): void {
    if (written === null) this.dels.delete(key);
    else if (this.puts.get(key) === written) this.puts.delete(key);
  }

  /** Up to `max` changes, writes first; removals only once no write is waiting. */
  take(max: number): Array<[string, V | null]> {
    const out: Array<[string, V | null]> = [];
    if (max <= 0) return out;
    for (const [k, v] of this.puts) {
      out.push([k, v]);
      if (out.length >= max) break;
    }
    if (out.length === this.puts.size) this.puts.clear();
    else for (const [k] of out) this.puts.delete(k);
    if (out.length > 0) return out;
    for (const k of this.dels) {
      out.push([k, null]);
      if (out.length >= max) break;
    }
    if (out.length === this.dels.size) this.dels.clear();
    else for (const [k] of out) this.dels.delete(k);
    return out;
  }

  /** Puts back changes whose write failed, unless newer ones were queued meanwhile. */
  restore(changes: Array<[string, V | null]>): void {
    for (const [k, v] of changes) {
      if (this.puts.has(k) || this.dels.has(k)) continue;
      this.set(k, v === null ? undefined : v);
    }
  }
}

/** bans.json.<pid>.tmp files a crashed writer of the legacy file left behind. */
function cleanTempFiles(dir: string): number {
  let n = 0;
  for (const name of readdirSync(dir)) {
    if (!LEGACY_TMP.test(name)) continue;
    try {
      unlinkSync(join(dir, name));
      n++;
    } catch {
      // Gone already or not ours to remove: left alone.
    }
  }
  return n;
}

/** The addresses lifted inside a prefix ban, from its row (a JSON array of strings; anything else: none). */
function exemptOf(text: string): string[] | undefined {
  try {
    const list: unknown = JSON.parse(text);
    if (!Array.isArray(list)) return undefined;
    const exempt = list.filter((x): x is string => typeof x === 'string' && x.length <= 64).slice(0, 1024);
    return exempt.length > 0 ? exempt : undefined;
  } catch {
    return undefined;
  }
}
