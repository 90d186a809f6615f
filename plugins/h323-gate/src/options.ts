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

/** What the gate answers when it refuses a call: an H.225 ReleaseCompleteReason name and a Q.931 cause. */
const ReleaseSchema = z
  .object({
    reason: z.string().min(1).default('callRejected'),
    cause: z.number().int().min(1).max(127).default(21),
  })
  .strict();
export type Release = z.infer<typeof ReleaseSchema>;

export const H323GateOptionsSchema = z
  .object({
    guard: z.custom<Guard>(isGuard, 'a Guard from createGuard()'),
    listen: z
      .object({
        /** `0.0.0.0` (all IPv4), `::` (IPv6 and, on most systems, IPv4 too), or one address. */
        host: z.string().min(1).default('0.0.0.0'),
        /** 0 picks an ephemeral port (tests). */
        port: z.number().int().min(0).max(65_535).default(1720),
      })
      .strict()
      .prefault({}),
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
  reject: Release;
  tarpit: { alertAfter: number; maxHold: number; maxDiscardBytes: number };
}

/** Validates gate options; throws GG_CONFIG_INVALID naming every bad key. */
export function resolveGateOptions(input: H323GateOptions): ResolvedGateOptions {
  const parsed = H323GateOptionsSchema.safeParse(input);
  if (!parsed.success) {
    throw new GhostguardError('GG_CONFIG_INVALID', `invalid h323-gate options:\n${formatConfigIssues(parsed.error)}`);
  }
  const o = parsed.data;
  // The encoder knows the H.225 ReleaseCompleteReason names: a name it refuses is a configuration error, found now
  // rather than on the first scanner.
  try {
    encodeReleaseComplete(0, o.reject);
  } catch (cause) {
    throw new GhostguardError(
      'GG_CONFIG_INVALID',
      `invalid h323-gate options:\n  reject: ${(cause as Error).message ?? String(cause)}`,
      { cause },
    );
  }
  const maxHold = o.tarpit.maxHold ?? o.guard.tarpits.holdFor;
  return {
    guard: o.guard,
    logger: o.logger ?? o.guard.logger,
    listen: o.listen,
    upstreams: { byAlias: new Map(Object.entries(o.upstreams.byAlias)), default: o.upstreams.default },
    firstSetupTimeout: o.firstSetupTimeout,
    maxFirstBytes: o.maxFirstBytes,
    maxConnectionsPerSource: o.maxConnectionsPerSource,
    maxConnections: o.maxConnections,
    upstreamConnectTimeout: o.upstreamConnectTimeout,
    reject: o.reject,
    tarpit: { alertAfter: Math.min(o.tarpit.alertAfter, maxHold), maxHold, maxDiscardBytes: o.tarpit.maxDiscardBytes },
  };
}

/**
 * The gate's section of a ghostguard configuration file (`adapters.h323Gate`): the gate's options without the
 * `guard` and `logger` a host passes in code. Validate it with `parseAdapterSection(H323GateSectionSchema,
 * config, 'h323Gate')` so errors name `adapters.h323Gate.<key>`.
 */
export const H323GateSectionSchema = H323GateOptionsSchema.omit({ guard: true, logger: true });
export type H323GateSection = z.infer<typeof H323GateSectionSchema>;
