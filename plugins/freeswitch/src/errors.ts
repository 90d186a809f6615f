import { type CodedError, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/**
 * The FreeSWITCH adapter's codes. Once attached they are logged (field `code`) and counted, never thrown into the
 * host application: every one of them ends in an explicit fail-open or fail-closed decision. Only attaching
 * fails with one (GG_ESL_NOT_LISTENING, GG_ESL_LISTEN, GG_ESL_CLOSED).
 */
const FREESWITCH_CODES = {
  GG_ESL_FRAME_TOO_LARGE: {
    means:
      'An Event Socket frame (headers or body) was larger than maxFrameBytes: the connection was closed (on the outbound socket, after the fail policy decided the call).',
    action:
      'If a legitimate call or a large registration listing hits it, raise adapters.freeswitch.outbound.maxFrameBytes or inbound.maxFrameBytes; otherwise nothing (the peer sent garbage).',
  },
  GG_ESL_BAD_ESCAPE: {
    means: 'A header value had a malformed %-escape: it was decoded leniently, the escape kept as text.',
    action:
      'None: usually a scanner putting junk in a SIP header that FreeSWITCH passed on; the call was still judged.',
  },
  GG_ESL_NO_CHANNEL_DATA: {
    means: 'FreeSWITCH connected to the outbound socket but sent no CHANNEL_DATA within channelDataTimeout.',
    action:
      'Check FreeSWITCH load and the dialplan `socket` application (async full); raise adapters.freeswitch.outbound.channelDataTimeout if the box is slow. The fail policy decided the call.',
  },
  GG_ESL_CHANNEL_DATA_INVALID: {
    means: 'The CHANNEL_DATA of a call had no usable source address (variable_sip_network_ip, Caller-Network-Addr).',
    action:
      'Check that only calls from sofia (SIP) or mod_h323 channels enter the outbound socket, as in examples/freeswitch; the fail policy decided the call.',
  },
  GG_ESL_AUTH_FAILED: {
    means: "FreeSWITCH's inbound event socket refused the password; ghostguard retries only every reconnect.maxDelay.",
    action:
      'Set adapters.freeswitch.inbound.password to the password in event_socket.conf.xml and reload; learning from sofia events and room sync stay off until then.',
  },
  GG_ESL_SUBSCRIBE_FAILED: {
    means: 'The inbound event socket refused the event subscription; the connection is dropped and retried.',
    action: 'Check the event socket ACL (apply-inbound-acl) and the FreeSWITCH log for the refusal.',
  },
  GG_ESL_SOCKET: {
    means:
      'A socket or library error on an Event Socket connection (EPIPE, ECONNRESET, a JSON body that does not parse).',
    action:
      'None for an occasional one (a call hung up mid-exchange); if it repeats, check the network path to FreeSWITCH and the FreeSWITCH log.',
  },
  GG_ESL_NOT_LISTENING: {
    means: 'The server given to attachFreeswitch() as `server` was not listening on a TCP address.',
    action:
      'Call server.listen() (and wait for it) before attachFreeswitch(), or leave `server` out and set outbound.host/port.',
  },
  GG_ESL_CLOSED: {
    means: 'attachFreeswitch() was closed before it was ready (the `ready` promise rejects with it).',
    action: 'None: a shutdown during start-up.',
  },
  GG_ESL_LISTEN: {
    means:
      'The outbound socket could not listen on outbound.host/port (address in use, no permission, no such address).',
    action:
      'Free the port or change adapters.freeswitch.outbound.port (and the dialplan `socket` data with it); the message carries the system error.',
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type FreeswitchErrorCode = keyof typeof FREESWITCH_CODES;

/** Typed errors of the FreeSWITCH adapter. */
export const FreeswitchError = defineErrors<FreeswitchErrorCode>('FreeswitchError', FREESWITCH_CODES);
export type FreeswitchError = CodedError<FreeswitchErrorCode>;
