import type { CallAttempt, MalformedRequest } from '@ghostguard/core';

/** Why an input item was read but not judged. */
export type NotJudgedReason =
  /** SIP responses: the guard judges requests. */
  | 'response'
  /** In-dialog requests (To tag), ACK and CANCEL: they belong to a call already judged. */
  | 'in-dialog'
  /** The same request again (UDP retransmission): judged once. */
  | 'retransmission'
  /**
   * Bytes that are not a SIP request at all (no `METHOD URI SIP/x.y` start line): what no SIP stack would hand
   * to the guard. A request whose start line says SIP but does not decode is judged instead (`undecodable`).
   */
  | 'malformed-sip'
  /** TCP connections that carry neither SIP nor H.323 call signalling (ESL, AMI, TLS…). */
  | 'non-sip-stream'
  /** H.323 call signalling other than a SETUP (CallProceeding, Alerting, Connect, Facility, ReleaseComplete…). */
  | 'h323-other'
  /** H.245 on a TPKT connection of its own (what follows a call's Connect; the guard judges SETUPs). */
  | 'h245'
  /** H.225.0 RAS datagrams (UDP 1719: GRQ, RRQ, ARQ, LRQ…): recognised and counted, not judged. */
  | 'h323-ras';

export type InputRecord =
  | { kind: 'attempt'; attempt: CallAttempt }
  /**
   * A SIP request the core's parser cannot read (its start line): judged as the live guard judges it
   * (`guard.judgeMalformed(malformed)`, the MalformedRequest the drachtio plugin builds); `attempt` stands in
   * for it in reports (method, source, time; nothing else could be read).
   */
  | { kind: 'undecodable'; malformed: MalformedRequest; attempt: CallAttempt }
  | { kind: 'not-judged'; reason: NotJudgedReason };

export const NOT_JUDGED_REASONS: readonly NotJudgedReason[] = [
  'response',
  'in-dialog',
  'retransmission',
  'malformed-sip',
  'non-sip-stream',
  'h323-other',
  'h245',
  'h323-ras',
];
