/**
 * @ghostguard/nftables: the kernel bouncer. Keeps an nftables table of its own (`table inet ghostguard`) in step
 * with the guard's bans, so that a banned source is dropped by the kernel before any PBX sees it. The whole public
 * surface.
 */
export { attachFirewall, type Firewall, type FirewallStats } from './attach.js';
export { FirewallError, type FirewallErrorCode } from './errors.js';
export { flushFirewall } from './flush.js';
export type { SyncState } from './kernel-sync.js';
export {
  type FirewallOptions,
  FirewallOptionsSchema,
  type ResolvedFirewallOptions,
  resolveFirewallOptions,
} from './options.js';
export { type NftRunner, spawnRunner } from './runner.js';
