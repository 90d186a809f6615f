import type { CallAttempt } from '@ghostguard/core';

/** Why an input item was read but not judged. */
export type NotJudgedReason =
  /** SIP responses: the guard judges requests. */
  | 'response'
  /** In-dialog requests (To tag), ACK and CANCEL: they belong to a call already judged. */
  | 'in-dialog'
  /** The same request again (UDP retransmission): judged once. */
  | 'retransmission'
  /** Bytes on a SIP port that do not parse as SIP. */
  | 'malformed-sip'
  /** TCP connections that do not carry SIP (ESL, AMI, H.245…). */
  | 'non-sip-stream';

export type InputRecord = { kind: 'attempt'; attempt: CallAttempt } | { kind: 'not-judged'; reason: NotJudgedReason };

export const NOT_JUDGED_REASONS: readonly NotJudgedReason[] = [
  'response',
  'in-dialog',
  'retransmission',
  'malformed-sip',
  'non-sip-stream',
];
