import { Duration, type Guard, type Logger, parseAdapterSection } from '@ghostguard/core';
import { z } from 'zod';
import { DrachtioError } from './errors.js';
import { isSrfFailureCode, SRF_FAILURE_CODES } from './status-table.js';

/** Methods the guard may watch: requests that open something. In-transaction and in-dialog methods are not. */
export const GUARDABLE_METHODS = [
  'invite',
  'register',
  'options',
  'subscribe',
  'message',
  'notify',
  'refer',
  'publish',
  'info',
] as const;
export type GuardableMethod = (typeof GUARDABLE_METHODS)[number];

export const DEFAULT_METHODS: readonly GuardableMethod[] = ['invite', 'register', 'options', 'subscribe', 'message'];

/** Longest a tarpit may hold: drachtio-server forgets an unanswered INVITE after about 64 s (Timer B/F). */
export const MAX_TARPIT_HOLD_MS = 63_000;

const FailureCode = z
  .number()
  .int()
  .refine(isSrfFailureCode, {
    message: `a final failure code drachtio-srf's status table accepts (${SRF_FAILURE_CODES.join(', ')})`,
  });

/**
 * The `adapters.drachtio` section of ghostguard.yaml (validated with parseAdapterSection, so errors name
 * `adapters.drachtio.<key>`). Every key has a default; an empty section is valid.
 */
export const DrachtioSectionSchema = z
  .object({
    /** Methods routed and judged (lower case, as drachtio-srf names them). */
    methods: z
      .array(z.enum(GUARDABLE_METHODS))
      .min(1)
      .default([...DEFAULT_METHODS])
      .transform((m) => [...new Set(m)]),
    reject: z
      .object({
        /** Final response on `reject`; the reason phrase is the table's, no other header is added. */
        status: FailureCode.default(403),
      })
      .strict()
      .prefault({}),
    tarpit: z
      .object({
        /** Delay before the 180 Ringing (0: at once). */
        ringAfter: Duration.default(0),
        /** How long the INVITE is held after the 180; default: the guard's `tarpit.holdFor`. Below 64 s. */
        holdFor: Duration.refine((ms) => ms > 0 && ms <= MAX_TARPIT_HOLD_MS, 'between 1 ms and 63 s').optional(),
        /** After the hold: a final failure code (default 486 Busy Here) or `silence` (no final answer at all). */
        final: z.union([z.literal('silence'), FailureCode]).default(486),
      })
      .strict()
      .prefault({}),
    /**
     * The plugin's own failures (an exception while enforcing, a response that cannot be sent): `open` lets the
     * request through to the app, `closed` drops it. The guard's `policy.failMode` governs undecodable requests.
     */
    onError: z.enum(['open', 'closed']).default('open'),
  })
  .strict();

export type DrachtioSection = z.output<typeof DrachtioSectionSchema>;
export type DrachtioSectionInput = z.input<typeof DrachtioSectionSchema>;

const isLogger = (l: unknown): l is Logger =>
  typeof l === 'object' &&
  l !== null &&
  ['info', 'warn', 'error', 'debug', 'child'].every((m) => typeof (l as Record<string, unknown>)[m] === 'function');

export interface DrachtioOptions extends DrachtioSectionInput {
  /** A pino logger; default: the guard's (`adapter: 'drachtio'` is added to every line). */
  logger?: Logger;
}

export interface ResolvedDrachtioOptions extends DrachtioSection {
  logger: Logger;
  /** Hold length in ms, resolved against the guard's `tarpit.holdFor`. */
  holdFor: number;
}

/**
 * Options given in code win; without them the guard's `adapters.drachtio` section is used. Throws
 * GG_CONFIG_INVALID naming each bad key, GG_DRACHTIO_OPTIONS for a logger that is not a pino logger.
 */
export function resolveDrachtioOptions(guard: Guard, options?: DrachtioOptions): ResolvedDrachtioOptions {
  const { logger, ...section } = options ?? {};
  if (logger !== undefined && !isLogger(logger))
    throw new DrachtioError('GG_DRACHTIO_OPTIONS', 'attachDrachtio: options.logger is not a pino logger');
  const parsed =
    options === undefined
      ? parseAdapterSection(DrachtioSectionSchema, guard.config, 'drachtio')
      : parseAdapterSection(
          DrachtioSectionSchema,
          { ...guard.config, adapters: { ...guard.config.adapters, drachtio: section } },
          'drachtio',
          'attachDrachtio options',
        );
  const holdFor = Math.min(parsed.tarpit.holdFor ?? guard.config.tarpit.holdFor, MAX_TARPIT_HOLD_MS);
  return { ...parsed, logger: (logger ?? guard.logger).child({ adapter: 'drachtio' }), holdFor };
}
