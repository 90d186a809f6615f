import type { BanInfo, Guard } from '@ghostguard/core';
import { credentialsUsername } from '@ghostguard/core/sip';
import { ADAPTER_NAME, sourcePortOf } from './attempt.js';
import type { Next } from './link.js';

/** What the helpers read of a drachtio-srf request. */
export interface AuthRequestLike {
  method?: unknown;
  source_address?: unknown;
  source_port?: unknown;
  get?: (name: string) => unknown;
  has?: (name: string) => unknown;
}
export interface AuthResponseLike {
  once(event: 'end', listener: (final: { status: number }) => void): unknown;
}

/** Answers that mean "these credentials did not work" when the request carried credentials. */
const FAILED_AUTH = new Set([401, 403, 407]);

function header(req: AuthRequestLike, name: string): string | undefined {
  try {
    const v = typeof req.get === 'function' ? req.get(name) : undefined;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/** The username of the request's Authorization or Proxy-Authorization header, if it has one. */
export function credentialsOf(req: AuthRequestLike): string | undefined | null {
  const value = header(req, 'authorization') ?? header(req, 'proxy-authorization');
  if (value === undefined) return null;
  return credentialsUsername(value);
}

function sourceOf(req: AuthRequestLike): { ip: string; port?: number } {
  const ip = typeof req.source_address === 'string' ? req.source_address : '';
  const port = sourcePortOf(req.source_port);
  return port === undefined ? { ip } : { ip, port };
}

/**
 * Reports one failed authentication (wrong password, unknown account) of `req` to the guard: with enough of them
 * within the behaviour window the source's later attempts score higher, and `bans.failuresToBan` bans it.
 * Returns the ban it caused. Never throws (the guard validates and logs a bad report).
 */
export function reportAuthFailure(guard: Guard, req: AuthRequestLike, detail?: string): BanInfo | undefined {
  const user = credentialsOf(req);
  const outcome: Parameters<Guard['report']>[0] = {
    kind: 'auth-failure',
    source: sourceOf(req),
    time: Date.now(),
    adapter: ADAPTER_NAME,
  };
  if (typeof user === 'string') outcome.target = user.slice(0, 256);
  if (detail !== undefined) outcome.detail = detail.slice(0, 512);
  return guard.report(outcome);
}

/**
 * Middleware for the app's auth layer: install it (per method, e.g. `srf.use('register', …)`) before
 * drachtio-mw-digest-auth or any handler that challenges. A request that carried credentials and was answered
 * 401, 403 or 407 is reported as an auth failure; a first, credential-less challenge is not a failure.
 */
export function reportAuthOutcomes(guard: Guard): (req: AuthRequestLike, res: AuthResponseLike, next: Next) => void {
  return function ghostguardAuthOutcomes(req, res, next) {
    try {
      if (credentialsOf(req) !== null) {
        res.once('end', ({ status }) => {
          if (FAILED_AUTH.has(status))
            reportAuthFailure(
              guard,
              req,
              `${typeof req.method === 'string' ? req.method.slice(0, 32) : 'request'} answered ${status}`,
            );
        });
      }
    } catch (err) {
      guard.logger.warn({ event: 'auth-outcome-error', adapter: ADAPTER_NAME, err }, 'could not watch an auth outcome');
    }
    next();
  };
}
