import { type CodedError, defineErrors } from '@ghostguard/core';

/**
 * Every code the gate's errors carry, with what it means and what to do (docs/errors.md lists them). A bad
 * option is the core's GG_CONFIG_INVALID, naming the key.
 */
const H323_GATE_CODES = {
  GG_H323_GATE_LISTEN: {
    means:
      'The gate could not listen on its address: in use (EADDRINUSE), not allowed (EACCES: port 1720 needs ' +
      'CAP_NET_BIND_SERVICE or root) or not an address of this host (EADDRNOTAVAIL). `ready` rejects with it; ' +
      "the system's error is its `cause`.",
    action:
      'Free the port, grant the capability (setcap cap_net_bind_service=+ep on node) or fix `listen`; nothing ' +
      'answers on the port meanwhile, so calls are refused (fail-closed).',
  },
  GG_H323_GATE_CLOSED: {
    means: 'close() was called before the gate was listening: `ready` rejects with it.',
    action: 'None when the close was meant (a shutdown during start-up); otherwise attach again.',
  },
  GG_H323_GATE_UPSTREAM_TIMEOUT: {
    means: 'A room system did not accept the relayed connection within `upstreamConnectTimeout`.',
    action:
      'Check that the upstream is up and reachable from the gate (logged as h323-upstream-error); the caller ' +
      'got ReleaseComplete unreachableDestination, cause 27.',
  },
} as const;

export type H323GateErrorCode = keyof typeof H323_GATE_CODES;

/** Errors of @ghostguard/h323-gate: each carries one of the codes above. */
export const H323GateError = defineErrors<H323GateErrorCode>('H323GateError', H323_GATE_CODES);
export type H323GateError = CodedError<H323GateErrorCode>;
