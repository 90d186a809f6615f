import type { Guard } from '@ghostguard/core';
import { createGuardMiddleware, type GuardMiddleware } from './middleware.js';
import { type AttachOptions, type ResolvedAttachOptions, resolveAttachOptions } from './options.js';
import { moveLayersToFront } from './srf-internals.js';
import { type DrachtioGuardStats, emptyStats } from './stats.js';
import type { TarpitHold } from './tarpit.js';

/**
 * The part of an `Srf` instance attachGuard uses (an `Srf` is one): `use(method, handler)`. Typed loosely because
 * drachtio-srf declares `use` as overloads whose handler types differ from the plugin's request view.
 */
export interface SrfLike {
  use: (...args: never[]) => unknown;
  readonly app?: unknown;
}

type UseMethod = (method: string, handler: GuardMiddleware) => unknown;

export interface GuardAttachment {
  readonly options: ResolvedAttachOptions;
  /** Methods routed and judged (lower case). */
  readonly methods: readonly string[];
  stats(): DrachtioGuardStats;
  /** Ends every held tarpit now, without a final answer (shutdown); later requests are still judged. */
  releaseTarpits(): void;
}

/**
 * Guards a drachtio-srf app: routes each guarded method itself (drachtio-server forwards only methods some app
 * routed, so a `'*'` middleware alone would never see an unrouted REGISTER or OPTIONS) and puts the guard's
 * layer before the app's handlers, wherever they were registered. Call it before `srf.connect()` or after:
 * drachtio-srf sends the routes when it is (re)connected.
 */
export function attachGuard(srf: SrfLike, guard: Guard, options?: AttachOptions): GuardAttachment {
  const resolved = resolveAttachOptions(guard, options);
  const stats = emptyStats();
  const holds = new Set<TarpitHold>();
  const middleware = createGuardMiddleware(guard, resolved, stats, holds);
  const use = srf.use as unknown as UseMethod;
  for (const method of resolved.methods) use.call(srf, method, middleware);
  if (!moveLayersToFront(srf.app, new Set([middleware]))) {
    resolved.logger.warn(
      { event: 'layer-order-unknown' },
      'could not place the guard before existing handlers: attach it before registering them',
    );
  }
  resolved.logger.info(
    { event: 'attached', methods: resolved.methods, reject: resolved.reject.status, tarpitHoldMs: resolved.holdFor },
    'ghostguard attached to drachtio-srf',
  );
  return {
    options: resolved,
    methods: resolved.methods,
    stats: () => ({ ...stats }),
    releaseTarpits: () => {
      for (const hold of [...holds]) hold.close();
    },
  };
}
