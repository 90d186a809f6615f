import { parseSection } from '@ghostguard/core';
import { attachFeeds, FeedsSectionSchema } from '@ghostguard/feeds';
import { attachRedisBans, RedisBansOptionsSchema } from '@ghostguard/redis';
import type { Component } from './component.js';

/**
 * Bans shared between nodes over Redis (`shared`). While Redis is away the node decides on its own bans:
 * calls are still judged (fail-open for bans made elsewhere only).
 */
export const sharedBansComponent: Component = {
  name: 'shared',
  whenDown: 'fail-open',
  section: (config) => config.shared,
  validate(config, origin) {
    parseSection(RedisBansOptionsSchema, config.shared, ['shared'], origin);
  },
  async start(guard, config) {
    const shared = attachRedisBans(guard, parseSection(RedisBansOptionsSchema, config.shared, ['shared']));
    return {
      close: () => shared.close(),
      health: () => ({ ...shared.stats() }),
      healthy: () => shared.stats().state === 'up',
    };
  },
};

/** Reputation feeds (`feeds`): APIBAN and blocklist files. A failing feed keeps its last good list. */
export const feedsComponent: Component = {
  name: 'feeds',
  whenDown: 'fail-open',
  section: (config) => config.feeds,
  validate(config, origin) {
    parseSection(FeedsSectionSchema, config.feeds, ['feeds'], origin);
  },
  async start(guard, config, logger) {
    const feeds = attachFeeds(guard, config.feeds, { logger });
    return {
      close: () => feeds.close(),
      health: () => ({ ...feeds.health() }),
      healthy: () => {
        const h = feeds.health();
        return h.apiban?.lastError === undefined && h.files.every((f) => f.lastError === undefined);
      },
    };
  },
};
