import type { IncomingMessage } from 'node:http';
import { networkInterfaces } from 'node:os';
import {
  type BanInfo,
  Duration,
  type Guard,
  isGhostguardError,
  type Logger,
  parseIp,
  parseRange,
  rangeHas,
} from '@ghostguard/core';
import type { DaemonControl } from './daemon-types.js';
import { DaemonError } from './errors.js';
import { kernelHolds } from './firewall-component.js';
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

/** What a ban by hand asks: the address, why, and optionally how long (beyond bans.maxTtl only with force). */
interface BanRequest {
  ip: string;
  reason: string;
  ttl?: number;
  force?: boolean;
}

function prefixOrIpParam(raw: string): string {
  const slash = raw.toLowerCase().lastIndexOf('%2f');
  if (slash < 0) return ipParam(raw);
  const len = raw.slice(slash + 3);
  if (!/^\d{1,3}$/.test(len)) throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'not an IP address or prefix');
  return `${ipParam(raw.slice(0, slash))}/${Number(len)}`;
}

/** A network in a request body (`198.51.100.0/22`), as its canonical text. */
function rangeValue(text: string): string {
  const r = parseRange(text);
  if (r === undefined) {
    throw new DaemonError(
      'GG_ADMIN_BAD_REQUEST',
      `not an IP address or network: ${JSON.stringify(text.slice(0, 64))} (a network is written like 198.51.100.0/22, without host bits)`,
    );
  }
  return r.text;
}

/** `POST /v1/bans` body: `{ ip, reason, ttl?, force? }` (ip: an address or a network), ttl in ms or like "1h". */
function banRequest(body: unknown, maxTtl: number): BanRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'expected a JSON object { ip, reason, ttl?, force? }');
  }
  const b = body as Record<string, unknown>;
  const extra = Object.keys(b).filter((k) => !['ip', 'reason', 'ttl', 'force'].includes(k));
  if (extra.length > 0)
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', `unknown field(s): ${extra.slice(0, 5).join(', ')}`);
  if (typeof b.ip !== 'string') throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'ip: expected a string');
  const ip = b.ip.includes('/') ? rangeValue(b.ip) : ipParam(encodeURIComponent(b.ip));
  if (typeof b.reason !== 'string' || b.reason.trim() === '' || b.reason.length > MAX_REASON) {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', `reason: expected a string of 1 to ${MAX_REASON} characters`);
  }
  if (b.force !== undefined && typeof b.force !== 'boolean') {
    throw new DaemonError('GG_ADMIN_BAD_REQUEST', 'force: expected true or false');
  }
  const out: BanRequest = { ip, reason: b.reason.trim(), ...(b.force ? { force: true } : {}) };
  if (b.ttl !== undefined) {
    const ttl = Duration.safeParse(b.ttl);
    if (!ttl.success || ttl.data <= 0 || ttl.data > MAX_TTL_MS) {
      throw new DaemonError(
        'GG_ADMIN_BAD_REQUEST',
        'ttl: expected a duration from 1 ms to 3650d (ms, or like 30m, 1h, 7d)',
      );
    }
    // bans.maxTtl bounds every automatic ban; a longer one by hand is a deliberate act (--force)
    if (ttl.data > maxTtl && !out.force) {
      throw new DaemonError(
        'GG_ADMIN_BAD_REQUEST',
        `ttl: ${ttl.data} ms is longer than bans.maxTtl (${maxTtl} ms); ask with force (ghostguard bans add --force) to ban longer`,
      );
    }
    out.ttl = ttl.data;
  }
  return out;
}

/**
 * Why `ip` can never be banned by hand, or undefined: localhost (127.0.0.1, ::1) and the unspecified address
 * (the host's own tools, a local proxy: fail2ban's ignoreself), and every address of this host's interfaces (a ban would cut the
 * daemon off its own adapters and PBX). Allowlisted addresses are refused by the guard itself.
 */
export function unbannable(ipText: string, ownAddresses: () => Iterable<string> = hostAddresses): string | undefined {
  if (ipText.includes('/')) return unbannableRange(ipText, ownAddresses);
  const ip = parseIp(ipText);
  if (ip === undefined) return undefined;
  // localhost itself; the rest of 127.0.0.0/8 stays bannable (local tools and tests give each peer its own)
  if (ip.text === '127.0.0.1' || ip.text === '::1') return `${ip.text} is the loopback address`;
  if (ip.text === '0.0.0.0' || ip.text === '::') return `${ip.text} is the unspecified address`;
  for (const own of ownAddresses()) {
    if (parseIp(own)?.text === ip.text) return `${ip.text} is an address of this host`;
  }
  return undefined;
}

/** Why the network `text` can never be banned by hand: it holds localhost, the unspecified address or this host. */
function unbannableRange(text: string, ownAddresses: () => Iterable<string>): string | undefined {
  const r = parseRange(text);
  if (r === undefined) return undefined;
  for (const special of ['127.0.0.1', '::1', '0.0.0.0', '::']) {
    if (rangeHas(r, parseIp(special)!)) return `${r.text} contains ${special}`;
  }
  for (const own of ownAddresses()) {
    const ip = parseIp(own);
    if (ip !== undefined && rangeHas(r, ip)) return `${r.text} contains ${ip.text}, an address of this host`;
  }
  return undefined;
}

function hostAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((a) => a.address.split('%')[0] ?? ''));
}

/**
 * `guard.bans.add`, its GG_BAN_INVALID answered as the admin API's own code: the address was checked above, so a
 * refusal of an IP literal is the allowlist's (409); anything else the guard refuses is the client's (400).
 */
function addBan(guard: Guard, ban: BanRequest): BanInfo {
  const never = unbannable(ban.ip);
  if (never) throw new DaemonError('GG_ADMIN_CONFLICT', `${never}: never banned`);
  try {
    return guard.bans.add(
      ban.ip,
      ban.ttl === undefined ? { reason: ban.reason } : { reason: ban.reason, ttl: ban.ttl },
    );
  } catch (err) {
    if (!isGhostguardError(err) || err.code !== 'GG_BAN_INVALID') throw err;
    const checked = parseIp(ban.ip) !== undefined || parseRange(ban.ip) !== undefined;
    const code = checked ? 'GG_ADMIN_CONFLICT' : 'GG_ADMIN_BAD_REQUEST';
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
      const page = bans.length > limit ? bans.slice(0, limit) : bans;
      // `kernel`: whether the firewall component's nftables sets drop it now (only while that component runs).
      const holds = kernelHolds(guard);
      const shown = holds === undefined ? page : page.map((b) => ({ ...b, kernel: holds(b.ip) }));
      return { status: 200, body: { total: bans.length, bans: shown } };
    }
    const ban = banRequest(await readJsonBody(req), guard.config.bans.maxTtl);
    const info = addBan(guard, ban);
    logger.info({ event: 'admin-ban', ip: info.ip, reason: info.reason, until: info.until }, 'ban added by admin');
    return { status: 201, body: { ban: info } };
  }
  if (resource === 'bans' && param !== undefined && param !== '' && sub === undefined) {
    allowMethods(method, ['DELETE', 'GET']);
    // a prefix ban is lifted by its own text, as the list shows it (`198.51.100.0/24`)
    const ip = method === 'DELETE' ? prefixOrIpParam(param) : ipParam(param);
    if (method === 'GET') {
      const ban = guard.bans.get(ip);
      if (!ban) throw new DaemonError('GG_ADMIN_NOT_FOUND', `${ip} is not banned`);
      const holds = kernelHolds(guard);
      return { status: 200, body: { ban: holds === undefined ? ban : { ...ban, kernel: holds(ip) } } };
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
