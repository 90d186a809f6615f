import { buildRequest, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import { createNetnsPair, type NetnsPair } from '@ghostguard/nftables/testing';
import { startRedisServer } from '@ghostguard/redis/testing';
import { startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';
import { runExampleProcess, waitForEvent } from './support/example-process.js';

/**
 * Issue 22: examples/drachtio-room-proxy with its `firewall:` section uncommented (as its README says), the
 * bouncer's nft run inside a network namespace this test makes (never the machine's own ruleset): a scanner the
 * example bans is in the kernel's set of that namespace, the rest of the site unchanged. What the kernel then does
 * with the packets is plugins/nftables/src/kernel.test.ts's part.
 */

const SECRET = 'cymru';
const SCANNER = '127.0.0.79';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function netns(): Promise<NetnsPair> {
  try {
    return await createNetnsPair();
  } catch (err) {
    throw new Error(
      `this machine cannot create network namespaces (needs root and iproute2): ${(err as Error).message}`,
    );
  }
}

describe('examples/drachtio-room-proxy with a firewall: section', () => {
  it('puts the source it bans into its nftables table, and says the table is in step at start', async () => {
    const pair = await netns();
    closers.push(() => pair.close());
    const redis = await startRedisServer();
    closers.push(() => redis.stop());
    const peer = await startDrachtioServerPeer({ secret: SECRET, timers: { t1: 100, t2: 400, timerH: 2_000 } });
    closers.push(() => peer.close());
    const append = `firewall:\n  command: ${JSON.stringify(pair.nft)}\n  table: ggexample\n`;
    const app = runExampleProcess(
      { domain: 'rooms.example.org', accounts: { 'room-a': 'a long secret' }, redisUrl: redis.url, append },
      { host: peer.host, port: peer.adminPort, secret: SECRET },
    );
    closers.push(() => app.close());
    await waitForEvent(app, 'firewall-ready', 30_000);
    await waitForEvent(app, 'drachtio-connected', 30_000);
    await peer.waitForRoutes(['invite', 'register', 'options'], 30_000);
    const scanner = await SipUdpAgent.open(SCANNER);
    closers.push(() => scanner.close());
    scanner.send(
      buildRequest({
        method: 'INVITE',
        uri: 'sip:100@127.0.0.1',
        from: { address: scanner.address, port: scanner.port },
        fromUri: 'sip:100@1.1.1.1',
        fromDisplay: 'sipvicious',
        toUri: 'sip:100@1.1.1.1',
        userAgent: 'friendly-scanner',
        callId: `fw-scan-${Date.now()}`,
      }),
      peer.sipPort,
    );
    const inKernel = async () =>
      (await pair.exec(pair.server, ['nft', 'list', 'set', 'inet', 'ggexample', 'ban4'])).includes(SCANNER);
    let listed = false;
    await waitUntil(
      () => {
        void inKernel().then((v) => {
          listed = v;
        });
        return listed;
      },
      15_000,
      'the scanner in the kernel set',
      100,
    );
    expect(app.lines.filter((l) => l.event === 'firewall-start-failed')).toEqual([]);
  });
});
