import { Duration, parseSection } from '@ghostguard/core';
import { z } from 'zod';

/** nft's identifiers: a letter, then letters, digits and underscores (kept short: it names every set too). */
const NftName = z.string().regex(/^[A-Za-z][A-Za-z0-9_]{0,31}$/, 'a letter, then up to 31 letters, digits or _');

/**
 * The `firewall:` section (and attachFirewall's options): plain data, validated strictly, every error naming the
 * full key path (`firewall.priority`).
 */
export const FirewallOptionsSchema = z
  .object({
    /**
     * How nft is run: the program and its first arguments; batches add `-f -`, listings `-j list table …`.
     * `['ip', 'netns', 'exec', 'edge', 'nft']` runs it inside a network namespace (the tests do).
     */
    command: z.array(z.string().min(1)).min(1).default(['nft']),
    /** The table of its own (family inet); no other table is ever read or written. */
    table: NftName.default('ghostguard'),
    /**
     * Priority of its input-hook chain. Default -200: before the mangle (-150) and filter (0) chains of any other
     * table (iptables-nft, firewalld, ufw all sit at 0), so a banned packet costs no other table's rules. Packets
     * already went through conntrack in prerouting: an accept elsewhere never saves a banned packet (a drop in any
     * base chain is final).
     */
    priority: z.number().int().min(-400).max(400).default(-200),
    /**
     * Which bans go to the kernel: `local` (this guard decided), `replica` (merged from another node through
     * Redis, or from a feed merge). Bans restored from dataDir at start have no origin and always go.
     */
    origins: z
      .array(z.enum(['local', 'replica']))
      .min(1)
      .default(['local', 'replica']),
    /**
     * Reputation feeds (APIBAN, blocklist files: `feeds:`) into sets of their own (`feed4`/`feed6`), matched after
     * the allowlist: every entry of every feed, overlaps merged, rewritten whole when a feed changes. Off by
     * default: a feed is judged in the application anyway, and a large one costs an nft run of its size per update.
     */
    feeds: z.boolean().default(false),
    /** Only bans with at least this much left go to the kernel (0: all). Short bans stay in the application. */
    minTtl: Duration.refine((ms) => ms >= 0, '0 or more').default(0),
    /** Elements per nft run at most; more waiting go in the next run (each run is one atomic transaction). */
    maxBatch: z.number().int().min(1).max(200_000).default(20_000),
    /** A full reconcile (list the table, diff, fix) this often besides start, reloads and errors; 0: never. */
    reconcileEvery: Duration.refine((ms) => ms >= 0, '0 or more').default(600_000),
    /** One nft run may take this long; then it is killed and counts as a failure. */
    commandTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(30_000),
    /** After a failure, the next attempt waits this long, doubling up to `max`. */
    retry: z
      .object({
        min: Duration.refine((ms) => ms > 0, 'more than 0').default(1_000),
        max: Duration.refine((ms) => ms > 0, 'more than 0').default(60_000),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((o, ctx) => {
    if (o.retry.min > o.retry.max) {
      ctx.addIssue({ code: 'custom', path: ['retry', 'min'], message: 'not more than retry.max' });
    }
  });

export type FirewallOptions = z.input<typeof FirewallOptionsSchema>;
export type ResolvedFirewallOptions = z.infer<typeof FirewallOptionsSchema>;

/** Validates the options; throws GG_CONFIG_INVALID naming every bad key under `path` (default `firewall`). */
export function resolveFirewallOptions(
  input: FirewallOptions | undefined,
  path: readonly string[] = ['firewall'],
  origin = 'configuration',
): ResolvedFirewallOptions {
  return parseSection(FirewallOptionsSchema, input, path, origin);
}
