import { type Guard, parseSection } from '@ghostguard/core';
import { attachFirewall, type Firewall, FirewallOptionsSchema } from '@ghostguard/nftables';
import type { Component } from './component.js';

/**
 * The running bouncer of each guard, for the admin API's ban list (`kernel: true|false` on each ban while the
 * firewall component runs; absent otherwise). One daemon runs one guard; a map keeps it honest in tests.
 */
const running = new WeakMap<Guard, Firewall>();

/** Whether the kernel drops `ip` now, or undefined when no firewall component runs for this guard. */
export function kernelHolds(guard: Guard): ((ip: string) => boolean) | undefined {
  const fw = running.get(guard);
  return fw === undefined ? undefined : (ip) => fw.inKernel(ip);
}

/**
 * The kernel bouncer (`firewall`): an nftables table of its own kept in step with the bans. While it is down
 * banned sources reach the PBX again and the guard refuses them there: the kernel side fails open.
 */
export const firewallComponent: Component = {
  name: 'firewall',
  whenDown: 'fail-open',
  section: (config) => config.firewall,
  validate(config, origin) {
    parseSection(FirewallOptionsSchema, config.firewall, ['firewall'], origin);
  },
  async start(guard, config, logger) {
    const fw = attachFirewall(
      guard,
      parseSection(FirewallOptionsSchema, config.firewall, ['firewall']),
      undefined,
      logger,
    );
    try {
      await fw.ready;
    } catch (err) {
      await fw.close();
      throw err;
    }
    running.set(guard, fw);
    return {
      close: async () => {
        if (running.get(guard) === fw) running.delete(guard);
        await fw.close();
      },
      health: () => ({ ...fw.stats() }),
      healthy: () => fw.stats().state === 'up',
    };
  },
};
