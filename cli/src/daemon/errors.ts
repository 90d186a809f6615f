import { type CodedErrorOptions, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/**
 * The daemon's codes (its admin API, the admin client of `ghostguard bans`, starting and reloading). Each
 * carries the HTTP status the admin endpoint answers `{ error: { code, message } }` with, so the client can
 * branch on `code`.
 */
const DAEMON_CODES = {
  GG_ADMIN_UNAUTHORIZED: {
    status: 401,
    means: 'An admin API request came without an `Authorization: Bearer <token>` header.',
    action:
      'Send the token of daemon.admin.token / tokenFile (`ghostguard bans --token`, --config, or $GHOSTGUARD_ADMIN_TOKEN).',
  },
  GG_ADMIN_FORBIDDEN: {
    status: 403,
    means: 'An admin API request carried a token the daemon does not accept.',
    action:
      'Use the current daemon.admin token (a changed tokenFile takes effect on reload); repeated ones in the log (admin-auth-failed) from an unknown address are someone guessing.',
  },
  GG_ADMIN_NOT_FOUND: {
    status: 404,
    means: 'The admin API has no such endpoint, or the address asked about is not banned.',
    action:
      'Check the path (/v1/bans, /v1/bans/<ip>, /v1/bans/<ip>/explain, /v1/rooms, /v1/stats, /v1/reload) or the address.',
  },
  GG_ADMIN_METHOD: {
    status: 405,
    means: 'The admin API endpoint does not take that HTTP method.',
    action: 'Use the method the message names (GET, POST or DELETE).',
  },
  GG_ADMIN_TOO_LARGE: {
    status: 413,
    means: 'An admin API request body was past the size limit (16 KiB).',
    action: 'Send a smaller body: one ban `{ ip, reason, ttl? }` per request.',
  },
  GG_ADMIN_BAD_REQUEST: {
    status: 400,
    means:
      'An admin API request did not validate: a body that is not JSON, an unknown field, an address that is not an IP literal, a bad reason, ttl or limit.',
    action: 'Fix the field the message names; nothing was changed.',
  },
  GG_ADMIN_CONFLICT: {
    status: 409,
    means:
      'A ban was asked for an address that is never banned: allowlisted (trust.cidrs), loopback, the unspecified address (0.0.0.0, ::) or an address of the host the daemon runs on.',
    action:
      'Nothing, for loopback and the addresses of this host; an allowlisted one: remove it from trust.cidrs and reload first if it really must be banned.',
  },
  GG_ADMIN_RELOAD_FAILED: {
    status: 422,
    means:
      'A reload asked through the admin API (`POST /v1/reload`) was refused: the body carries the configuration error; the running configuration was kept.',
    action: 'Fix the configuration error in the answer (its own code, e.g. GG_CONFIG_INVALID) and reload again.',
  },
  GG_ADMIN_INTERNAL: {
    status: 500,
    means: 'The admin endpoint failed while answering (a ghostguard bug); the daemon keeps running.',
    action: 'Report it with the `admin-error` line of the daemon log, which has the stack.',
  },
  GG_ADMIN_UNREACHABLE: {
    status: 502,
    means: '`ghostguard bans` got no answer from the admin endpoint (refused, timed out, DNS).',
    action:
      'Check the daemon runs (`ghostguard run`) with daemon.admin on, and that --admin or --config names its daemon.admin.listen address.',
  },
  GG_ADMIN_BAD_RESPONSE: {
    status: 502,
    means: '`ghostguard bans` got an answer that is not the admin API (not JSON, too large, or an unknown error).',
    action: 'Check that --admin points at the ghostguard admin endpoint, not another HTTP service or a proxy.',
  },
  GG_DAEMON_START: {
    status: 500,
    means:
      'A component of `ghostguard run` (an adapter, a store, an endpoint) could not start and daemon.requireAllComponents is on.',
    action:
      'Fix what the message names (a port in use: EADDRINUSE, a server that does not answer, a missing file); or set daemon.requireAllComponents: false to run without it.',
  },
  GG_DAEMON_TIMEOUT: {
    status: 500,
    means: 'A component of the daemon did not finish starting or closing within daemon.stopTimeout.',
    action:
      'Check what that component waits for (its server or port, named in the log); raise daemon.stopTimeout if the box is only slow.',
  },
  GG_DAEMON_STOPPING: {
    status: 503,
    means: 'A reload was asked while the daemon was stopping; nothing was reloaded.',
    action: 'None: start the daemon again with the new configuration.',
  },
  GG_RELOAD_FAILED: {
    status: 422,
    means:
      'A reload (SIGHUP or the admin API) failed on an error that carries no code of its own; the running configuration was kept.',
    action:
      'Read the message in the `reload-failed` log line, fix the cause and reload again; report it if it is not about your configuration.',
  },
  GG_DAEMON_INTERNAL: {
    status: 500,
    means:
      'The daemon was used against its own contract (two components of one name, a component started without its section, control used before start): a ghostguard bug.',
    action: 'Report it with the message and the stack.',
  },
} as const satisfies Record<string, ErrorCodeDoc & { status: number }>;

export type DaemonErrorCode = keyof typeof DAEMON_CODES;

export interface DaemonErrorOptions extends CodedErrorOptions {
  /** The HTTP status, when not the code's own (the client keeps the status the daemon answered). */
  readonly status?: number;
}

const Defined = defineErrors<DaemonErrorCode>('DaemonError', DAEMON_CODES);

/** Typed errors of the daemon: `status` is the HTTP status the admin endpoint answers with. */
export class DaemonError extends Defined {
  readonly status: number;

  constructor(code: DaemonErrorCode, message: string, options: DaemonErrorOptions = {}) {
    super(code, message, options);
    this.status = options.status ?? DAEMON_CODES[code].status;
  }
}

export function isDaemonError(err: unknown): err is DaemonError {
  return err instanceof DaemonError;
}
