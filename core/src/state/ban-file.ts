import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { GhostguardError } from '../errors.js';
import type { BanSnapshot } from './ban-list.js';

const FILE_NAME = 'bans.json';

const SnapshotSchema = z.object({
  version: z.literal(1),
  bans: z.array(
    z.object({
      ip: z.string().max(64),
      reason: z.string().max(2048),
      since: z.number(),
      until: z.number(),
      offense: z.number().int().min(1),
    }),
  ),
  offenses: z.array(z.object({ ip: z.string().max(64), count: z.number().int().min(1), last: z.number() })),
});

/**
 * The embedded default store: bans persisted as one JSON file in a data directory. Writes are atomic
 * (temp file, fsync, rename over the old file), so a crash mid-write leaves the previous file intact.
 */
export class BanFile {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, FILE_NAME);
  }

  /** Reads the snapshot; a missing file is an empty state, a corrupt one a GG_STATE_IO error. */
  load(): BanSnapshot {
    let raw: string;
    try {
      raw = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { bans: [], offenses: [] };
      throw new GhostguardError('GG_STATE_IO', `cannot read ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    let data: unknown;
    try {
      data = JSON.parse(raw);
    } catch (err) {
      throw new GhostguardError('GG_STATE_IO', `${this.path} is not valid JSON`, { cause: err });
    }
    const parsed = SnapshotSchema.safeParse(data);
    if (!parsed.success) {
      throw new GhostguardError(
        'GG_STATE_IO',
        `${this.path} has an unexpected shape: ${parsed.error.issues[0]?.message}`,
      );
    }
    return { bans: parsed.data.bans, offenses: parsed.data.offenses };
  }

  save(snapshot: BanSnapshot): void {
    try {
      mkdirSync(this.dir, { recursive: true });
      const tmp = `${this.path}.${process.pid}.tmp`;
      const fd = openSync(tmp, 'w', 0o600);
      try {
        writeSync(fd, JSON.stringify({ version: 1, ...snapshot }));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, this.path);
    } catch (err) {
      throw new GhostguardError('GG_STATE_IO', `cannot write ${this.path}: ${(err as Error).message}`, { cause: err });
    }
  }
}
