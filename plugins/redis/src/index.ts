/**
 * @ghostguard/redis: bans and PBX-reported failures shared between nodes, over Redis or (several guards in one
 * process) an in-memory hub. The whole public surface.
 */
export { attachRedisBans, type RedisBans } from './attach.js';
export { backoffDelay } from './connection.js';
export { RedisBansError, type RedisBansErrorCode } from './errors.js';
export type { StoreState } from './link-state.js';
export { MemoryBanHub } from './memory-hub.js';
export { MemoryBanStore } from './memory-store.js';
export { decodeMessage, SHARED_REPORT_KINDS, type SyncMessage, SyncMessageSchema } from './messages.js';
export {
  type RedisBansOptions,
  RedisBansOptionsSchema,
  type ResolvedRedisBansOptions,
  resolveRedisBansOptions,
} from './options.js';
export type { ReconcileReport } from './reconcile.js';
export { createRedisStore } from './redis-store.js';
export type { RedisBansHealth, RedisBansStats, SharedReportsHealth } from './stats.js';
export type {
  BanLift,
  BanWrite,
  BatchResult,
  BlacklistSet,
  LiftResult,
  SharedBanStore,
  StoreListener,
  WriteResult,
} from './store.js';
