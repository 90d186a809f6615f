/**
 * attachFreeswitch(options, guard): the outbound socket (veto path) and the inbound client (learning path)
 * together, with one close().
 */
import type { Guard } from '@ghostguard/core';
import { InboundClient } from './inbound-client.js';
import { type FreeswitchOptions, resolveFreeswitchOptions } from './options.js';
import { type OutboundAddress, startOutboundSocket } from './outbound-socket.js';
import { emptyStats, type FreeswitchStats } from './stats.js';

export interface FreeswitchAttachment {
  /** Where the outbound socket listens (the dialplan's `socket` data), when enabled. */
  readonly outbound: OutboundAddress | undefined;
  stats(): FreeswitchStats;
  /** Resolves once the inbound client has an accepted subscription (immediately when inbound is disabled). */
  inboundReady(): Promise<void>;
  /** Stops listening, ends open calls' sockets, logs out of the inbound socket; idempotent. */
  close(): Promise<void>;
}

export async function attachFreeswitch(options: FreeswitchOptions, guard: Guard): Promise<FreeswitchAttachment> {
  const opts = resolveFreeswitchOptions(options, guard);
  const stats = emptyStats();
  const outbound = opts.outbound.enabled ? await startOutboundSocket(opts, guard, stats) : undefined;
  const inbound = opts.inbound.enabled ? new InboundClient(opts, guard, stats) : undefined;
  inbound?.start();
  opts.logger.info({
    event: 'freeswitch-attached',
    outbound: outbound ? `${outbound.address.host}:${outbound.address.port}` : 'disabled',
    inbound: opts.inbound.enabled ? `${opts.inbound.host}:${opts.inbound.port}` : 'disabled',
    failPolicy: opts.failPolicy,
  });
  let closing: Promise<void> | undefined;
  return {
    outbound: outbound?.address,
    stats: () => structuredClone(stats),
    inboundReady: () => inbound?.whenSubscribed() ?? Promise.resolve(),
    close: () => {
      closing ??= Promise.all([outbound?.close(), inbound?.close()]).then(() => {
        opts.logger.info({ event: 'freeswitch-detached' });
      });
      return closing;
    },
  };
}
