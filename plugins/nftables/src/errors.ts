import { type CodedError, defineErrors, type ErrorCodeDoc } from '@ghostguard/core';

/**
 * Every code of @ghostguard/nftables, with what it means and what the operator does about it (docs/errors.md).
 * `ready` rejects with one of the first four at start; later the same codes are the `code` field of the
 * throttled `firewall-sync-failed` log lines (the guard keeps judging: the kernel side fails open). A bad option
 * is the core's GG_CONFIG_INVALID, naming the key.
 */
const FIREWALL_CODES = {
  GG_FIREWALL_NFT_MISSING: {
    means:
      'The nft command (or the first word of firewall.command) could not be started: not installed or not on PATH.',
    action:
      'Install nftables (Debian: apt-get install nftables) or set firewall.command to its full path; the guard keeps judging meanwhile.',
  },
  GG_FIREWALL_NO_PERMISSION: {
    means: 'nft answered "Operation not permitted": the daemon lacks CAP_NET_ADMIN.',
    action:
      'Run the daemon with AmbientCapabilities=CAP_NET_ADMIN (examples/systemd/ghostguard.service) or as root; the guard keeps judging meanwhile.',
  },
  GG_FIREWALL_REJECTED: {
    means:
      'nft refused a batch (the message carries its first error line). The whole batch was rolled back; a full reconcile follows.',
    action:
      'None if it does not repeat (an element expired between two batches). If it repeats, check the kernel supports nftables sets with timeouts and intervals (Linux 4.x or later) and that nothing else edits the table.',
  },
  GG_FIREWALL_TIMEOUT: {
    means: 'An nft run took longer than firewall.commandTimeout and was killed.',
    action: 'Check the machine is not overloaded; the batch is retried through a full reconcile.',
  },
  GG_FIREWALL_LIST_INVALID: {
    means: 'The JSON listing of the table (nft -j list table) did not have the expected shape.',
    action: 'Check the nft version (1.0 or later); report it with the nft version if it repeats.',
  },
  GG_FIREWALL_CLOSED: {
    means: 'attachFirewall() was closed before its first reconcile finished: `ready` rejects with it.',
    action: 'None when shutting down.',
  },
  GG_FIREWALL_NETNS: {
    means:
      'The test helper (@ghostguard/nftables/testing) could not create its network namespaces or veth pair (needs root and iproute2).',
    action: 'Run the firewall tests as root on a machine where `ip netns add` works; the message has the output.',
  },
} as const satisfies Record<string, ErrorCodeDoc>;

export type FirewallErrorCode = keyof typeof FIREWALL_CODES;

/** Errors of @ghostguard/nftables: each carries one of the codes above. */
export const FirewallError = defineErrors<FirewallErrorCode>('FirewallError', FIREWALL_CODES);
export type FirewallError = CodedError<FirewallErrorCode>;
