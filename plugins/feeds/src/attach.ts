import { type Guard, type Logger, parseSection } from '@ghostguard/core';
import { ApibanFeed, type ApibanHealth } from './apiban-feed.js';
import { BlocklistFileFeed, type BlocklistHealth } from './blocklist-file.js';
import { type FeedsSection, FeedsSectionSchema } from './options.js';

export interface FeedsHealth {
  apiban?: ApibanHealth;
  files: BlocklistHealth[];
}

export interface AttachedFeeds {
  health(): FeedsHealth;
  /** Pulls APIBAN and re-reads every file now. */
  refresh(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts the feeds the `feeds:` section configures, feeding `guard.feeds`. `section` is the raw
 * section (validated here, errors name `feeds.<key>`) or already parsed options.
 */
export function attachFeeds(guard: Guard, section: unknown, options: { logger?: Logger } = {}): AttachedFeeds {
  const parsed: FeedsSection = parseSection(FeedsSectionSchema, section, ['feeds']);
  const logger = (options.logger ?? guard.logger).child({ component: 'feeds' });
  const apiban = parsed.apiban ? new ApibanFeed(guard, parsed.apiban, logger, guard.config.dataDir) : undefined;
  const files = parsed.files.map((f) => new BlocklistFileFeed(guard, f, logger));
  apiban?.start();
  for (const f of files) f.start();
  return {
    health: () => ({ ...(apiban ? { apiban: apiban.health() } : {}), files: files.map((f) => f.health()) }),
    refresh: async () => {
      for (const f of files) f.load();
      await apiban?.pull();
    },
    close: async () => {
      for (const f of files) f.stop();
      await apiban?.stop();
    },
  };
}
