/**
 * attachFreeswitch(guard, eventSocket, options): the outbound socket (veto path, link.ts) and the inbound client
 * (learning path, inbound-client.ts) together, behind the one adapter contract.
 */
import { type Attachment, type Guard, readiness } from '@ghostguard/core';
import { FreeswitchError } from './errors.js';
import { InboundClient } from './inbound-client.js';
import { type OutboundAddress, type OutboundSocket, startOutboundSocket } from './link.js';
import { type EventSocketAccess, type FreeswitchOptions, resolveFreeswitchOptions } from './options.js';
import { emptyStats, type FreeswitchStats } from './stats.js';

export interface FreeswitchAttachment extends Attachment<FreeswitchStats> {
  /**
   * Resolves once the outbound socket listens and the inbound client has an accepted subscription (each when
   * enabled). Rejects with GG_ESL_LISTEN when the outbound socket cannot listen, GG_ESL_CLOSED when closed first;
   * a refused inbound password does not reject it (the client keeps retrying and logs GG_ESL_AUTH_FAILED).
   */
  readonly ready: Promise<void>;
  /** Resolves with where the outbound socket listens (the dialplan's `socket` data), undefined when disabled. */
  readonly listening: Promise<OutboundAddress | undefined>;
  /** Where the outbound socket listens, once it does. */
  readonly outbound: OutboundAddress | undefined;
  /** Stops listening, ends open calls' sockets, logs out of the inbound socket; idempotent. */
  close(): Promise<void>;
}

export function attachFreeswitch(
  guard: Guard,
  eventSocket: EventSocketAccess,
  options: FreeswitchOptions = {},
): FreeswitchAttachment {
  const opts = resolveFreeswitchOptions(eventSocket, options, guard);
  const stats = emptyStats();
  const { ready, settle } = readiness();
  let outbound: OutboundSocket | undefined;
  let closed = false;
  const listening: Promise<OutboundAddress | undefined> = opts.outbound.enabled
    ? startOutboundSocket(opts, guard, stats).then(
        async (socket) => {
          // Closed while the listener was starting: it must not outlive the attachment.
          if (closed) await socket.close();
          else outbound = socket;
          return socket.address;
        },
        (err: unknown) => {
          throw err instanceof FreeswitchError
            ? err
            : new FreeswitchError('GG_ESL_LISTEN', `freeswitch: outbound socket: ${(err as Error)?.message ?? err}`, {
                cause: err,
              });
        },
      )
    : Promise.resolve(undefined);
  listening.catch(() => {});
  const inbound = opts.inbound.enabled ? new InboundClient(opts, guard, stats) : undefined;
  inbound?.start();
  Promise.all([listening, inbound?.whenSubscribed()]).then(
    () => settle(),
    (err: Error) => settle(err),
  );
  opts.logger.info({
    event: 'freeswitch-attached',
    outbound: opts.outbound.enabled ? `${opts.outbound.host}:${opts.outbound.port}` : 'disabled',
    inbound: opts.inbound.enabled ? `${opts.inbound.host}:${opts.inbound.port}` : 'disabled',
    failPolicy: opts.failPolicy,
  });
  let closing: Promise<void> | undefined;
  return {
    ready,
    listening,
    get outbound() {
      return outbound?.address;
    },
    stats: () => ({ ...structuredClone(stats), tarpitsHeld: outbound?.tarpitsHeld ?? 0 }),
    close: () => {
      closing ??= (async () => {
        closed = true;
        settle(new FreeswitchError('GG_ESL_CLOSED', 'closed before the Event Socket adapter was ready'));
        await Promise.all([outbound?.close(), inbound?.close(), listening.catch(() => undefined)]);
        opts.logger.info({ event: 'freeswitch-detached' });
      })();
      return closing;
    },
  };
}
