/**
 * Typed errors of the FreeSWITCH adapter. They are logged (field `code`) and counted, never thrown into
 * the host application: every one of them ends in an explicit fail-open or fail-closed decision.
 */
export type FreeswitchErrorCode =
  /** A frame (headers or body) larger than `maxFrameBytes`: the connection is closed. */
  | 'GG_ESL_FRAME_TOO_LARGE'
  /** A header value with a malformed %-escape: decoded leniently, the escape kept as text. */
  | 'GG_ESL_BAD_ESCAPE'
  /** FreeSWITCH connected but sent no CHANNEL_DATA in time. */
  | 'GG_ESL_NO_CHANNEL_DATA'
  /** CHANNEL_DATA without a usable source address. */
  | 'GG_ESL_CHANNEL_DATA_INVALID'
  /** The inbound socket refused the password. */
  | 'GG_ESL_AUTH_FAILED'
  /** The inbound socket refused the event subscription. */
  | 'GG_ESL_SUBSCRIBE_FAILED'
  /** A socket or library error (EPIPE, ECONNRESET, a JSON body that does not parse). */
  | 'GG_ESL_SOCKET';

export class FreeswitchError extends Error {
  readonly code: FreeswitchErrorCode;

  constructor(code: FreeswitchErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FreeswitchError';
    this.code = code;
  }
}
