import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Duration, formatConfigIssues, GhostguardError } from '@ghostguard/core';
import { z } from 'zod';

const SentinelSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535).default(26_379),
  })
  .strict();

/**
 * Settings of the shared ban store: plain data, so that a future `shared:` section of the configuration file
 * can be validated with this very schema. Either `url` (standalone Redis) or `sentinels` + `name`.
 */
export const RedisBansOptionsSchema = z
  .object({
    /** A standalone Redis: `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
    url: z
      .string()
      .regex(/^rediss?:\/\/\S+$/, 'a redis:// or rediss:// URL')
      .default('redis://127.0.0.1:6379'),
    /** Sentinel deployments: the sentinels to ask, and `name`, the master group they watch. Replaces `url`. */
    sentinels: z.array(SentinelSchema).min(1).optional(),
    name: z.string().min(1).optional(),
    /** Credentials of the Redis servers (the url may carry them too) and of the sentinels. */
    username: z.string().optional(),
    password: z.string().optional(),
    sentinelPassword: z.string().optional(),
    db: z.number().int().min(0).max(15).optional(),
    /** Every key and the channel start with this: `<prefix>ban:<ip>`, channel `<prefix>bans`. */
    keyPrefix: z
      .string()
      .max(64)
      .regex(/^[A-Za-z0-9:_.{}-]*$/, 'letters, digits and : _ . { } -')
      .default('ghostguard:'),
    /** This node's name in published messages (its own are ignored); default hostname-pid-random. */
    nodeId: z.string().min(1).max(128).optional(),
    /** Also keep drachtio-server's blacklist set (read with SMEMBERS) in step with the bans. */
    drachtioBlacklistKey: z.string().min(1).max(256).optional(),
    /** Connecting (TCP + handshake) may take this long before it counts as a failure. */
    connectTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(2_000),
    /** One command may take this long; then it fails (the write is covered by the next reconcile). */
    commandTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(2_000),
    /**
     * Both connections are PINGed this often; one that does not answer within `commandTimeout` is dropped and
     * reconnected (a silent network failure is noticed, not only a refused connection).
     */
    pingInterval: Duration.refine((ms) => ms > 0, 'more than 0').default(5_000),
    /** Reconnect backoff: doubles from `min` up to `max` (with jitter), forever. */
    reconnect: z
      .object({
        min: Duration.refine((ms) => ms > 0, 'more than 0').default(100),
        max: Duration.refine((ms) => ms > 0, 'more than 0').default(5_000),
      })
      .strict()
      .prefault({}),
    /** Writes in flight at most; beyond it a write is skipped and a reconcile scheduled instead (no queue). */
    maxPendingWrites: z.number().int().min(1).max(1_000_000).default(1_000),
    /** Keys per SCAN page, per MGET and per pipelined batch of writes during a reconcile. */
    batchSize: z.number().int().min(1).max(10_000).default(500),
    /** Pub/sub messages longer than this are ignored unread. */
    maxMessageBytes: z.number().int().min(256).max(1_048_576).default(8_192),
    /**
     * Share the failures the PBX reports here (auth, ACL, unknown target, bad request, hijack attempt) with the
     * other nodes, and count theirs here, so a guesser spreading over nodes is banned as if it had hit one. Off:
     * nothing published, other nodes' reports ignored (bans are still shared).
     */
    shareReports: z.boolean().default(true),
    /** Report messages published per source per second at most; the rest of a burst is not sent (coalesced). */
    maxReportsPerSource: z.number().int().min(1).max(10_000).default(10),
    /**
     * A report from another node counts at the sender's time moved into [now - reportClockSkew, now]: a skewed
     * clock can neither age it out of the window nor land it in the future.
     */
    reportClockSkew: Duration.refine((ms) => ms >= 0 && ms <= 60_000, 'from 0 to 60 s').default(2_000),
  })
  .strict()
  .superRefine((o, ctx) => {
    if ((o.sentinels === undefined) !== (o.name === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [o.sentinels === undefined ? 'sentinels' : 'name'],
        message: 'sentinels and name go together (the sentinels and the master group they watch)',
      });
    }
    if (o.reconnect.min > o.reconnect.max) {
      ctx.addIssue({ code: 'custom', path: ['reconnect', 'min'], message: 'not more than reconnect.max' });
    }
  });

export type RedisBansOptions = z.input<typeof RedisBansOptionsSchema>;

export interface ResolvedRedisBansOptions extends Omit<z.infer<typeof RedisBansOptionsSchema>, 'nodeId'> {
  nodeId: string;
}

export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
}

/** Validates the options; throws GG_CONFIG_INVALID naming every bad key. */
export function resolveRedisBansOptions(input: RedisBansOptions = {}): ResolvedRedisBansOptions {
  const parsed = RedisBansOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new GhostguardError('GG_CONFIG_INVALID', `invalid redis options:\n${formatConfigIssues(parsed.error)}`);
  }
  return { ...parsed.data, nodeId: parsed.data.nodeId ?? defaultNodeId() };
}
