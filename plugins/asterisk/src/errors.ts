/** Typed errors of the Asterisk adapter (codes in the style of @ghostguard/core's GhostguardError). */
export type AsteriskErrorCode =
  /** Asterisk refused the manager login (wrong username or secret, or the user is not allowed from here). */
  | 'GG_ASTERISK_AUTH'
  /** A GhostguardCheck event carried a field that does not decode, or no channel (the `code` of those log lines). */
  | 'GG_ASTERISK_FIELD'
  /** attachAsterisk() was closed before the connection was ready. */
  | 'GG_ASTERISK_CLOSED';

export class AsteriskError extends Error {
  readonly code: AsteriskErrorCode;

  constructor(code: AsteriskErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AsteriskError';
    this.code = code;
  }
}
