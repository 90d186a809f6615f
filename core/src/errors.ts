/**
 * Typed errors with stable codes (fastify style): callers branch on `code`, logs carry it as a field.
 * Every decoder reports where it stopped (`offset`) so a bad capture or packet can be located.
 */
export type ErrorCode =
  | 'GG_CONFIG_INVALID'
  | 'GG_CONFIG_READ'
  | 'GG_ATTEMPT_INVALID'
  | 'GG_SIP_PARSE'
  | 'GG_SIP_TOO_LARGE'
  | 'GG_CAPTURE_FORMAT'
  | 'GG_CAPTURE_TRUNCATED'
  | 'GG_STATE_IO'
  | 'GG_INPUT_FORMAT'
  | 'GG_H323_DECODE'
  | 'GG_H323_TOO_LARGE';

export class GhostguardError extends Error {
  readonly code: ErrorCode;
  /** Byte offset (in the message or file) where decoding stopped, when it applies. */
  readonly offset: number | undefined;

  constructor(code: ErrorCode, message: string, options: { offset?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GhostguardError';
    this.code = code;
    this.offset = options.offset;
  }
}

export function isGhostguardError(err: unknown): err is GhostguardError {
  return err instanceof GhostguardError;
}
