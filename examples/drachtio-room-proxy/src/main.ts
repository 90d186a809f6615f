/**
 * Runs the room proxy against a drachtio-server:
 *   node --import tsx src/main.ts ghostguard.yaml accounts.json
 * with DRACHTIO_HOST (127.0.0.1), DRACHTIO_PORT (9022), DRACHTIO_SECRET (required) and ROOM_REALM
 * (the domain rooms register in; default: the first of `dialShape.domains`).
 * With a `shared:` section (the one of examples/ghostguard.yaml, @ghostguard/redis), bans are kept in Redis and,
 * with `shared.drachtioBlacklistKey`, in the set drachtio-server's `--blacklist-redis-key` names (README).
 * With a `firewall:` section (@ghostguard/nftables), bans go into an nftables table of its own as well, so the kernel
 * drops a banned source before drachtio-server sees it (README, "The kernel bouncer"; root or CAP_NET_ADMIN).
 */
import { pathToFileURL } from 'node:url';
import { createGuard, type Guard, loadConfigFile, parseSection } from '@ghostguard/core';
import { type BanSink, mirrorBans, watchSrfConnection } from '@ghostguard/drachtio';
import { attachFirewall, type Firewall, FirewallOptionsSchema } from '@ghostguard/nftables';
import { attachRedisBans, type RedisBans, RedisBansOptionsSchema } from '@ghostguard/redis';
import Srf from 'drachtio-srf';
import { loadAccounts } from './accounts.js';
import { installRoomProxy, type RoomProxy } from './room-proxy.js';
import { stopSrf } from './stop-srf.js';

export interface RunningRoomProxy {
  srf: Srf;
  guard: Guard;
  proxy: RoomProxy;
  /** The bans kept in Redis (and drachtio-server's blacklist set), when the config has a `shared:` section. */
  shared: RedisBans | undefined;
  /** The kernel bouncer, when the config has a `firewall:` section. */
  firewall: Firewall | undefined;
  /**
   * Shutdown: held tarpits get their final answer first (written before the connection ends), no new caller is
   * let in, then the connection to drachtio-server and the guard close. Nothing is left to keep the process up.
   */
  stop(): Promise<void>;
}

export async function runRoomProxy(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  banSink?: BanSink,
): Promise<RunningRoomProxy> {
  const [configPath = 'ghostguard.yaml', accountsPath = 'accounts.json'] = argv;
  const secret = env.DRACHTIO_SECRET;
  if (!secret) throw new Error('DRACHTIO_SECRET is required');
  const config = loadConfigFile(configPath);
  const sharedOptions =
    config.shared === undefined
      ? undefined
      : parseSection(RedisBansOptionsSchema, config.shared, ['shared'], configPath);
  const firewallOptions =
    config.firewall === undefined
      ? undefined
      : parseSection(FirewallOptionsSchema, config.firewall, ['firewall'], configPath);
  const guard = createGuard(config);
  const realm = env.ROOM_REALM ?? config.dialShape.domains[0];
  if (!realm) throw new Error('set ROOM_REALM or dialShape.domains in the config');
  const srf = new Srf();
  // One line when the link drops, one when it is back, retries at debug; it is also the 'error' listener without
  // which a refused or lost connection to drachtio-server crashes the process.
  const link = watchSrfConnection(srf, guard.logger.child({ adapter: 'drachtio' }));
  const proxy = installRoomProxy(srf, { guard, accounts: loadAccounts(accountsPath), realm });
  const mirror = banSink ? mirrorBans(guard, banSink) : undefined;
  // Bans to Redis and back (they outlive a restart of this app), and into drachtio-server's blacklist set: written
  // in enforce mode only (monitor mode writes nothing). Redis away: the guard keeps deciding, said once (fail-open).
  const shared = sharedOptions ? attachRedisBans(guard, sharedOptions) : undefined;
  // The kernel says nothing at all: a banned source's packets never reach drachtio-server (no 100 Trying, no
  // transaction). It fails open: without nft or CAP_NET_ADMIN it says so once and the guard keeps deciding.
  const firewall = firewallOptions ? attachFirewall(guard, firewallOptions) : undefined;
  firewall?.ready.catch(() => {}); // logged by the bouncer (firewall-start-failed); the app goes on
  srf.connect({ host: env.DRACHTIO_HOST ?? '127.0.0.1', port: Number(env.DRACHTIO_PORT ?? 9022), secret });
  let stopping: Promise<void> | undefined;
  return {
    srf,
    guard,
    proxy,
    shared,
    firewall,
    stop: () => {
      stopping ??= (async () => {
        // Answers the held tarpits (their final code is written before the connection ends) and admits no one new.
        await proxy.attachment.close();
        mirror?.stop();
        link.stop();
        stopSrf(srf);
        await shared?.close();
        // the table stays (its elements end with their bans); `ghostguard firewall flush` removes it
        await firewall?.close();
        guard.close();
      })();
      return stopping;
    },
  };
}

/** After a signal: the longest the process may take to go once everything is closed (it normally exits at once). */
const EXIT_GRACE_MS = 1000;

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRoomProxy(process.argv.slice(2), process.env).then(
    (running) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        process.once(signal, () => {
          running.guard.logger.info({ event: 'shutdown', signal }, 'shutting down');
          void running.stop().finally(() => {
            // Nothing of ours is left open; should a library still hold a handle, do not wait for it.
            setTimeout(() => process.exit(0), EXIT_GRACE_MS).unref();
          });
        });
      }
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
