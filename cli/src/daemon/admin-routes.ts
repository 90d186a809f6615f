import type { IncomingMessage } from 'node:http';
import { type BanInfo, Duration, type Guard, isGhostguardError, type Logger, parseIp } from '@ghostguard/core';
import type { DaemonControl } from './daemon-types.js';
import { DaemonError } from './errors.js';
import { readJsonBody } from './http-json.js';

export interface AdminReply {
  status: number;
  body: unknown;
}

export interface AdminDeps {
  guard: Guard;
  control: DaemonControl;
  logger: Logger;
}

const MAX_REASON = 512;
/** Longest ban by hand: ten years (an unbounded one would overflow the dates in logs and the ban file). */
const MAX_TTL_MS = 3650 * 86_400_000;

function ipParam(raw: string): string {
  let ip: string;
  try {
    ip = decodeURIComponent(raw);
  } catch {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'the address in the path is not valid percent-encoding');
  }
  if (ip.length > 64 || parseIp(ip) === undefined) {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', `not an IP address: ${JSON.stringify(ip.slice(0, 64))}`);
  }
  return ip;
}

/** `POST /v1/bans` body: `{ ip, reason, ttl? }`, ttl in ms or a duration like "1h". */
function banRequest(body: unknown): { ip: string; reason: string; ttl?: number } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'expected a JSON object { ip, reason, ttl? }');
  }
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !['ip', 'reason', 'ttl'].includes(k));
  if (extra.length > 0)
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', `unknown field(s): ${extra.slice(0, 5).join(', ')}`);
  if (typeof b.ip !== 'string') throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'ip: expected a string');
  const ip = ipParam(encodeURIComponent(b.ip));
  if (typeof b.reason !== 'string' || b.reason.trim() === '' || b.reason.length > MAX_REASON) {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', `reason: expected a string of 1 to ${MAX_REASON} characters`);
  }
  const out: { ip: string; reason: string; ttl?: number } = { ip, reason: b.reason.trim() };
  if (b.ttl !== undefined) {
    const ttl = Duration.safeParse(b.ttl);
    if (!ttl.success || ttl.data <= 0 || ttl.data > MAX_TTL_MS) {
      throw new DaemonError(
        'GG_ADMIN_BAD_REQUEST',
        'ttl: expected a duration from 1 ms to 3650d (ms, or like 30m, 1h, 7d)',
      );
    }
    out.ttl = ttl.data;
  }
  return out;
}

/**
 * `guard.bans.add`, its GG_BAN_INVALID answered as the admin API's own code: the address was checked above, so a
 * refusal of an IP literal is the allowlist's (409); anything else the guard refuses is the client's (400).
 */
function addBan(guard: Guard, ban: { ip: string; reason: string; ttl?: number }): BanInfo {
  try {
    return guard.bans.add(
      ban.ip,
      ban.ttl === undefined ? { reason: ban.reason } : { reason: ban.reason, ttl: ban.ttl },
    );
  } catch (err) {
    if (!isGhostguardError(err) || err.code !== 'GG_BAN_INVALID') throw err;
    const code = parseIp(ban.ip) === undefined ? 'GG_ADMIN_BAD_REQUEST' : 'GG_ADMIN_CONFLICT';
    throw new DaemonError(code, err.message, { cause: err });
  }
}

/** Bans listed per request unless `?limit=` asks otherwise (a scanner wave can leave a million). */
export const DEFAULT_LIST_LIMIT = 1_000;
const MAX_LIST_LIMIT = 100_000;

function limitParam(raw: string | null): number {
  if (raw === null) return DEFAULT_LIST_LIMIT;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIST_LIMIT) {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', `limit: expected an integer from 1 to ${MAX_LIST_LIMIT}`);
  }
  return n;
}

function allowMethods(method: string, allowed: readonly string[]): void {
  if (!allowed.includes(method)) {
    throw new DaemonError('GG_ADMIN_METHOD', `method ${method} not allowed here; use ${allowed.join(' or ')}`);
  }
}

/**
 * The admin API after authentication: routes `method path` to the guard or the daemon. Throws DaemonError for
 * anything the client got wrong; the server turns it into `{ error: { code, message } }`.
 */
export async function routeAdmin(deps: AdminDeps, method: string, url: URL, req: IncomingMessage): Promise<AdminReply> {
  const { guard, control, logger } = deps;
  const pathname = url.pathname;
  const parts = pathname.split('/');
  // '', 'v1', resource, …
  if (parts[0] !== '' || parts[1] !== 'v1' || parts.length < 3) throw notFound(pathname);
  const [, , resource, param, sub, ...rest] = parts;
  if (rest.length > 0) throw notFound(pathname);

  if (resource === 'bans' && param === undefined) {
    allowMethods(method, ['GET', 'POST']);
    if (method === 'GET') {
      const bans = guard.bans.list();
      const limit = limitParam(url.searchParams.get('limit'));
      return { status: 200, body: { total: bans.length, bans: bans.length > limit ? bans.slice(0, limit) : bans } };
    }
    const ban = banRequest(await readJsonBody(req));
    const info = addBan(guard, ban);
    logger.info({ event: 'admin-ban', ip: info.ip, reason: info.reason, until: info.until }, 'ban added by admin');
    return { status: 201, body: { ban: info } };
  }
  if (resource === 'bans' && param !== undefined && param !== '' && sub === undefined) {
    allowMethods(method, ['DELETE', 'GET']);
    const ip = ipParam(param);
    if (method === 'GET') {
      const ban = guard.bans.get(ip);
      if (!ban) throw new DaemonError('GG_ADMIN_NOT_FOUND', `${ip} is not banned`);
      return { status: 200, body: { ban } };
    }
    if (!guard.bans.remove(ip)) throw new DaemonError('GG_ADMIN_NOT_FOUND', `${ip} is not banned`);
    logger.info({ event: 'admin-unban', ip }, 'ban lifted by admin');
    return { status: 200, body: { removed: ip } };
  }
  if (resource === 'bans' && param !== undefined && param !== '' && sub === 'explain') {
    allowMethods(method, ['GET']);
    return { status: 200, body: guard.bans.explain(ipParam(param)) };
  }
  if (param !== undefined) throw notFound(pathname);
  if (resource === 'rooms') {
    allowMethods(method, ['GET']);
    return { status: 200, body: { rooms: guard.rooms.list() } };
  }
  if (resource === 'stats') {
    allowMethods(method, ['GET']);
    return { status: 200, body: control.status() };
  }
  if (resource === 'reload') {
    allowMethods(method, ['POST']);
    const result = await control.reload();
    return { status: result.ok ? 200 : 422, body: result };
  }
  throw notFound(pathname);
}

function notFound(pathname: string): DaemonError {
  return new DaemonError('GG_ADMIN_NOT_FOUND', `no such endpoint: ${pathname.slice(0, 128)}`);
}
