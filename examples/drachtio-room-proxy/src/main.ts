/**
 * Runs the room proxy against a drachtio-server:
 *   node --import tsx src/main.ts ghostguard.yaml accounts.json
 * with DRACHTIO_HOST (127.0.0.1), DRACHTIO_PORT (9022), DRACHTIO_SECRET (required) and ROOM_REALM
 * (the domain rooms register in; default: the first of `dialShape.domains`).
 */
import { pathToFileURL } from 'node:url';
import { createGuard, type Guard, loadConfigFile } from '@ghostguard/core';
import { type BanSink, mirrorBans } from '@ghostguard/drachtio';
import Srf from 'drachtio-srf';
import { loadAccounts } from './accounts.js';
import { installRoomProxy } from './room-proxy.js';
import { stopSrf } from './stop-srf.js';

export interface RunningRoomProxy {
  srf: Srf;
  guard: Guard;
  stop(): void;
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
  const guard = createGuard(config);
  const realm = env.ROOM_REALM ?? config.dialShape.domains[0];
  if (!realm) throw new Error('set ROOM_REALM or dialShape.domains in the config');
  const srf = new Srf();
  // Without an 'error' listener a refused or lost connection to drachtio-server crashes the process.
  srf.on('error', (err: Error) => guard.logger.warn({ event: 'drachtio-error', err }, 'drachtio connection error'));
  srf.on('connect', (err: Error | null, hostport: string) => {
    if (err) guard.logger.error({ event: 'drachtio-auth-failed', err }, 'drachtio-server refused the connection');
    else guard.logger.info({ event: 'drachtio-connected', hostport }, 'connected to drachtio-server');
  });
  const proxy = installRoomProxy(srf, { guard, accounts: loadAccounts(accountsPath), realm });
  const mirror = banSink ? mirrorBans(guard, banSink) : undefined;
  srf.connect({ host: env.DRACHTIO_HOST ?? '127.0.0.1', port: Number(env.DRACHTIO_PORT ?? 9022), secret });
  return {
    srf,
    guard,
    stop: () => {
      // Answers the held tarpits (their final code goes out before the connection ends) and admits no one new.
      void proxy.attachment.close();
      mirror?.stop();
      stopSrf(srf);
      guard.close();
    },
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runRoomProxy(process.argv.slice(2), process.env).then(
    (running) => {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, running.stop);
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
