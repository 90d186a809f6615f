/** @ghostguard/drachtio: ghostguard for drachtio-srf apps. The package's whole public surface. */
export { attachGuard, type GuardAttachment, type SrfLike } from './attach.js';
export { ADAPTER_NAME, type AttemptResult, type DrachtioRequestLike, toAttempt } from './attempt.js';
export { type AuthRequestLike, type AuthResponseLike, reportAuthFailure, reportAuthOutcomes } from './auth-outcomes.js';
export { type BanMirror, type BanSink, MemoryBanSink, type MirrorOptions, mirrorBans } from './ban-mirror.js';
export type { GuardedRequest, GuardedResponse, GuardMiddleware, Next } from './middleware.js';
export {
  type AttachOptions,
  DEFAULT_METHODS,
  type DrachtioSection,
  type DrachtioSectionInput,
  DrachtioSectionSchema,
  GUARDABLE_METHODS,
  type GuardableMethod,
  MAX_TARPIT_HOLD_MS,
  type ResolvedAttachOptions,
  resolveAttachOptions,
} from './options.js';
export { withMethods } from './srf-types.js';
export type { DrachtioGuardStats } from './stats.js';
export { isSrfFailureCode, SRF_FAILURE_CODES } from './status-table.js';
