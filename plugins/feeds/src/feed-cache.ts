import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { z } from 'zod';

/** What a restart needs to go on pulling incrementally: the last ID and the set pulled so far. */
export interface ApibanCache {
  lastId: string;
  ips: string[];
  /** ms since the epoch of the last successful pull, and of the last full pull. */
  updatedAt: number;
  fullAt: number;
}

const CacheSchema = z.object({
  version: z.literal(1),
  lastId: z.string().max(40),
  ips: z.array(z.string().max(64)).max(2_000_000),
  updatedAt: z.number(),
  fullAt: z.number(),
});

/** Reads the cache; undefined when there is none or it is unreadable (the caller logs and pulls in full). */
export function readApibanCache(path: string): { cache?: ApibanCache; problem?: string } {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    return { problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  try {
    const parsed = CacheSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return { problem: `${path} has an unexpected shape` };
    const { version: _v, ...cache } = parsed.data;
    return { cache };
  } catch {
    return { problem: `${path} is not valid JSON` };
  }
}

/** Atomic write: temp file, fsync, rename over the old one. */
export function writeApibanCache(path: string, cache: ApibanCache): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeSync(fd, JSON.stringify({ version: 1, ...cache }));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
}
