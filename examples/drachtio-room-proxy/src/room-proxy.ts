import type { Guard, Logger } from '@ghostguard/core';
import { attachDrachtio, type DrachtioAttachment, type DrachtioOptions, withMethods } from '@ghostguard/drachtio';
import type Srf from 'drachtio-srf';
import type { Accounts } from './accounts.js';
import { Bindings } from './bindings.js';
import { installProxy } from './proxy.js';
import { installRegistrar } from './registrar.js';

export interface RoomProxyOptions {
  guard: Guard;
  accounts: Accounts;
  /** Digest realm / the domain rooms register in. */
  realm: string;
  /** Longest registration granted, seconds (default 3600). */
  maxExpires?: number;
  /** Plugin options; default: `adapters.drachtio` of the guard's config. */
  guardOptions?: DrachtioOptions;

  logger?: Logger;
}

export interface RoomProxy {
  attachment: DrachtioAttachment;
  bindings: Bindings;
}

/**
 * Wires the room proxy onto an Srf: the guard first (it routes and judges invite/register/options/…), then the
 * registrar, the INVITE proxy and a 200 for OPTIONS keepalives. Call before or after `srf.connect()`.
 */
export function installRoomProxy(app: Srf, o: RoomProxyOptions): RoomProxy {
  const attachment = attachDrachtio(o.guard, withMethods(app), o.guardOptions);
  return { attachment, bindings: installApp(app, o, true) };
}

/**
 * The same registrar and proxy with no guard layer and no refusal on the guard's word: what this app answers
 * without ghostguard (the baseline monitor mode is compared with; `guard.rooms` is still told what registers).
 */
export function installUnguardedRoomProxy(app: Srf, o: Omit<RoomProxyOptions, 'guardOptions'>): Bindings {
  return installApp(app, o, false);
}

function installApp(app: Srf, o: RoomProxyOptions, enforce: boolean): Bindings {
  const srf = withMethods(app);
  const logger = (o.logger ?? o.guard.logger).child({ app: 'drachtio-room-proxy' });
  // Every account is a room that exists: a REGISTER or a call to it is never an "unknown target", whatever the
  // rooms are called (no dialShape.knownTargets needed) and however many register from one address.
  declareAccounts(o.guard, o.accounts, logger);
  const bindings = new Bindings(Math.max(o.accounts.size, 1));
  installRegistrar(srf, {
    guard: o.guard,
    accounts: o.accounts,
    bindings,
    realm: o.realm,
    maxExpires: o.maxExpires ?? 3600,
    logger,
    enforce,
  });
  installProxy(srf, { guard: o.guard, accounts: o.accounts, bindings, logger });
  srf.options((_req, res) => res.send(200));
  return bindings;
}

/** Declares each account as a room (registered or not, it exists); says so when the registry cannot hold them all. */
export function declareAccounts(guard: Guard, accounts: Accounts, logger: Logger): number {
  let declared = 0;
  for (const user of accounts.keys()) if (guard.rooms.declare({ name: user }) !== undefined) declared++;
  if (declared < accounts.size) {
    logger.warn(
      { event: 'accounts-not-declared', accounts: accounts.size, declared, maxRooms: guard.config.rooms.maxRooms },
      'some accounts are not known to the guard as rooms (rooms.maxRooms reached): calls to them score as unknown targets',
    );
  }
  return declared;
}
