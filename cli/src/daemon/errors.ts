/**
 * Typed errors of the daemon's admin API and its client. The HTTP status travels with the code so the server
 * answers `{ error: { code, message } }` with the right status and the client can branch on `code`.
 */
export type DaemonErrorCode =
  | 'GG_ADMIN_UNAUTHORIZED'
  | 'GG_ADMIN_FORBIDDEN'
  | 'GG_ADMIN_NOT_FOUND'
  | 'GG_ADMIN_METHOD'
  | 'GG_ADMIN_TOO_LARGE'
  | 'GG_ADMIN_BAD_REQUEST'
  | 'GG_ADMIN_CONFLICT'
  | 'GG_ADMIN_RELOAD_FAILED'
  | 'GG_ADMIN_INTERNAL'
  | 'GG_ADMIN_UNREACHABLE'
  | 'GG_ADMIN_BAD_RESPONSE'
  | 'GG_DAEMON_START';

const STATUS: Record<DaemonErrorCode, number> = {
  GG_ADMIN_UNAUTHORIZED: 401,
  GG_ADMIN_FORBIDDEN: 403,
  GG_ADMIN_NOT_FOUND: 404,
  GG_ADMIN_METHOD: 405,
  GG_ADMIN_TOO_LARGE: 413,
  GG_ADMIN_BAD_REQUEST: 400,
  GG_ADMIN_CONFLICT: 409,
  GG_ADMIN_RELOAD_FAILED: 422,
  GG_ADMIN_INTERNAL: 500,
  GG_ADMIN_UNREACHABLE: 502,
  GG_ADMIN_BAD_RESPONSE: 502,
  GG_DAEMON_START: 500,
};

export class DaemonError extends Error {
  readonly code: DaemonErrorCode;
  readonly status: number;

  constructor(code: DaemonErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DaemonError';
    this.code = code;
    this.status = options.status ?? STATUS[code];
  }
}

export function isDaemonError(err: unknown): err is DaemonError {
  return err instanceof DaemonError;
}
