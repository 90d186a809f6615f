import { type CodedError, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/**
 * Every code of @ghostguard/redis, with what it means and what the operator does about it (docs/errors.md). Thrown
 * errors carry one; so do the warn and error log lines of the shared store (their `code` field), so that every
 * failure mode can be filtered by one field. A bad option is the core's GG_CONFIG_INVALID, naming the key.
 */
const REDIS_BANS_CODES = {
  GG_REDIS_CLOSED: {
    means: 'attachRedisBans() was closed before it first connected and reconciled: `ready` rejects with it.',
    action: 'None when shutting down; otherwise wait for `ready` (or leave it pending: the node decides locally).',
  },
  GG_REDIS_UNREACHABLE: {
    means:
      'The shared store cannot be reached (log line shared-store-down, once per outage; the in-memory store rejects its operations with it while down).',
    action:
      'Check Redis (or the Sentinels) and the network from this node; meanwhile every node decides on its own bans (fail-open) and they reconcile when it is back.',
  },
  GG_REDIS_SUBSCRIBE_FAILED: {
    means: 'Connected, but SUBSCRIBE to the ban channel failed: the node would not hear the others, so it reconnects.',
    action: 'Check the ACL of the Redis user (it needs SUBSCRIBE/PUBLISH on `<prefix>bans`) if this repeats.',
  },
  GG_REDIS_WRITE_FAILED: {
    means: 'Writing a ban, a lift or a blacklist update to the store failed (timeout, connection lost, script error).',
    action: 'None at once: the change is kept locally and the next reconcile pushes it. Check Redis if it repeats.',
  },
  GG_REDIS_REPORT_FAILED: {
    means: 'Publishing a failure report (auth failure, unknown target…) to the other nodes failed.',
    action: 'None: the failure still counts on this node; reports are never replayed. Check Redis if it repeats.',
  },
  GG_REDIS_RECONCILE_FAILED: {
    means: 'A reconcile (pull every stored ban, push local ones) failed part-way.',
    action: 'None at once: it is retried, and the node decides on its own bans meanwhile. Check Redis if it repeats.',
  },
  GG_REDIS_RECONCILE_ABORTED: {
    means:
      'A reconcile stopped between two batches because the link dropped or the attachment closed (internal: never logged).',
    action: 'None: the next connect runs a new reconcile from the start.',
  },
  GG_REDIS_BAD_MESSAGE: {
    means: 'A message on the ban channel was too large, not JSON or not a valid ban/unban/report: ignored and counted.',
    action:
      'Find who publishes on `<prefix>bans` besides ghostguard nodes (or a node of another version); protect Redis.',
  },
  GG_REDIS_APPLY_FAILED: {
    means: 'A valid message from another node could not be applied to the guard (a ghostguard bug).',
    action: 'Report it with the log line; the message was dropped and the next reconcile repairs the ban list.',
  },
  GG_REDIS_REMOVAL_DROPPED: {
    means:
      'More bans were lifted by hand during an outage than `maxPendingWrites` can remember: the oldest lift was forgotten.',
    action: 'Lift that address again once the store is back, or it returns from the store until its ban expires.',
  },
  GG_REDIS_TEST_SERVER: {
    means: 'The test helper (@ghostguard/redis/testing) could not start, restart or find a port for redis-server.',
    action:
      'Check that redis-server is installed at the path given (default /usr/bin/redis-server); the message has its output.',
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type RedisBansErrorCode = keyof typeof REDIS_BANS_CODES;

/** Errors of @ghostguard/redis: each carries one of the codes above. */
export const RedisBansError = defineErrors<RedisBansErrorCode>('RedisBansError', REDIS_BANS_CODES);
export type RedisBansError = CodedError<RedisBansErrorCode>;
