import { Duration, formatConfigIssues, GhostguardError, type Guard, type Logger, parseIp } from '@ghostguard/core';
import { z } from 'zod';

/** Channel drivers the check routine knows; anything else is `other`. */
export const CHANNEL_TECHS = ['PJSIP', 'SIP', 'OOH323', 'other'] as const;
export type ChannelTech = (typeof CHANNEL_TECHS)[number];

const Cause = z.number().int().min(1).max(127);
/** A Q.850 cause per channel driver. */
const causeTable = (d: Record<ChannelTech, number>) =>
  z
    .object({
      PJSIP: Cause.default(d.PJSIP),
      SIP: Cause.default(d.SIP),
      OOH323: Cause.default(d.OOH323),
      other: Cause.default(d.other),
    })
    .strict()
    .prefault({});

const positiveDuration = Duration.refine((ms) => ms > 0, 'more than 0');

/**
 * The `adapters.asterisk` section of ghostguard.yaml, and the options of attachAsterisk() (plus a logger).
 * Errors name the key (`adapters.asterisk.port`).
 */
export const AsteriskSectionSchema = z
  .object({
    /** Where Asterisk's manager interface listens (manager.conf `bindaddr`/`port`). */
    host: z.string().min(1).default('127.0.0.1'),
    port: z.number().int().min(1).max(65_535).default(5038),
    /** The manager.conf user (examples/asterisk/manager.conf: read=call,user,security,system, write=call,system). */
    username: z.string().min(1),
    secret: z.string().min(1),
    /**
     * Event categories asked for with the Events action after login (Login's own `Event:` header is ignored).
     * `system` carries ContactStatus / PeerStatus: with `rooms.enabled` it is added when missing.
     */
    eventMask: z.string().min(1).default('call,user,security,system'),
    /** The UserEvent name and the variable of the dialplan contract (examples/asterisk/extensions.conf). */
    checkEvent: z.string().min(1).default('GhostguardCheck'),
    verdictVariable: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a dialplan variable name')
      .default('GHOSTGUARD_VERDICT'),
    /** Hangup cause for `reject`: 21 (call rejected) → SIP 403 on an unanswered PJSIP or chan_sip channel, H.225 ReleaseComplete on chan_ooh323. */
    rejectCause: causeTable({ PJSIP: 21, SIP: 21, OOH323: 21, other: 21 }),
    /**
     * Hangup cause for `drop`. Asterisk answers every call it has a channel for, so the quietest answer is the one a
     * number that does not exist gets: 1 (unallocated) → SIP 404, H.225 ReleaseComplete "unreachable destination".
     */
    dropCause: causeTable({ PJSIP: 1, SIP: 1, OOH323: 1, other: 1 }),
    tarpit: z
      .object({
        /** Where Redirect sends a tarpitted call (Ringing, Wait, Hangup in the example). */
        context: z.string().min(1).default('ghostguard-tarpit'),
        exten: z.string().min(1).default('s'),
        priority: z.number().int().min(1).default(1),
        /** When the tarpit slot is released if no Hangup event came; default: the guard's tarpit.holdFor + 5 s. */
        releaseAfter: positiveDuration.optional(),
      })
      .strict()
      .prefault({}),
    /**
     * No longer used to judge calls (kept so existing configurations load; a warning says so). chan_ooh323 matches a
     * configured `[user]` by the caller's Display name from any address (chan_ooh323.c find_user; recorded in
     * ../shared/fixtures/asterisk-20.20.1-live/ami-h323-display-callerb-session.follow.txt), so the address mapped
     * here is not where the call came from: judging it as that address banned the real partner. Calls on such
     * channels follow `failMode`, unless the H.323 gate judged them (`h323Gate`).
     */
    h323Peers: z
      .record(
        z.string().min(1),
        z.string().refine((a) => parseIp(a) !== undefined, 'an IP address'),
      )
      .default({}),
    /**
     * The ghostguard H.323 gate in front of chan_ooh323 (examples/asterisk/h323-gate/): `callers` are the names
     * the gate's calls get in their channel name `OOH323/<caller>-<n>` (its ooh323.conf `[user]`, or its address).
     * A check on such a channel takes the verdict the gate (same guard, same daemon) gave the SETUP, matched by
     * CALLER_H323ID and the dialed extension within `window`; without one it follows `failMode`. Never judged
     * as the gate's address.
     */
    h323Gate: z
      .object({
        callers: z.array(z.string().min(1).max(256)).max(64).default([]),
        window: positiveDuration.default(10_000),
      })
      .strict()
      .prefault({}),
    /**
     * A check the guard cannot judge (no usable source address): `open` lets the call continue, `closed` applies the
     * guard's policy.failClosedAction. Default: the guard's policy.failMode. Logged either way.
     */
    failMode: z.enum(['open', 'closed']).optional(),
    /**
     * Tell the guard which room systems are registered (guard.rooms): on every (re)connect list PJSIP contacts
     * (PJSIPShowContacts) and chan_sip peers (SIPpeers + SIPshowpeer), then follow ContactStatus / PeerStatus.
     * Needs manager.conf `read=system` and `write=system`.
     */
    rooms: z
      .object({
        enabled: z.boolean().default(true),
        pjsip: z.boolean().default(true),
        chanSip: z.boolean().default(true),
        /**
         * Seconds a registration learned from an event is kept when the event says nothing about its expiry
         * (ContactStatus Created/Updated; PeerStatus Registered until SIPshowpeer answers): PJSIP's default
         * maximum_expiration. Asterisk's own Removed / Unregistered events remove it sooner.
         */
        eventExpires: z.number().int().min(1).max(604_800).default(7_200),
        /** A listing (the complete event included) must finish within this. */
        listTimeout: positiveDuration.default(30_000),
        /** Most events one listing may return; more fails the listing. */
        maxListItems: z.number().int().min(1).default(20_000),
        /**
         * When Asterisk cannot tell: a listing that fails (permission, module not loaded, timeout, too many
         * events) and a new registration that names no address to check. `open` keeps the rooms on file and
         * stores the new one; `closed` removes the rooms this adapter learned from that driver (calls to them
         * count as unknown targets until a listing succeeds) and refuses the new one. A registration that would
         * move a room without an address to check is refused either way.
         */
        failMode: z.enum(['open', 'closed']).default('open'),
      })
      .strict()
      .prefault({}),
    /** Feed Asterisk security events (auth failures, ACL refusals) to guard.report(). */
    reportSecurityEvents: z.boolean().default(true),
    reconnect: z
      .object({
        minDelay: positiveDuration.default(500),
        // Asterisk back after `core stop` was found 14 s late with a 30 s cap (issue 15): a login is cheap.
        maxDelay: positiveDuration.default(5_000),
        factor: z.number().min(1).default(2),
      })
      .strict()
      .prefault({}),
    /** Connect + login + Events must complete within this. */
    connectTimeout: positiveDuration.default(5_000),
    /** An action without a response after this counts as failed (and its listener is removed). */
    actionTimeout: positiveDuration.default(5_000),
    /** Ping every `interval`; no answer within `timeout` → the connection is dropped and re-opened. */
    keepalive: z
      .object({ interval: positiveDuration.default(15_000), timeout: positiveDuration.default(5_000) })
      .strict()
      .prefault({}),
    /** Longest AMI message accepted; a longer one drops the connection (asterisk-manager would buffer it whole). */
    maxFrameBytes: z.number().int().min(1_024).default(65_536),
  })
  .strict();

