/**
 * The two mappings FreeSWITCH applies on a refused inbound SIP call: the SIP status mod_sofia answers for a
 * hangup cause (hangup_cause_to_sip) and the cause a `respond <code>` leaves on the channel. Only the causes
 * an adapter or a scanner-facing dialplan uses; anything else answers 480 as mod_sofia's default does.
 */
const CAUSE_TO_SIP: Record<string, number> = {
  UNALLOCATED_NUMBER: 404,
  NO_ROUTE_DESTINATION: 404,
  USER_BUSY: 486,
  NO_USER_RESPONSE: 408,
  NO_ANSWER: 480,
  SUBSCRIBER_ABSENT: 480,
  CALL_REJECTED: 603,
  NUMBER_CHANGED: 410,
  DESTINATION_OUT_OF_ORDER: 502,
  INVALID_NUMBER_FORMAT: 484,
  NORMAL_TEMPORARY_FAILURE: 503,
  SERVICE_UNAVAILABLE: 503,
  NORMAL_CLEARING: 480,
  ORIGINATOR_CANCEL: 487,
  INCOMPATIBLE_DESTINATION: 488,
};

const SIP_TO_CAUSE: Record<number, string> = {
  403: 'CALL_REJECTED',
  404: 'UNALLOCATED_NUMBER',
  408: 'RECOVERY_ON_TIMER_EXPIRE',
  480: 'NO_USER_RESPONSE',
  486: 'USER_BUSY',
  503: 'NORMAL_TEMPORARY_FAILURE',
  603: 'CALL_REJECTED',
};

export function sipStatusForCause(cause: string): number {
  return CAUSE_TO_SIP[cause] ?? 480;
}

export function causeForSipStatus(status: number): string {
  return SIP_TO_CAUSE[status] ?? 'NORMAL_UNSPECIFIED';
}
