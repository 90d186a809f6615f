/** @ghostguard/redis: bans shared between nodes over Redis. The package's whole public surface. */
export { backoffDelay } from './connection.js';
export type { StoreState } from './link-state.js';
export { decodeMessage, type SyncMessage, SyncMessageSchema } from './messages.js';
export {
  type RedisBansOptions,
  RedisBansOptionsSchema,
  type ResolvedRedisBansOptions,
  resolveRedisBansOptions,
} from './options.js';
export type { ReconcileReport } from './reconcile.js';
export { attachRedisBans, type RedisBans, type RedisBansHealth } from './redis-bans.js';
