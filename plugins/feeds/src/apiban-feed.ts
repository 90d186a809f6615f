import { join } from 'node:path';
import { type Guard, isCodedError, type Logger, MAX_FEED_ENTRIES } from '@ghostguard/core';
import { APIBAN_FIRST_ID, interpretApiban } from './apiban-protocol.js';
import { FeedsError } from './errors.js';
import { type ApibanCache, readApibanCache, writeApibanCache } from './feed-cache.js';
import { boundedGet } from './http-get.js';
import type { ApibanOptions } from './options.js';

export const APIBAN_FEED = 'apiban';
/** Longest wait after repeated failures or rate limiting: the interval times this. */
const MAX_BACKOFF_FACTOR = 8;

export interface ApibanHealth {
  entries: number;
  lastId: string;
  /** ms since the epoch; undefined before the first success. */
  lastSuccess?: number;
  lastError?: string;
  nextPullAt?: number;
  /** True once the key was refused: no more pulls until the configuration changes. */
  unauthorized: boolean;
}

/**
 * Pulls APIBAN's list of SIP scanner addresses incrementally (by the last ID it returned), keeps the set in
 * the guard's `apiban` feed, and caches it on disk so a restart does not start from nothing. Failures
 * keep the last good set (fail-open for new entries, the known ones stay refused) and back off.
 */
export class ApibanFeed {
  private readonly ips = new Set<string>();
  private lastId = APIBAN_FIRST_ID;
  private fullAt = 0;
  private lastSuccess: number | undefined;
  private lastError: string | undefined;
  private failures = 0;
  private unauthorized = false;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;
  private nextPullAt: number | undefined;
  readonly cachePath: string | undefined;

  constructor(
    private readonly guard: Guard,
    private readonly options: ApibanOptions,
    private readonly logger: Logger,
    dataDir: string | null,
    private readonly now: () => number = Date.now,
  ) {
    this.cachePath = options.cacheFile ?? (dataDir === null ? undefined : join(dataDir, 'apiban.json'));
  }

  private get apiKey(): string | undefined {
    return this.options.apiKey ?? process.env[this.options.apiKeyEnv];
  }

  /** Loads the cache into the guard, then pulls now (or when the cached pull is due). */
  start(): void {
    if (this.cachePath) {
      const { cache, problem } = readApibanCache(this.cachePath);
      if (problem) this.logger.warn({ event: 'apiban-cache-unreadable', problem }, 'APIBAN cache ignored: full pull');
      if (cache) this.adopt(cache);
    }
    if (this.apiKey === undefined) {
      this.logger.error(
        { event: 'apiban-no-key', env: this.options.apiKeyEnv },
        `APIBAN: no API key (feeds.apiban.apiKey or $${this.options.apiKeyEnv}); feed not pulled (fail-open: only cached entries apply)`,
      );
      return;
    }
    const due = this.lastSuccess === undefined ? 0 : this.lastSuccess + this.options.interval - this.now();
    this.schedule(Math.max(0, due));
  }

  /** One pull now (incremental, or full when due); resolves when done. Never rejects. */
  pull(): Promise<void> {
    this.running ??= this.pullOnce().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  health(): ApibanHealth {
    const h: ApibanHealth = { entries: this.ips.size, lastId: this.lastId, unauthorized: this.unauthorized };
    if (this.lastSuccess !== undefined) h.lastSuccess = this.lastSuccess;
    if (this.lastError !== undefined) h.lastError = this.lastError;
    if (this.nextPullAt !== undefined) h.nextPullAt = this.nextPullAt;
    return h;
  }

  private adopt(cache: ApibanCache): void {
    for (const ip of cache.ips) this.ips.add(ip);
    this.lastId = cache.lastId;
    this.lastSuccess = cache.updatedAt;
    this.fullAt = cache.fullAt;
    const update = this.guard.feeds.set(APIBAN_FEED, this.ips);
    this.logger.info(
      { event: 'apiban-cache-loaded', entries: update.accepted, lastId: this.lastId },
      'APIBAN cache loaded',
    );
  }

  private schedule(delay: number): void {
    if (this.stopped || this.unauthorized) return;
    this.nextPullAt = this.now() + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.pull().then(() => {
        const factor = Math.min(MAX_BACKOFF_FACTOR, 2 ** this.failures);
        this.schedule(this.options.interval * factor);
      });
    }, delay);
    this.timer.unref();
  }

  private async pullOnce(): Promise<void> {
    const key = this.apiKey;
    if (key === undefined || this.unauthorized) return;
    const full = this.now() - this.fullAt >= this.options.fullRefreshEvery;
    const set = full ? new Set<string>() : this.ips;
    let id = full ? APIBAN_FIRST_ID : this.lastId;
    let added = 0;
    try {
      for (let page = 0; page < this.options.maxPages; page++) {
        const url = `${this.options.baseUrl.replace(/\/+$/, '')}/${encodeURIComponent(key)}/banned/${encodeURIComponent(id)}`;
        const res = await boundedGet(url, this.options.timeout, this.options.maxResponseBytes);
        const answer = interpretApiban(res.status, res.body);
        if (answer.kind === 'done') break;
        if (answer.kind === 'page') {
          for (const ip of answer.ips) {
            // The guard keeps at most MAX_FEED_ENTRIES of a feed; so does this copy (APIBAN's IDs only ever add).
            if (!set.has(ip) && set.size < MAX_FEED_ENTRIES) {
              set.add(ip);
              added++;
            }
          }
          id = answer.nextId;
          continue;
        }
        if (answer.kind === 'unauthorized') {
          this.unauthorized = true;
          throw new FeedsError(
            'GG_FEED_APIBAN_UNAUTHORIZED',
            'APIBAN refused the API key (unauthorized); pulls stopped until the configuration changes',
          );
        }
        if (answer.kind === 'rate-limited') {
          throw new FeedsError('GG_FEED_APIBAN_RATE_LIMITED', 'APIBAN rate limit exceeded; backing off');
        }
        throw new FeedsError('GG_FEED_APIBAN_ANSWER', `APIBAN answered ${answer.detail}`);
      }
    } catch (err) {
      this.failures++;
      this.lastError = (err as Error).message;
      this.logger.warn(
        {
          event: 'apiban-pull-failed',
          code: isCodedError(err) ? err.code : undefined,
          error: this.lastError,
          failures: this.failures,
          entries: this.ips.size,
        },
        'APIBAN pull failed: keeping the last good list (fail-open for addresses not on it)',
      );
      // Pages pulled before the failure still count in an incremental pull (their IDs are consumed).
      if (!full && added > 0) this.commit(set, id, false);
      return;
    }
    this.failures = 0;
    this.lastError = undefined;
    this.commit(set, id, full);
  }

  private commit(set: Set<string>, id: string, full: boolean): void {
    const now = this.now();
    if (set !== this.ips) {
      this.ips.clear();
      for (const ip of set) this.ips.add(ip);
    }
    this.lastId = id;
    this.lastSuccess = now;
    if (full) this.fullAt = now;
    this.guard.feeds.set(APIBAN_FEED, this.ips);
    if (this.cachePath) {
      try {
        writeApibanCache(this.cachePath, {
          lastId: this.lastId,
          ips: [...this.ips],
          updatedAt: now,
          fullAt: this.fullAt,
        });
      } catch (err) {
        this.logger.warn(
          { event: 'apiban-cache-write-failed', error: (err as Error).message },
          'APIBAN cache not written',
        );
      }
    }
    this.logger.info({ event: 'apiban-pulled', entries: this.ips.size, lastId: id, full }, 'APIBAN list updated');
  }
}
