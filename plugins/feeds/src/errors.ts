import { type CodedError, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/**
 * The feeds' codes. A feed never throws into the guard: each of these ends in "keep the last good list" and is
 * logged (field `code`) and kept as the feed's `lastError` in its health.
 */
const FEEDS_CODES = {
  GG_FEED_APIBAN_UNAUTHORIZED: {
    means: 'APIBAN refused the API key: pulls stop until the configuration changes; the cached list stays in force.',
    action:
      'Check feeds.apiban.apiKey (or the variable named by apiKeyEnv, default $APIBAN_KEY) at apiban.org, then reload.',
  },
  GG_FEED_APIBAN_RATE_LIMITED: {
    means:
      'APIBAN answered that the rate limit is exceeded; the feed backs off (up to 8 intervals) and keeps its list.',
    action:
      'None if it is rare; otherwise raise feeds.apiban.interval, and make sure one key is not shared by many daemons.',
  },
  GG_FEED_APIBAN_ANSWER: {
    means:
      'APIBAN answered something the feed does not read (an HTTP error, a body that is not JSON or not its shape).',
    action:
      'None if it passes (the last good list is kept, the pull is retried with backoff); if it persists, check feeds.apiban.baseUrl and any proxy in between.',
  },
  GG_FEED_RESPONSE_TOO_LARGE: {
    means: 'A feed answer was larger than feeds.apiban.maxResponseBytes; it was not read further.',
    action: 'Check feeds.apiban.baseUrl points at APIBAN; raise maxResponseBytes only if APIBAN pages really grew.',
  },
  GG_FEED_FILE_TOO_LARGE: {
    means: 'A blocklist file is larger than its maxBytes; it was not loaded and the previous list is kept.',
    action: "Trim the file or raise that feeds.files entry's maxBytes.",
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type FeedsErrorCode = keyof typeof FEEDS_CODES;

/** Typed errors of @ghostguard/feeds. */
export const FeedsError = defineErrors<FeedsErrorCode>('FeedsError', FEEDS_CODES);
export type FeedsError = CodedError<FeedsErrorCode>;