export type AsteriskSection = z.infer<typeof AsteriskSectionSchema>;
/** attachAsterisk's options: the `adapters.asterisk` section without the login (which `ami` gives), plus a logger. */
export type AsteriskOptions = Partial<z.input<typeof AsteriskSectionSchema>> & {
  /** A pino logger; default: the guard's, as `adapter: asterisk`. */
  logger?: Logger;
};

/** Where Asterisk's manager interface listens and the manager.conf user to log in as (attachAsterisk's platform). */
export interface AmiAccess {
  host?: string;
  port?: number;
  username: string;
  secret: string;
}

/** The login part of an `adapters.asterisk` section. */
export function amiAccess(section: AmiAccess): AmiAccess {
  return {
    ...(section.host !== undefined ? { host: section.host } : {}),
    ...(section.port !== undefined ? { port: section.port } : {}),
    username: section.username,
    secret: section.secret,
  };
}

export interface ResolvedAsteriskOptions extends AsteriskSection {
  logger: Logger;
  failMode: 'open' | 'closed';
  tarpit: AsteriskSection['tarpit'] & { releaseAfter: number };
}

/** Validates attachAsterisk()'s login and options together; throws GG_CONFIG_INVALID naming every bad key. */
export function resolveAsteriskOptions(ami: AmiAccess, input: AsteriskOptions, guard: Guard): ResolvedAsteriskOptions {
  const { logger, ...rest } = input ?? ({} as AsteriskOptions);
  const parsed = AsteriskSectionSchema.safeParse({ ...rest, ...ami });
  if (!parsed.success) {
    throw new GhostguardError('GG_CONFIG_INVALID', `invalid asterisk options:\n${formatConfigIssues(parsed.error)}`);
  }
  const o = parsed.data;
  if (o.reconnect.maxDelay < o.reconnect.minDelay) {
    throw new GhostguardError(
      'GG_CONFIG_INVALID',
      'invalid asterisk options:\n  reconnect.maxDelay: less than minDelay',
    );
  }
  const mask = o.eventMask.split(',').map((c) => c.trim().toLowerCase());
  const eventMask =
    o.rooms.enabled && !mask.includes('system') && !mask.includes('all') && !mask.includes('on')
      ? `${o.eventMask},system`
      : o.eventMask;
  return {
    ...o,
    eventMask,
    logger: (logger ?? guard.logger).child({ adapter: 'asterisk' }),
    failMode: o.failMode ?? guard.config.policy.onInternalError,
    tarpit: { ...o.tarpit, releaseAfter: o.tarpit.releaseAfter ?? guard.tarpits.holdFor + 5_000 },
  };
}
