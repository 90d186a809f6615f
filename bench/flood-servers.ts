/**
 * The flood bench's server-side processes, each its own process inside the server namespace so that its CPU and
 * memory are read apart (bench/flood.ts starts them with `ip netns exec … node … flood-servers.ts <role>`):
 *
 * - `drachtio-server`: the drachtio-server stand-in (stand-ins/src/drachtio-server, Node: wire-faithful, not fast) on
 *   10.77.0.1, SIP on 5060, admin on 9022. Reports its counters and held transactions over IPC.
 * - `app`: examples/drachtio-room-proxy as its README runs it (`runRoomProxy([config, accounts], env)`, the
 *   example's own ghostguard.yaml with only the site values changed), its guard logging to stdout at the config's
 *   level (the bench points stdout at a file and counts lines). With GG_FLOOD_FIREWALL=1 it also attaches the kernel
 *   bouncer, `attachFirewall(guard, options)` of `@ghostguard/nftables` (plugins/nftables), inside this namespace; when
 *   that package cannot be loaded it says why over IPC and runs without.
 */
import { pathToFileURL } from 'node:url';
import { runRoomProxy } from '../examples/drachtio-room-proxy/src/main.js';
import { startDrachtioServerPeer } from '../stand-ins/src/drachtio-server/index.js';

export type ServerReply =
  | { type: 'ready'; firewall?: string }
  | { type: 'routed' }
  | { type: 'stats'; stats: Record<string, unknown> }
  | { type: 'error'; message: string };

export type ServerRequest = { type: 'stats' } | { type: 'waitRoutes'; methods: string[] } | { type: 'close' };

export const DRACHTIO_ADMIN_PORT = 9022;
export const DRACHTIO_SECRET = 'flood-bench';

/** What the bench expects of `@ghostguard/nftables` (issue 22): the adapter contract's handle. */
interface FirewallLike {
  ready?: Promise<unknown>;
  stats?: () => Record<string, unknown>;
  close?: () => unknown;
}

function reply(m: ServerReply): void {
  process.send?.(m);
}

async function drachtioServer(host: string): Promise<void> {
  const peer = await startDrachtioServerPeer({
    secret: DRACHTIO_SECRET,
    host,
    sipPort: 5060,
    adminPort: DRACHTIO_ADMIN_PORT,
    // The wire log is a debugging aid of the stand-in, not part of drachtio-server: kept minimal here.
    wireLogSize: 1,
  });
  process.on('message', (m: ServerRequest) => {
    if (m.type === 'stats') reply({ type: 'stats', stats: { ...peer.stats(), transactions: peer.transactionCount() } });
    else if (m.type === 'waitRoutes')
      peer.waitForRoutes(m.methods, 30_000).then(
        () => reply({ type: 'routed' }),
        (err: Error) => reply({ type: 'error', message: err.message }),
      );
    else void peer.close().then(() => process.exit(0));
  });
  reply({ type: 'ready' });
}

async function loadFirewall(): Promise<{ attachFirewall: (guard: unknown, options: unknown) => FirewallLike }> {
  // Loaded by path (the root package does not depend on it), and only when asked for.
  const url = new URL('../plugins/nftables/src/index.ts', import.meta.url).href;
  const mod = (await import(url)) as { attachFirewall?: unknown };
  if (typeof mod.attachFirewall !== 'function') throw new Error('@ghostguard/nftables exports no attachFirewall');
  return mod as { attachFirewall: (guard: unknown, options: unknown) => FirewallLike };
}

async function app(configPath: string, accountsPath: string, host: string): Promise<void> {
  const running = await runRoomProxy([configPath, accountsPath], {
    ...process.env,
    DRACHTIO_SECRET,
    DRACHTIO_HOST: host,
    DRACHTIO_PORT: String(DRACHTIO_ADMIN_PORT),
  });
  let firewall: FirewallLike | undefined;
  let firewallNote: string | undefined;
  if (process.env.GG_FLOOD_FIREWALL === '1') {
    try {
      const { attachFirewall } = await loadFirewall();
      // The guard runs inside the server namespace, so the plain `nft` command reaches this namespace's ruleset.
      firewall = attachFirewall(running.guard, JSON.parse(process.env.GG_FLOOD_FIREWALL_OPTIONS ?? '{}'));
      await firewall.ready;
      firewallNote = 'attached';
    } catch (err) {
      firewallNote = `not attached: ${(err as Error).message.split('\n')[0]}`;
    }
  }
  await running.proxy.attachment.ready;
  process.on('message', (m: ServerRequest) => {
    if (m.type === 'stats') {
      const g = running.guard.stats();
      reply({
        type: 'stats',
        stats: {
          ...running.proxy.attachment.stats(),
          bans: g.bans,
          judged: g.judged,
          ...(firewall?.stats ? { firewall: firewall.stats() } : {}),
        },
      });
    } else {
      void (async () => {
        await firewall?.close?.();
        await running.stop();
        process.exit(0);
      })();
    }
  });
  reply({ type: 'ready', ...(firewallNote ? { firewall: firewallNote } : {}) });
}

async function main(): Promise<void> {
  const [role, ...args] = process.argv.slice(2);
  if (role === 'drachtio-server') await drachtioServer(args[0]!);
  else if (role === 'app') await app(args[0]!, args[1]!, args[2]!);
  else throw new Error(`unknown role ${role}`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    reply({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 100).unref();
  });
}
