import type { BanInfo } from '@ghostguard/core';
import type { KeyNames } from './keys.js';
import { encodeMessage, wireBan } from './messages.js';

/** numkeys followed by keys and arguments, as the scripts in scripts.ts take them. */
export type ScriptCall = [numKeys: number, ...keysAndArgs: Array<string | number>];

export interface CommandContext {
  names: KeyNames;
  nodeId: string;
  /** drachtio-server's blacklist set, when it is kept in step. */
  blacklistKey: string | undefined;
  /** How long a manual lift is remembered (the longest a ban can run: no older ban can still be pushed). */
  liftedTtl: number;
}

/** What the keep-longer script answers. */
export const BAN_WRITTEN = 1;
export const BAN_KEPT_LONGER = 0;
export const BAN_LIFTED = -1;

function keysFor(ctx: CommandContext, ip: string): string[] {
  const keys = [ctx.names.ban(ip), ctx.names.lifted(ip)];
  if (ctx.blacklistKey !== undefined) keys.push(ctx.blacklistKey);
  return keys;
}

/** Writes `ban` (keeping a longer one already stored) and publishes it; undefined once it has expired. */
export function keepLongerBanCall(ctx: CommandContext, ban: BanInfo, now: number): ScriptCall | undefined {
  const ttl = Math.ceil(ban.until - now);
  if (!(ttl > 0)) return undefined;
  const wire = wireBan(ban);
  const keys = keysFor(ctx, ban.ip);
  return [
    keys.length,
    ...keys,
    JSON.stringify(wire),
    String(wire.until),
    String(ttl),
    ctx.names.channel,
    encodeMessage({ op: 'ban', node: ctx.nodeId, ban: wire }),
    ban.ip,
    String(wire.since),
  ];
}

/** Lifts the ban on `ip` everywhere; `conditional`: a ban that began after `removedAt` stays. */
export function liftBanCall(ctx: CommandContext, ip: string, removedAt: number, conditional: boolean): ScriptCall {
  const keys = keysFor(ctx, ip);
  return [
    keys.length,
    ...keys,
    ctx.names.channel,
    encodeMessage({ op: 'unban', node: ctx.nodeId, ip }),
    ip,
    String(removedAt),
    conditional ? '1' : '0',
    String(Math.max(1, Math.ceil(ctx.liftedTtl))),
  ];
}

/** Brings the blacklist membership of `ips` in line with the bans stored for them, as of `now`. */
export function syncBlacklistCall(
  ctx: CommandContext & { blacklistKey: string },
  ips: readonly string[],
  now: number,
): ScriptCall {
  return [1 + ips.length, ctx.blacklistKey, ...ips.map((ip) => ctx.names.ban(ip)), String(now), ...ips];
}
