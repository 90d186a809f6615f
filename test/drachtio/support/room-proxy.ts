import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ConfigInput, createGuard, createLogger, type Guard, type Logger, loadConfigFile } from '@ghostguard/core';
import { type ConnectedApp, connectApp } from '@ghostguard/drachtio/testing';
import { type DrachtioServerPeer, startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { accountsFrom, installRoomProxy, type RoomProxy } from '../../../examples/drachtio-room-proxy/src/index.js';

export const EXAMPLE_DIR = fileURLToPath(new URL('../../../examples/drachtio-room-proxy/', import.meta.url));
export const EXAMPLE_CONFIG = join(EXAMPLE_DIR, 'ghostguard.yaml');
export const SECRET = 'cymru';
export const REALM = 'video.example.com';
export const ACCOUNTS = { 'room-a': 'correct horse battery', 'room-b': 'staple', '1066': '1066' } as const;

export interface RoomProxyHarness {
  peer: DrachtioServerPeer;
  app: ConnectedApp;
  guard: Guard;
  proxy: RoomProxy;
  close(): Promise<void>;
}

/** The example's ghostguard.yaml (quiet, in memory), with test overrides. */
export function exampleGuard(over: ConfigInput = {}, logger?: Logger): Guard {
  const config = loadConfigFile(EXAMPLE_CONFIG);
  return createGuard({ ...config, log: { level: 'silent' }, dataDir: null, ...over } as ConfigInput, {
    logger: logger ?? createLogger({ log: { level: 'silent' } }),
  });
}

/** The drachtio-server stand-in on loopback and the room proxy example connected to it. */
export async function startRoomProxy(over: ConfigInput = {}, logger?: Logger): Promise<RoomProxyHarness> {
  const peer = await startDrachtioServerPeer({ secret: SECRET, timers: { t1: 100, t2: 400, timerH: 2_000 } });
  const guard = exampleGuard(over, logger);
  let proxy: RoomProxy | undefined;
  const app = await connectApp({ host: peer.host, port: peer.adminPort, secret: SECRET }, (srf) => {
    proxy = installRoomProxy(srf, { guard, accounts: accountsFrom(ACCOUNTS), realm: REALM });
  });
  await peer.waitForRoutes(['invite', 'register', 'options']);
  return {
    peer,
    app,
    guard,
    proxy: proxy!,
    close: async () => {
      await proxy?.attachment.close();
      app.close();
      await peer.close();
      guard.close();
    },
  };
}
