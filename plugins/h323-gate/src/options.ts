import { Duration, formatConfigIssues, GhostguardError, type Guard, type Logger } from '@ghostguard/core';
import { encodeReleaseComplete, TPKT_MAX_PAYLOAD_BYTES } from '@ghostguard/core/h323';
import { z } from 'zod';

const isGuard = (g: unknown): g is Guard =>
  typeof g === 'object' &&
  g !== null &&
  typeof (g as Guard).judge === 'function' &&
  typeof (g as Guard).tarpits?.tryAcquire === 'function';

const isLogger = (l: unknown): l is Logger =>
  typeof l === 'object' &&
  l !== null &&
  ['info', 'warn', 'error', 'debug'].every((m) => typeof (l as Record<string, unknown>)[m] === 'function');

const UpstreamSchema = z
  .object({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
  })
  .strict();
export type Upstream = z.infer<typeof UpstreamSchema>;

/**
 * What the gate answers when it refuses a call: an H.225 ReleaseCompleteReason name and a Q.931 cause. The
 * encoder knows the reason names: one it refuses is a configuration error, found now rather than on the first
 * scanner.
 */
const ReleaseSchema = z
  .object({
    reason: z.string().min(1).default('callRejected'),
    cause: z.number().int().min(1).max(127).default(21),
  })
  .strict()
  .superRefine((release, ctx) => {
    try {
      encodeReleaseComplete(0, release);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: err instanceof Error ? err.message : String(err) });
    }
  });
export type Release = z.infer<typeof ReleaseSchema>;

/** Where the gate listens: the platform it attaches to (where the room system's TCP 1720 was reachable). */
export const H323GateListenSchema = z
  .object({
    /** `0.0.0.0` (all IPv4), `::` (IPv6 and, on most systems, IPv4 too), or one address. */
    host: z.string().min(1).default('0.0.0.0'),
    /** 0 picks an ephemeral port (tests). */
    port: z.number().int().min(0).max(65_535).default(1720),
  })
  .strict();
export type H323GateListen = z.input<typeof H323GateListenSchema>;

/** The gate's options: everything but the guard and the listen address, each with its default. */
export const H323GateOptionsSchema = z
  .object({
    upstreams: z
      .object({
        /** Called alias or number (dialledDigits, h323-ID, Called Party Number…) → the room system it reaches. */
        byAlias: z.record(z.string().min(1), UpstreamSchema).default({}),
        /** Where a call goes when no alias matches. Without it such calls get a ReleaseComplete. */
        default: UpstreamSchema.optional(),
      })
      .strict()
      .prefault({}),
    /** How long a new connection has to deliver its first complete TPKT frame. */
    firstSetupTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(5_000),
    /** Cap on the first frame's payload (its declared size is checked before it is read). */
    maxFirstBytes: z.number().int().min(64).max(TPKT_MAX_PAYLOAD_BYTES).default(16_384),
    /** Open connections per source address (IPv4-mapped IPv6 counts as the IPv4 address). */
    maxConnectionsPerSource: z.number().int().positive().default(20),
    /** Open connections in total; beyond it new ones are closed at once. */
    maxConnections: z.number().int().positive().default(10_000),
    /** How long to wait for a room system to accept the relayed connection. */
    upstreamConnectTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(3_000),
    /**
     * Put the gate's own address (its end of the connection to the room system) into a relayed SETUP's
     * sourceCallSignalAddress (IPv4, rewritten in place; nothing else changes). Needed in front of chan_ooh323
     * without a gatekeeper, which refuses a SETUP naming another address than the connection's.
     */
    rewriteSourceAddress: z.boolean().default(false),
    /** The ReleaseComplete sent on `reject`. */
    reject: ReleaseSchema.prefault({}),
    tarpit: z
      .object({
        /** CallProceeding goes out at once; Alerting this long after it. */
        alertAfter: Duration.default(2_000),
        /** Longest hold before the gate closes the connection quietly; default: the guard's `tarpit.holdFor`. */
        maxHold: Duration.refine((ms) => ms > 0, 'more than 0').optional(),
        /** Bytes a held caller may send (all discarded) before the gate closes on it. */
        maxDiscardBytes: z.number().int().nonnegative().default(65_536),
      })
      .strict()
      .prefault({}),
    /** A pino logger; default: the guard's. */
    logger: z.custom<Logger>(isLogger, 'a pino logger').optional(),
  })
  .strict();

export type H323GateOptions = z.input<typeof H323GateOptionsSchema>;

/**
 * The gate's section of a ghostguard configuration file (`adapters.h323Gate`): `listen` and the options
 * without the `logger` a host passes in code. Validate it with `parseAdapterSection(H323GateSectionSchema,
 * config, 'h323Gate')` so errors name `adapters.h323Gate.<key>`, then attach with
 * `attachH323Gate(guard, listen, { ...options, logger })`.
 */
export const H323GateSectionSchema = H323GateOptionsSchema.omit({ logger: true }).extend({
  listen: H323GateListenSchema.prefault({}),
});
export type H323GateSection = z.infer<typeof H323GateSectionSchema>;

/** Options after validation, with every default filled in. */
export interface ResolvedGateOptions {
  guard: Guard;
  logger: Logger;
  listen: { host: string; port: number };
  upstreams: { byAlias: ReadonlyMap<string, Upstream>; default: Upstream | undefined };
  firstSetupTimeout: number;
  maxFirstBytes: number;
  maxConnectionsPerSource: number;
  maxConnections: number;
  upstreamConnectTimeout: number;
  rewriteSourceAddress: boolean;
  reject: Release;
  tarpit: { alertAfter: number; maxHold: number; maxDiscardBytes: number };
}

/**
 * Validates what attachH323Gate() was given; throws GG_CONFIG_INVALID naming every bad key (`guard`,
 * `listen.port`, `upstreams.default.port`, `reject.reason`…).
 */
export function resolveGateOptions(
  guard: Guard,
  listen: H323GateListen,
  options: H323GateOptions = {},
): ResolvedGateOptions {
  const problems: string[] = [];
  if (!isGuard(guard)) problems.push('  guard: a Guard from createGuard()');
  const l = H323GateListenSchema.safeParse(listen);
  if (!l.success) problems.push(formatConfigIssues(l.error, ['listen']));
  const parsed = H323GateOptionsSchema.safeParse(options);
  if (!parsed.success) problems.push(formatConfigIssues(parsed.error));
  if (!l.success || !parsed.success || problems.length > 0) {
    throw new GhostguardError('GG_CONFIG_INVALID', `invalid h323-gate options:\n${problems.join('\n')}`);
  }
  const o = parsed.data;
  const maxHold = o.tarpit.maxHold ?? guard.tarpits.holdFor;
  return {
    guard,
    logger: o.logger ?? guard.logger,
    listen: l.data,
    upstreams: { byAlias: new Map(Object.entries(o.upstreams.byAlias)), default: o.upstreams.default },
    firstSetupTimeout: o.firstSetupTimeout,
    maxFirstBytes: o.maxFirstBytes,
    maxConnectionsPerSource: o.maxConnectionsPerSource,
    maxConnections: o.maxConnections,
    upstreamConnectTimeout: o.upstreamConnectTimeout,
    rewriteSourceAddress: o.rewriteSourceAddress,
    reject: o.reject,
    tarpit: { alertAfter: Math.min(o.tarpit.alertAfter, maxHold), maxHold, maxDiscardBytes: o.tarpit.maxDiscardBytes },
  };
}
