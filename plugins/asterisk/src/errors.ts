import { type CodedError, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/** The Asterisk adapter's codes: what each means and what the operator does about it (docs/errors.md). */
const ASTERISK_CODES = {
  GG_ASTERISK_AUTH: {
    means:
      'Asterisk refused the manager (AMI) login: wrong username or secret, or the user is not permitted from this address.',
    action:
      'Check the [user] section of manager.conf (secret, permit/deny) against adapters.asterisk.username/secret, then `manager reload`; the adapter keeps retrying with backoff.',
  },
  GG_ASTERISK_FIELD: {
    means:
      'A GhostguardCheck event carried a field that is not URI-encoded or is past the size limit, or named no channel (the `code` of those log lines).',
    action:
      'Check that the dialplan sends every field through URIENCODE() as in examples/asterisk; a field from a hostile caller is judged as undecodable input and needs nothing.',
  },
  GG_ASTERISK_CLOSED: {
    means: 'attachAsterisk() was closed before its AMI connection was ready (the `ready` promise rejects with it).',
    action: 'None when shutting down; otherwise wait for `ready` before closing the attachment.',
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type AsteriskErrorCode = keyof typeof ASTERISK_CODES;

/** Typed errors of the Asterisk adapter (codes in the style of @ghostguard/core's GhostguardError). */
export const AsteriskError = defineErrors<AsteriskErrorCode>('AsteriskError', ASTERISK_CODES);
export type AsteriskError = CodedError<AsteriskErrorCode>;
