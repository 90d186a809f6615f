import { FirewallError } from './errors.js';
import { type FirewallOptions, resolveFirewallOptions } from './options.js';
import { flushScript } from './ruleset.js';
import { type NftRunner, spawnRunner } from './runner.js';

/**
 * Removes the bouncer's table (`ghostguard firewall flush`): every ban leaves the kernel at once. Only on request:
 * closing the daemon or a crash leaves the table (its element timeouts end every ban). Resolves `false` when there
 * was no table.
 */
export async function flushFirewall(options?: FirewallOptions, runner?: NftRunner): Promise<boolean> {
  const o = resolveFirewallOptions(options);
  const run = runner ?? spawnRunner(o.command, o.commandTimeout);
  const listing = await run(['-j', 'list', 'tables', 'inet']);
  const present = tableNames(listing).includes(o.table);
  if (!present) return false;
  await run(['-f', '-'], flushScript(o.table));
  return true;
}

function tableNames(listing: string): string[] {
  let items: unknown;
  try {
    items = (JSON.parse(listing) as { nftables?: unknown }).nftables;
  } catch (err) {
    throw new FirewallError('GG_FIREWALL_LIST_INVALID', 'nft -j list tables inet: not JSON', { cause: err });
  }
  if (!Array.isArray(items))
    throw new FirewallError('GG_FIREWALL_LIST_INVALID', 'nft -j list tables inet: no nftables array');
  return items.flatMap((i: { table?: { family?: unknown; name?: unknown } }) =>
    i?.table?.family === 'inet' && typeof i.table.name === 'string' ? [i.table.name] : [],
  );
}
