/**
 * @ghostguard/h323-gate: a guarded front for H.323 call signalling (TCP 1720). The package's whole public surface:
 * `attachH323Gate(guard, listen, options?) → H323GateAttachment`, as every adapter attaches.
 */
export { attachH323Gate, type H323GateAttachment } from './attach.js';
export { H323GateError, type H323GateErrorCode } from './errors.js';
export type { GateAddress } from './link.js';
export {
  type H323GateListen,
  H323GateListenSchema,
  type H323GateOptions,
  H323GateOptionsSchema,
  type H323GateSection,
  H323GateSectionSchema,
  type Release,
  type ResolvedGateOptions,
  resolveGateOptions,
  type Upstream,
} from './options.js';
export type { H323GateStats } from './stats.js';
