/** @ghostguard/h323-gate: a guarded front for H.323 call signalling (TCP 1720). The package's whole public surface. */
export { createH323Gate, type GateAddress, type H323Gate } from './gate.js';
export {
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
