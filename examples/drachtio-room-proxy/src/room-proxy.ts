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
  const srf = withMethods(app);
  const logger = (o.logger ?? o.guard.logger).child({ app: 'drachtio-room-proxy' });
  const attachment = attachDrachtio(o.guard, srf, o.guardOptions);
  const bindings = new Bindings(Math.max(o.accounts.size, 1));
  installRegistrar(srf, {
    guard: o.guard,
    accounts: o.accounts,
    bindings,
    realm: o.realm,
    maxExpires: o.maxExpires ?? 3600,
    logger,
  });
  installProxy(srf, { guard: o.guard, bindings, logger });
  srf.options((_req, res) => res.send(200));
  return { attachment, bindings };
}
