import { z } from 'zod';
import { type RoomKind, RoomKindSchema } from '../config.js';
import type { Logger } from '../log.js';
import type { Outcome } from '../outcome.js';
import type { BanInfo } from '../verdict.js';
import { type BindingDecision, BindingPolicy, type PlatformBinding } from './accept-binding.js';
import type { BindingChange, RoomEntry, RoomRegistration, RoomRegistry } from './room-registry.js';
import { RoomName, RoomSource } from './schemas.js';

/** A REGISTER an adapter saw, before its registrar stores it. */
export interface RegisterCheck {
  aor: string;
  contact: string;
  source: { ip: string; port?: number };
  /** True when the registrar verified credentials (digest) for this REGISTER. */
  authenticated: boolean;
  /**
   * When not authenticated, whether the REGISTER carried credentials that failed (`failed`) or none (`none`,
   * the default): only the log line differs.
   */
  credentials?: 'none' | 'failed';
  adapter?: string;
}

export interface RegisterCheckResult {
  change: BindingChange;
  /** False for a hijack: the adapter must not store the binding (and refuses the REGISTER where it can). */
  accept: boolean;
  /** The ban the hijack caused, if any. */
  ban?: BanInfo;
}

/** `guard.rooms`: what every adapter tells the core about registered room systems. Never throws. */
export interface GuardRooms {
  /** Adds or refreshes a room; `expires: 0` removes it. Undefined when refused (invalid, cap reached). */
  register(registration: RoomRegistration): RoomEntry | undefined;
  /**
   * A room that exists without registering here, known from an adapter's own configuration: the H.323 gate's
   * upstreams by alias (with an address), a registrar's accounts (without one: the room is reachable where it
   * registers, takes its registrations on top, and stays a room that exists while offline). Kept for the guard's
   * lifetime, like `rooms.static` in the config.
   */
  declare(room: {
    name: string;
    aliases?: readonly string[];
    address?: string;
    kind?: RoomKind;
  }): RoomEntry | undefined;
  unregister(aor: string): boolean;
  list(): RoomEntry[];
  /** True when the dialled name (AOR, extension, h323-ID, E.164) reaches a room on file now. */
  isRoom(target: string): boolean;
  get(target: string): RoomEntry | undefined;
  /**
   * Classifies a REGISTER against the binding on file; a hijack is reported to the guard (immediate ban).
   * Valid credentials from a source that has been failing authentication (or is banned) count as none:
   * they are most likely cracked (svcrack's success ends a run of InvalidPassword).
   */
  checkRegister(check: RegisterCheck): RegisterCheckResult;
  /**
   * The registration policy for a binding a platform's registrar holds (listings and registration events):
   * stored as a room, refused as a hijack (reported: the source is banned), refused for another reason (no
   * address to check, banned source, registry full), or left alone because it was refused before. The adapter
   * carries out the answer (counts it, flushes a hijacker's binding where the platform can) and logs nothing
   * more about the decision.
   */
  acceptBinding(binding: PlatformBinding): BindingDecision;
  readonly size: number;
}

const RegistrationSchema = z.object({
  aor: RoomName,
  aliases: z.array(RoomName).max(64).optional(),
  contact: z.string().max(1024),
  source: RoomSource.optional(),
  expires: z.number().finite().nonnegative(),
  adapter: z.string().max(32).optional(),
  kind: RoomKindSchema.optional(),
});
const StaticRoomSchema = z.object({
  name: RoomName,
  aliases: z.array(RoomName).max(64).default([]),
  address: z.string().max(1024).optional(),
  kind: RoomKindSchema.optional(),
});
const RegisterCheckSchema = z.object({
  aor: RoomName,
  contact: z.string().max(1024),
  source: RoomSource,
  authenticated: z.boolean(),
  credentials: z.enum(['none', 'failed']).optional(),
  adapter: z.string().max(32).optional(),
});

export function createGuardRooms(
  registry: RoomRegistry,
  deps: {
    now: () => number;
    logger: Logger;
    report: (o: Outcome) => BanInfo | undefined;
    /**
     * True when the source has been failing authentication lately (or is banned): valid credentials from
     * it are most likely cracked ones (svcrack's success ends a run of InvalidPassword).
     */
    suspicious: (ip: string) => boolean;
    /** True when the address is banned now. */
    isBanned: (ip: string) => boolean;
  },
): GuardRooms {
  const { now, logger } = deps;
  const rooms: GuardRooms = {
    register(registration) {
      const parsed = RegistrationSchema.safeParse(registration);
      if (!parsed.success) {
        logger.warn({ event: 'room-invalid', detail: parsed.error.issues[0]?.message }, 'ignored invalid room');
        return undefined;
      }
      const entry = registry.register(parsed.data, now());
      if (entry === undefined && parsed.data.expires > 0) {
        logger.warn({ event: 'room-refused', aor: parsed.data.aor, rooms: registry.size }, 'room registration refused');
      } else if (entry) {
        logger.debug({ event: 'room-registered', aor: entry.aor, contact: entry.contact }, 'room registered');
      }
      return entry;
    },
    declare(room) {
      const parsed = StaticRoomSchema.safeParse(room);
      if (!parsed.success) {
        logger.warn({ event: 'room-invalid', detail: parsed.error.issues[0]?.message }, 'ignored invalid room');
        return undefined;
      }
      return registry.declare(parsed.data, now());
    },
    unregister: (aor) => typeof aor === 'string' && registry.unregister(aor),
    list: () => registry.list(now()),
    isRoom: (target) => typeof target === 'string' && registry.get(target, now()) !== undefined,
    get: (target) => (typeof target === 'string' ? registry.get(target, now()) : undefined),
    checkRegister(check) {
      const parsed = RegisterCheckSchema.safeParse(check);
      // An undecodable check cannot prove a binding change is safe: refuse it (fail-closed for bindings).
      if (!parsed.success) return { change: 'hijack', accept: false };
      const c = parsed.data;
      const cracked = c.authenticated && deps.suspicious(c.source.ip);
      const found = registry.classify(c.aor, c.contact, c.authenticated && !cracked, now());
      // A first binding with credentials just cracked is a hijack too: the account is not the scanner's.
      const change: BindingChange = cracked && found === 'new' ? 'hijack' : found;
      if (change !== 'hijack') return { change, accept: true };
      logger.warn(
        {
          event: 'room-hijack',
          aor: c.aor,
          contact: c.contact,
          ip: c.source.ip,
          adapter: c.adapter,
          cracked,
          credentials: c.authenticated ? 'valid' : (c.credentials ?? 'none'),
        },
        cracked
          ? 'REGISTER would move a room from a source that was guessing passwords: refused'
          : c.credentials === 'failed'
            ? 'REGISTER with wrong credentials would move a room: refused'
            : 'REGISTER would move a room without credentials: refused',
      );
      const ban = deps.report({
        kind: 'hijack-attempt',
        source: c.source,
        target: c.aor.slice(0, 256),
        detail: `contact ${c.contact.slice(0, 200)}`,
        ...(c.adapter ? { adapter: c.adapter } : {}),
      });
      return ban ? { change, accept: false, ban } : { change, accept: false };
    },
    acceptBinding: (binding) => policy.accept(binding),
    get size() {
      return registry.size;
    },
  };
  const policy = new BindingPolicy({
    registry,
    now,
    logger,
    checkRegister: (check) => rooms.checkRegister(check),
    isBanned: deps.isBanned,
  });
  return rooms;
}
