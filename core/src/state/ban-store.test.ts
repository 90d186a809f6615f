import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { createGuard, type Guard } from '../guard.js';
import { BanStore } from './ban-store.js';

const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3;
const OPTIONS = { flushEvery: 60_000, batchSize: 3 };
const DAY = 86_400_000;
let guards: Guard[] = [];
afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
});

const dir = () => mkdtempSync(join(tmpdir(), 'gg-store-'));
/** What another process would read from the file now (a second connection, nothing flushed for it). */
function rowsOnDisk(d: string, table = 'bans'): string[] {
  const db = new Database(join(d, 'ghostguard.db'), { readonly: true });
  try {
    return (db.prepare(`SELECT ip FROM ${table} ORDER BY ip`).all() as Array<{ ip: string }>).map((r) => r.ip);
  } finally {
    db.close();
  }
}

describe('BanStore', () => {
  it('writes queued changes in batches of batchSize, writes before removals, and reads them back', () => {
    const d = dir();
    const now = Date.now();
    const { store } = BanStore.open(d, OPTIONS, now);
    for (let i = 1; i <= 5; i++)
      store.ban(`192.0.2.${i}`, { ip: `192.0.2.${i}`, reason: 'r', since: now, until: now + DAY, offense: 1 });
    store.offense('192.0.2.1', { count: 1, last: now });
    expect(rowsOnDisk(d)).toEqual([]);
    expect(store.pending).toBe(6);
    store.ban('192.0.2.1', undefined);
    store.ban('192.0.2.9', { ip: '192.0.2.9', reason: 'r', since: now, until: now + DAY, offense: 1 });
    (store as unknown as { flushBatch(): void }).flushBatch();
    // the first batch holds writes only: the removal waits for every write queued before it
    expect(rowsOnDisk(d)).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4']);
    store.flushAll();
    expect(rowsOnDisk(d)).toEqual(['192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.9']);
    store.close();
    const again = BanStore.open(d, OPTIONS, now + 1);
    expect(again.snapshot.bans.map((b) => b.ip).sort()).toHaveLength(5);
    expect(again.store.readOffenses('', now + 1, 30 * DAY)).toEqual({
      page: [{ ip: '192.0.2.1', count: 1, last: now }],
      next: undefined,
    });
    again.store.close();
  });

  it("keeps each ban's origin, and opens a store written before origins were kept (origin absent)", () => {
    const d = dir();
    const now = Date.now();
    // a store as the previous release wrote it: no origin column
    const old = new Database(join(d, 'ghostguard.db'));
    old.exec(
      'CREATE TABLE bans (ip TEXT PRIMARY KEY, reason TEXT NOT NULL, since REAL NOT NULL, until REAL NOT NULL, offense INTEGER NOT NULL) WITHOUT ROWID',
    );
    old.prepare('INSERT INTO bans VALUES (?, ?, ?, ?, ?)').run('192.0.2.1', 'old', now, now + DAY, 1);
    old.close();
    const { store, snapshot } = BanStore.open(d, OPTIONS, now);
    expect(snapshot.bans).toEqual([{ ip: '192.0.2.1', reason: 'old', since: now, until: now + DAY, offense: 1 }]);
    const ban = { reason: 'r', since: now, until: now + DAY, offense: 1 };
    store.ban('192.0.2.2', { ip: '192.0.2.2', ...ban, origin: 'operator' });
    store.ban('198.51.100.0/22', { ip: '198.51.100.0/22', ...ban, origin: 'operator' });
    store.ban('192.0.2.3', { ip: '192.0.2.3', ...ban, origin: 'replica' });
    store.flushAll();
    store.close();
    const again = BanStore.open(d, OPTIONS, now + 1);
    const origins = Object.fromEntries(again.snapshot.bans.map((b) => [b.ip, b.origin]));
    expect(origins).toEqual({
      '192.0.2.1': undefined,
      '192.0.2.2': 'operator',
      '192.0.2.3': 'replica',
      '198.51.100.0/22': 'operator',
    });
    again.store.close();
  });

  it('migrates a legacy bans.json once, renames it, and removes orphaned temp files', () => {
    const d = dir();
    const now = Date.now();
    writeFileSync(
      join(d, 'bans.json'),
      JSON.stringify({
        version: 1,
        bans: [
          { ip: '203.0.113.5', reason: 'legacy', since: now, until: now + DAY, offense: 2 },
          { ip: '203.0.113.6', reason: 'over', since: 1, until: 2, offense: 1 },
        ],
        offenses: [{ ip: '203.0.113.5', count: 2, last: now }],
      }),
    );
    writeFileSync(join(d, 'bans.json.4242.tmp'), '{');
    writeFileSync(join(d, 'bans.json.notes'), 'kept');
    const opened = BanStore.open(d, OPTIONS, now);
    expect(opened.migrated).toBe(3);
    expect(opened.cleaned).toBe(1);
    expect(opened.snapshot.bans.map((b) => b.ip)).toEqual(['203.0.113.5']);
    expect(opened.stale).toBe(1);
    opened.store.close();
    expect(readdirSync(d).sort()).toEqual(
      expect.arrayContaining(['bans.json.migrated', 'bans.json.notes', 'ghostguard.db']),
    );
    expect(existsSync(join(d, 'bans.json'))).toBe(false);
    expect(existsSync(join(d, 'bans.json.4242.tmp'))).toBe(false);
    // a bans.json that appears later is not imported again
    writeFileSync(join(d, 'bans.json'), JSON.stringify({ version: 1, bans: [], offenses: [] }));
    const second = BanStore.open(d, OPTIONS, now);
    expect(second.migrated).toBe(0);
    expect(second.stale).toBe(0);
    second.store.close();
  });

  it('leaves a corrupt legacy bans.json in place and opens all the same', () => {
    const d = dir();
    writeFileSync(join(d, 'bans.json'), '{ not json');
    const opened = BanStore.open(d, OPTIONS, Date.now());
    expect(opened.store.legacyError?.message).toContain('not valid JSON');
    expect(existsSync(join(d, 'bans.json'))).toBe(true);
    opened.store.close();
  });
});

