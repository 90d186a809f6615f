import { type Action, type ConfigInput, createGuard, createLogger, type Guard } from '@ghostguard/core';

/** Addresses in this /16 are deny-listed by `guardThat`: their requests score exactly 100. */
export const DENIED_NET = '10.66.0.0/16';
export const DENIED_IP = '10.66.0.7';
export const CLEAN_IP = '192.0.2.10';

/** A silent guard whose policy turns a deny-listed source into `action` (the denylist weighs 100, never bans). */
export function guardThat(action: Action, over: ConfigInput = {}): Guard {
  return createGuard(
    {
      log: { level: 'silent' },
      deny: { cidrs: [DENIED_NET] },
      dialShape: { knownTargets: ['room-*', '555'], localAddresses: ['127.0.0.1'] },
      policy: { tiers: [{ minScore: 100, action }] },
      ...over,
    },
    { logger: createLogger({ log: { level: 'silent' } }) },
  );
}
