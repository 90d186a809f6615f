/** @ghostguard/drachtio: ghostguard for drachtio-srf apps. The package's whole public surface. */
export { attachDrachtio, type DrachtioAttachment } from './attach.js';
export { ADAPTER_NAME, type AttemptResult, type DrachtioRequestLike, toAttempt } from './attempt.js';
export { type AuthRequestLike, type AuthResponseLike, reportAuthFailure, reportAuthOutcomes } from './auth-outcomes.js';
export { type BanMirror, type BanSink, MemoryBanSink, type MirrorOptions, mirrorBans } from './ban-mirror.js';
export { DrachtioError, type DrachtioErrorCode } from './errors.js';
export {
  type ConnectionWatch,
  type GuardedRequest,
  type GuardedResponse,
  type GuardMiddleware,
  type Next,
  type SrfEvents,
  type SrfLike,
  watchSrfConnection,
} from './link.js';
export {
  DEFAULT_METHODS,
  type DrachtioOptions,
  type DrachtioSection,
  type DrachtioSectionInput,
  DrachtioSectionSchema,
  GUARDABLE_METHODS,
  type GuardableMethod,
  MAX_TARPIT_HOLD_MS,
  type ResolvedDrachtioOptions,
  resolveDrachtioOptions,
} from './options.js';
export { withMethods } from './srf-types.js';
export type { DrachtioGuardStats } from './stats.js';
export { isSrfFailureCode, SRF_FAILURE_CODES } from './status-table.js';
