export { APIBAN_FEED, ApibanFeed, type ApibanHealth } from './apiban-feed.js';
export { APIBAN_FIRST_ID, type ApibanPage, interpretApiban } from './apiban-protocol.js';
export { type AttachedFeeds, attachFeeds, type FeedsHealth } from './attach.js';
export { BlocklistFileFeed, type BlocklistHealth, parseBlocklist } from './blocklist-file.js';
export { FeedsError, type FeedsErrorCode } from './errors.js';
export {
  type ApibanOptions,
  ApibanOptionsSchema,
  type BlocklistFileOptions,
  BlocklistFileSchema,
  type FeedsSection,
  FeedsSectionSchema,
} from './options.js';
