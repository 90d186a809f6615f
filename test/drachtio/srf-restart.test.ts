import { createGuard, loadConfigFile } from '@ghostguard/core';
import { memoryLogger } from '@ghostguard/core/testing';
import { attachDrachtio, type DrachtioAttachment, watchSrfConnection } from '@ghostguard/drachtio';
import { buildRequest, SipUdpAgent, sdpOffer, waitUntil } from '@ghostguard/drachtio/testing';
import { startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { EXAMPLE_CONFIG } from './support/room-proxy.js';

/**
 * drachtio-server restarting under an attached app (drachtio-server-0.9.10/restart* and restart-during-tarpit*):
 * drachtio-srf reconnects by itself; what the app logs about it, and what happens to a call held in the tarpit,
 * whose transaction the restarted server no longer knows.
 */

const SECRET = 'cymru';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function rig() {
  const peer = await startDrachtioServerPeer({ secret: SECRET });
  closers.push(() => peer.close());
  const { logger, sink } = memoryLogger('debug');
  const guard = createGuard({ ...loadConfigFile(EXAMPLE_CONFIG), dataDir: null }, { logger });
  const srf = new Srf();
  const link = watchSrfConnection(srf, logger);
  let att: DrachtioAttachment | undefined;
  att = attachDrachtio(guard, srf);
  srf.connect({ host: peer.host, port: peer.adminPort, secret: SECRET });
  closers.push(async () => {
    await att?.close();
    link.stop();
    try {
      srf.disconnect();
    } catch {
      // not connected
    }
    guard.close();
  });
  await peer.waitForRoutes(['invite']);
  await waitUntil(() => link.connected, 10_000, 'the connection');
  return { peer, guard, srf, link, att, sink };
}

describe('drachtio-server restarts under an app with the guard attached', () => {
  it('a held call whose connection went away is counted and logged once, and its slot freed', async () => {
    const { peer, guard, att, sink } = await rig();
    const scanner = await SipUdpAgent.open('127.0.0.80');
    closers.push(() => scanner.close());
    const callId = `held-${Date.now()}`;
    scanner.send(
      buildRequest({
        method: 'INVITE',
        uri: 'sip:room1@video.example.com',
        from: { address: scanner.address, port: scanner.port },
        userAgent: 'VaxSIPUserAgent/3.1',
        callId,
        sdp: sdpOffer(scanner.address),
      }),
      peer.sipPort,
    );
    await waitUntil(() => scanner.responsesFor(callId).some((r) => r.status === 180), 10_000, 'the 180');
    expect(att.stats().tarpitsHeld).toBe(1);

    await peer.restart(300);
    await waitUntil(() => att.stats().tarpitLost === 1, 10_000, 'the lost hold');
    expect(att.stats()).toMatchObject({ tarpitsHeld: 0, tarpitLost: 1, errors: 0 });
    expect(guard.tarpits.inUse).toBe(0);
    expect(sink.find('tarpit-lost')).toEqual([expect.objectContaining({ level: 40, calls: 1, final: 486 })]);
    // As recorded: the caller got 100 and 180, and nothing after (the restarted server knows no such call).
    expect(scanner.responsesFor(callId).map((r) => r.status)).toEqual([100, 180]);
  });

  it('logs one line when the link drops and one when it is back; failed retries at debug, without stacks', async () => {
    const { peer, link, sink } = await rig();
    await peer.restart(1_500);
    await waitUntil(() => sink.find('drachtio-reconnected').length === 1, 20_000, 'the reconnection');
    expect(link.connected).toBe(true);
    const lines = sink.lines().filter((l) => String(l.event ?? '').startsWith('drachtio-'));
    const atInfoOrAbove = lines.filter((l) => (l.level as number) >= 30).map((l) => l.event);
    expect(atInfoOrAbove).toEqual(['drachtio-connected', 'drachtio-disconnected', 'drachtio-reconnected']);
    const retries = lines.filter((l) => l.event === 'drachtio-retry');
    expect(retries.length).toBeGreaterThan(0);
    expect(retries.every((l) => l.level === 20 && l.code === 'ECONNREFUSED')).toBe(true);
    expect(JSON.stringify(lines)).not.toMatch(/stack|\\n {4}at /);
    expect(sink.find('drachtio-reconnected')[0]).toMatchObject({ serverVersion: 'v0.9.10' });
  }, 30_000);
});
