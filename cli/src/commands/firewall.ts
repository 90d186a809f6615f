import { isCodedError, loadConfigFile, parseSection } from '@ghostguard/core';
import { FirewallOptionsSchema, flushFirewall, type NftRunner } from '@ghostguard/nftables';
import type { Output } from '../output.js';

export const FIREWALL_USAGE = `  ghostguard firewall flush [--config f]
      remove the kernel bouncer's nftables table (firewall.table, default inet ghostguard): every ban
      leaves the kernel at once; the daemon, if running, makes it again at its next reconcile (stop it
      first, or remove the firewall section and reload). Stopping the daemon or a crash never removes
      the table: element timeouts end each ban. Needs CAP_NET_ADMIN (root)
      --config f    read firewall.command and firewall.table from this file (default: nft, ghostguard)`;

/** Exit codes: done (also when there was no table), bad usage or configuration, nft failed. */
export const EXIT_FIREWALL_NFT = 1;

export interface FirewallCommandOptions {
  subcommand: string | undefined;
  configPath?: string;
  /** Tests run nft through their own runner. */
  runner?: NftRunner;
}

/** `ghostguard firewall flush`: returns the exit code. A bad file or key throws GG_CONFIG_* (main: exit 2). */
export async function runFirewall(options: FirewallCommandOptions, out: Output): Promise<number> {
  if (options.subcommand !== 'flush') {
    out.error(`firewall: give a subcommand: flush\n\nusage:\n${FIREWALL_USAGE}`);
    return 2;
  }
  const config = options.configPath === undefined ? undefined : loadConfigFile(options.configPath);
  const section = parseSection(FirewallOptionsSchema, config?.firewall, ['firewall'], options.configPath);
  try {
    const removed = await flushFirewall(section, options.runner);
    out.line(
      removed
        ? `removed table inet ${section.table}: every ban left the kernel`
        : `no table inet ${section.table}: nothing to flush`,
    );
    return 0;
  } catch (err) {
    if (!isCodedError(err)) throw err;
    out.error(`ghostguard firewall: ${err.code}: ${err.message}`);
    return EXIT_FIREWALL_NFT;
  }
}
