import type { Server } from 'node:net';
import {
  Duration,
  formatConfigIssues,
  type GhostguardConfig,
  GhostguardError,
  type Guard,
  type Logger,
  parseAdapterSection,
} from '@ghostguard/core';
import { z } from 'zod';

/** FreeSWITCH hangup cause names (switch_channel_cause2str): upper case and underscores. */
const HangupCause = z.string().regex(/^[A-Z][A-Z0-9_]{1,40}$/, 'a FreeSWITCH hangup cause like CALL_REJECTED');

/**
 * The `adapters.freeswitch` section of ghostguard.yaml (and the options of attachFreeswitch, which adds
 * `server` and `logger`). Durations take numbers (ms) or text like `500ms`, `5s`.
 */
export const FreeswitchSectionSchema = z
  .object({
    /** The veto path: the dialplan's `socket` application connects here for every new call. */
    outbound: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('127.0.0.1'),
        /** 0 picks a free port (tests). */
        port: z.number().int().min(0).max(65_535).default(8084),
        /** Calls handled at once; beyond it a new connection is closed unanswered (without `resume` FreeSWITCH ends the call). */
        maxConnections: z.number().int().positive().default(2_000),
        /** How long FreeSWITCH has to answer `connect` with the CHANNEL_DATA. */
        channelDataTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(2_000),
        /** After the verdict's commands, how long FreeSWITCH has to close the socket before ghostguard does. */
        settleTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(5_000),
        /** Delete the dialplan's decision-deadline `sched_transfer` (group = channel uuid) before enforcing. */
        cancelFallback: z.boolean().default(true),
        /** Largest ESL frame accepted (CHANNEL_DATA is 5–10 KiB); beyond it the connection is closed. */
        maxFrameBytes: z
          .number()
          .int()
          .min(4_096)
          .max(16 * 1024 * 1024)
          .default(256 * 1024),
      })
      .strict()
      .prefault({}),
    /** The learning path: ghostguard logs in to FreeSWITCH's event socket and reports what sofia saw. */
    inbound: z
      .object({
        enabled: z.boolean().default(true),
        host: z.string().min(1).default('127.0.0.1'),
        port: z.number().int().min(1).max(65_535).default(8021),
        password: z.string().min(1).default('ClueCon'),
        reconnect: z
          .object({
            initialDelay: Duration.refine((ms) => ms > 0, 'more than 0').default(500),
            maxDelay: Duration.refine((ms) => ms > 0, 'more than 0').default(30_000),
            factor: z.number().min(1).max(10).default(2),
          })
          .strict()
          .prefault({}),
        /** Report answered inbound calls that ended normally (the source earns trust). */
        reportCompletedCalls: z.boolean().default(true),
        /** Report inbound calls FreeSWITCH could not route (UNALLOCATED_NUMBER / NO_ROUTE_DESTINATION). */
        reportUnknownTargets: z.boolean().default(true),
        /**
         * Largest frame accepted; must hold the biggest registration listing (about 700 bytes per registration:
         * 8 MiB covers `rooms.maxListItems` 10,000). One connection, so one such buffer at most.
         */
        maxFrameBytes: z
          .number()
          .int()
          .min(4_096)
          .max(64 * 1024 * 1024)
          .default(8 * 1024 * 1024),
        /** Room systems registered on FreeSWITCH's sofia profiles → guard.rooms. */
        rooms: z
          .object({
            enabled: z.boolean().default(true),
            /** sofia profiles whose registrations are rooms (`sofia xmlstatus profile <name> reg` on connect). */
            profiles: z
              .array(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'a sofia profile name'))
              .max(32)
              .default(['internal']),
            /** How long FreeSWITCH has to answer one `api` command (a listing, a flush). */
            apiTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(5_000),
            /** More registrations than this in one listing: the listing fails (nothing pruned). */
            maxListItems: z.number().int().positive().max(1_000_000).default(10_000),
            /**
             * The profile's `sip-expires-late-margin` (s; sofia's default 60): how much longer than a REGISTER's
             * Expires sofia keeps the binding. Added to `sofia::register`'s `expires`, as the listing already does.
             */
            expiresLateMargin: z.number().int().min(0).max(3_600).default(60),
            /** Expiry (s) for a binding whose expiry FreeSWITCH does not say. */
            defaultExpires: z.number().int().positive().max(86_400).default(3_600),
            /** Remove a hijacker's binding from FreeSWITCH (`sofia profile <p> flush_inbound_reg <call-id>`). */
            flushHijacks: z.boolean().default(true),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    allow: z
      .object({
        /**
         * `uuid_transfer` target instead of handing the call back: `<extension> [<dialplan> [<context>]]`, e.g.
         * `${destination_number} XML rooms`. uuid_transfer does not expand variables: ghostguard fills in each
         * `${name}` from the call's CHANNEL_DATA itself (enforce.ts expandTransfer).
         */
        transfer: z
          .string()
          .regex(
            /^[^\s'"\\]{1,128}( [^\s'"\\]{1,64}){0,2}$/,
            "one to three words: '<extension> [<dialplan> [<context>]]'",
          )
          .optional(),
      })
      .strict()
      .prefault({}),
    reject: z
      .object({
        code: z.number().int().min(400).max(699).default(403),
        reason: z
          .string()
          .regex(/^[\x20-\x7e]{1,64}$/, 'printable ASCII, at most 64 characters')
          .default('Forbidden'),
      })
      .strict()
      .prefault({}),
    drop: z
      .object({
        /** FreeSWITCH answers every INVITE in the end; NO_USER_RESPONSE gives 408, the nearest to silence. */
        hangupCause: HangupCause.default('NO_USER_RESPONSE'),
        /** Leave out the `Reason: Q.850;cause=…` header of the final response (channel variable disable_q850_reason). */
        hideReason: z.boolean().default(true),
        /**
         * Hold the call this long before the final response (a scanner then cannot tell a drop from a slow room by
         * timing). Each held call takes a slot of the guard's tarpit cap; without a free slot the answer is at once.
         */
        delay: Duration.refine((ms) => ms >= 0 && ms <= 60_000, 'from 0 to 60 s').default(0),
      })
      .strict()
      .prefault({}),
    tarpit: z
      .object({
        /** Longest hold (ring_ready, then sleep); default: the guard's `tarpit.holdFor`. */
        maxHold: Duration.refine((ms) => ms > 0, 'more than 0').optional(),
        hangupCause: HangupCause.default('NO_ANSWER'),
      })
      .strict()
      .prefault({}),
    /**
     * What a call gets when the adapter cannot judge it (CHANNEL_DATA without a source address, an internal
     * error): `open` hands it back to the dialplan, `closed` applies the guard's `policy.failClosedAction`.
     * Default: the guard's `policy.failMode`.
     */
    failPolicy: z.enum(['open', 'closed']).optional(),
  })
  .strict();

export type FreeswitchSection = z.input<typeof FreeswitchSectionSchema>;
export type ResolvedFreeswitchSection = z.output<typeof FreeswitchSectionSchema>;

export interface FreeswitchOptions extends FreeswitchSection {
  /** A pino logger; default: the guard's (as a child with `adapter: freeswitch`). */
  logger?: Logger;
}

/**
 * attachFreeswitch's platform: where the outbound socket listens (or a server already listening) and where the
 * inbound event socket is, with its password. Merged over the same keys of the options.
 */
export interface EventSocketAccess {
  outbound?: { host?: string; port?: number };
  inbound?: { host?: string; port?: number; password?: string };
  /**
   * An already listening server for the outbound socket (modesl's own default would listen on 8022 whatever
   * port is asked for 0); when given, `outbound.host`/`port` are not used and the server is not closed by
   * the adapter.
   */
  server?: Server;
}

/** The platform part of an `adapters.freeswitch` section. */
export function eventSocketAccess(section: FreeswitchSection): EventSocketAccess {
  const { outbound, inbound } = section;
  const pick = <T extends object, K extends keyof T>(o: T | undefined, keys: K[]): Pick<T, K> | undefined => {
    if (o === undefined) return undefined;
    const out = {} as Pick<T, K>;
    for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
    return out;
  };
  return {
    ...(outbound ? { outbound: pick(outbound, ['host', 'port']) } : {}),
    ...(inbound ? { inbound: pick(inbound, ['host', 'port', 'password']) } : {}),
  };
}

export interface ResolvedFreeswitchOptions extends Omit<ResolvedFreeswitchSection, 'failPolicy' | 'tarpit'> {
  failPolicy: 'open' | 'closed';
  failClosedAction: 'reject' | 'drop';
  tarpit: { maxHold: number; hangupCause: string };
  server: Server | undefined;
  logger: Logger;
}

/** Validates the platform and the options together; throws GG_CONFIG_INVALID naming every bad key. */
export function resolveFreeswitchOptions(
  eventSocket: EventSocketAccess,
  input: FreeswitchOptions,
  guard: Guard,
): ResolvedFreeswitchOptions {
  const { logger, ...section } = input ?? {};
  const { server, outbound, inbound } = eventSocket ?? {};
  const merged = {
    ...section,
    ...(outbound || section.outbound ? { outbound: { ...section.outbound, ...outbound } } : {}),
    ...(inbound || section.inbound ? { inbound: { ...section.inbound, ...inbound } } : {}),
  };
  const parsed = FreeswitchSectionSchema.safeParse(merged);
  if (!parsed.success) {
    throw new GhostguardError('GG_CONFIG_INVALID', `invalid freeswitch options:\n${formatConfigIssues(parsed.error)}`);
  }
  const o = parsed.data;
  return {
    ...o,
    failPolicy: o.failPolicy ?? guard.config.policy.onInternalError,
    failClosedAction: guard.config.policy.failClosedAction,
    tarpit: { maxHold: o.tarpit.maxHold ?? guard.tarpits.holdFor, hangupCause: o.tarpit.hangupCause },
    server,
    logger: (logger ?? guard.logger).child({ adapter: 'freeswitch' }),
  };
}

/** The `adapters.freeswitch` section of a loaded config, validated (errors name `adapters.freeswitch.<key>`). */
export function freeswitchSection(config: GhostguardConfig, origin?: string): FreeswitchSection {
  return parseAdapterSection(FreeswitchSectionSchema, config, 'freeswitch', origin) as FreeswitchSection;
}