describe('guard with the embedded store', () => {
  it('has an operator ban on disk before bans.add returns; automatic bans follow within flushEvery', async () => {
    const d = dir();
    const g = createGuard({ log: { level: 'silent' }, dataDir: d, store: { flushEvery: 20 } });
    guards.push(g);
    g.bans.add('198.51.100.7', { reason: 'by hand' });
    expect(rowsOnDisk(d)).toEqual(['198.51.100.7']);
    expect(rowsOnDisk(d, 'offenses')).toEqual(['198.51.100.7']);
    g.report({ kind: 'hijack-attempt', source: { ip: '198.51.100.8' } });
    expect(rowsOnDisk(d)).toEqual(['198.51.100.7']);
    const until = Date.now() + 5000;
    while (rowsOnDisk(d).length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    expect(rowsOnDisk(d)).toEqual(['198.51.100.7', '198.51.100.8']);
    // an operator's lift is on disk before remove returns
    expect(g.bans.remove('198.51.100.7')).toBe(true);
    expect(rowsOnDisk(d)).toEqual(['198.51.100.8']);
  });

  it('persists a prefix fold and restores the prefix ban', () => {
    const d = dir();
    const cfg = { log: { level: 'silent' as const }, dataDir: d, bans: { aggregate: { after: 4 } } };
    const g = createGuard(cfg);
    for (let h = 1; h <= 4; h++) g.report({ kind: 'hijack-attempt', source: { ip: `198.51.100.${h}` } });
    g.close();
    expect(rowsOnDisk(d)).toEqual(['198.51.100.0/24']);
    const g2 = createGuard(cfg);
    guards.push(g2);
    expect(g2.bans.get('198.51.100.99')?.ip).toBe('198.51.100.0/24');
  });
});
