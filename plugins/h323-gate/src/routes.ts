import type { H323Attempt } from '@ghostguard/core';
import type { Upstream } from './options.js';

export interface Routes {
  byAlias: ReadonlyMap<string, Upstream>;
  default: Upstream | undefined;
}

export interface Route {
  upstream: Upstream;
  /** The alias or number that chose it; undefined when the default upstream was taken. */
  alias: string | undefined;
}

/**
 * The room system a call goes to: the first destination alias (in the SETUP's order), then the Called
 * Party Number, then the attempt's target, that names an upstream; else the default upstream.
 * `attempt` is undefined for a SETUP whose Q.931 header did not decode (let through only from a trusted
 * source or in monitor mode): it can only take the default. One read in part routes by what was read.
 */
export function pickRoute(attempt: H323Attempt | undefined, routes: Routes): Route | undefined {
  if (attempt !== undefined && routes.byAlias.size > 0) {
    const h = attempt.h323;
    for (const alias of h.destinationAliases) {
      const up = routes.byAlias.get(alias.value);
      if (up) return { upstream: up, alias: alias.value };
    }
    for (const candidate of [h.calledNumber, attempt.target.user]) {
      if (candidate === undefined) continue;
      const up = routes.byAlias.get(candidate);
      if (up) return { upstream: up, alias: candidate };
    }
  }
  return routes.default ? { upstream: routes.default, alias: undefined } : undefined;
}

/** The text a log line shows for the called party. */
export function targetOf(attempt: H323Attempt): string | undefined {
  const h = attempt.h323;
  return attempt.target.user ?? h.calledNumber ?? h.destinationAliases[0]?.value ?? h.destCallSignalAddress;
}
