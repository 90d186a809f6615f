/** @ghostguard/redis: bans and PBX-reported failures shared between nodes over Redis. The whole public surface. */
export { backoffDelay } from './connection.js';
export type { StoreState } from './link-state.js';
export { decodeMessage, SHARED_REPORT_KINDS, type SyncMessage, SyncMessageSchema } from './messages.js';
export {
  type RedisBansOptions,
  RedisBansOptionsSchema,
  type ResolvedRedisBansOptions,
  resolveRedisBansOptions,
} from './options.js';
export type { ReconcileReport } from './reconcile.js';
export { attachRedisBans, type RedisBans, type RedisBansHealth, type SharedReportsHealth } from './redis-bans.js';
