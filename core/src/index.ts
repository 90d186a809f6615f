export {
  type Attachment,
  type CallStats,
  countBinding,
  countEnforced,
  emptyCallStats,
  emptyRoomSyncStats,
  type RoomSyncStats,
  readiness,
} from './adapter.js';
export * from './attempt.js';
export { checkAttemptShape } from './attempt-check.js';
export * from './config.js';
export * from './errors.js';
export { type FeedInfo, type FeedUpdate, MAX_FEED_ENTRIES } from './feeds/feed-lists.js';
export * from './guard.js';
export { createLogger, type Logger, LogThrottle } from './log.js';
export { CidrSet } from './net/cidr-set.js';
export { formatIpv6, isIpLiteral, type ParsedIp, parseIp, prefixKey } from './net/ip.js';
export * from './outcome.js';
export {
  RefusalLog,
  type RefusalLogOptions,
  type RefusalLogStats,
  type RefusalNote,
  type RefusalWindow,
} from './refusal-log.js';
export type { BindingDecision, PlatformBinding } from './rooms/accept-binding.js';
export type { GuardRooms, RegisterCheck, RegisterCheckResult } from './rooms/guard-rooms.js';
export {
  type BindingChange,
  contactHost,
  normalizeRoomName,
  type RoomEntry,
  type RoomRegistration,
} from './rooms/room-registry.js';
export { BUILTIN_MARKERS, BUILTIN_SHAPES } from './rules/fingerprint-table.js';
export { decodeSipviciousFromTag } from './rules/fingerprints.js';
export type { BanOrigin, UnbanCause } from './state/ban-list.js';
export { type ParsedRange, parseRange, rangeHas } from './state/range-index.js';
export type { TarpitBudget, TarpitSlot } from './tarpit.js';
export * from './verdict.js';
