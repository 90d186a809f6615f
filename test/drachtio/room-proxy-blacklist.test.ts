import { execFileSync } from 'node:child_process';
import { buildRequest, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import { startRedisServer, type TestRedisServer } from '@ghostguard/redis/testing';
import { type DrachtioServerPeer, startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExampleProcess, runExampleProcess, waitForEvent } from './support/example-process.js';

/**
 * Issue 22, "drachtio-server's own blacklist": examples/drachtio-room-proxy run as its README says (its process, its
 * ghostguard.yaml with only the site values changed: the domain and the Redis URL), a real redis-server on 127.0.0.1,
 * and the drachtio-server stand-in started with `--blacklist-redis-*` pointing at the example's set. What
 * drachtio-server v0.9.10 does with the set is in stand-ins/src/drachtio-server/blacklist.ts (read from its source):
 * it reads it once, at start, and then discards every message from a listed address before any transaction.
 */

const SECRET = 'cymru';
const DOMAIN = 'rooms.example.org';
const KEY = 'drachtio:blacklist'; // the example's shared.drachtioBlacklistKey
const SCANNER = '127.0.0.77';
const CALLER = '127.0.0.78';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Site {
  redis: TestRedisServer;
  peer: DrachtioServerPeer;
  app: ExampleProcess;
  scanner: SipUdpAgent;
  caller: SipUdpAgent;
}

function members(redis: TestRedisServer): string[] {
  const out = execFileSync('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), 'SMEMBERS', KEY]);
  return String(out)
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .sort();
}

async function site(append?: string): Promise<Site> {
  const redis = await startRedisServer();
  closers.push(() => redis.stop());
  // drachtio --blacklist-redis-address 127.0.0.1 --blacklist-redis-port <port> --blacklist-redis-key drachtio:blacklist
  const peer = await startDrachtioServerPeer({
    secret: SECRET,
    timers: { t1: 100, t2: 400, timerH: 2_000 },
    blacklist: { address: '127.0.0.1', port: redis.port, key: KEY, retryMs: 200 },
  });
  closers.push(() => peer.close());
  const app = runExampleProcess(
    { domain: DOMAIN, accounts: { 'room-a': 'a long secret' }, redisUrl: redis.url, ...(append ? { append } : {}) },
    { host: peer.host, port: peer.adminPort, secret: SECRET },
  );
  closers.push(() => app.close());
  await waitForEvent(app, 'drachtio-connected', 30_000);
  await waitForEvent(app, 'shared-store-reconciled', 30_000);
  await peer.waitForRoutes(['invite', 'register', 'options'], 30_000);
  const scanner = await SipUdpAgent.open(SCANNER);
  closers.push(() => scanner.close());
  const caller = await SipUdpAgent.open(CALLER);
  closers.push(() => caller.close());
  return { redis, peer, app, scanner, caller };
}

let calls = 0;

/** SIPVicious' svmap INVITE shape (UA, display name, IP-literal target): the guard bans it on the first one. */
function scannerInvite(s: Site): string {
  return sendScannerInvite(s).callId;
}

function sendScannerInvite(s: Site): { callId: string; text: string } {
  const callId = `scan-${++calls}-${Date.now()}`;
  const text = buildRequest({
    method: 'INVITE',
    uri: 'sip:100@127.0.0.1',
    from: { address: s.scanner.address, port: s.scanner.port },
    fromUri: 'sip:100@1.1.1.1',
    fromDisplay: 'sipvicious',
    toUri: 'sip:100@1.1.1.1',
    userAgent: 'friendly-scanner',
    callId,
  });
  s.scanner.send(text, s.peer.sipPort);
  return { callId, text };
}

/** A legitimate caller: OPTIONS (the app answers 200) and an INVITE to an account (480: the room is offline). */
async function callerStillServed(s: Site): Promise<void> {
  const options = `opt-${++calls}-${Date.now()}`;
  s.caller.send(
    buildRequest({
      method: 'OPTIONS',
      uri: `sip:${DOMAIN}`,
      from: { address: s.caller.address, port: s.caller.port },
      callId: options,
    }),
    s.peer.sipPort,
  );
  await waitUntil(() => s.caller.responsesFor(options).some((r) => r.status === 200), 10_000, 'the 200 to OPTIONS');
  const invite = `call-${++calls}-${Date.now()}`;
  s.caller.send(
    buildRequest({
      method: 'INVITE',
      uri: `sip:room-a@${DOMAIN}`,
      from: { address: s.caller.address, port: s.caller.port },
      fromUri: `sip:bridge@partner.example.net`,
      userAgent: 'Cisco-CP8865/14.2.1',
      callId: invite,
    }),
    s.peer.sipPort,
  );
  await waitUntil(() => s.caller.responsesFor(invite).some((r) => r.status === 480), 10_000, 'the 480 (room offline)');
}

/** drachtio-server restarted (systemctl restart drachtio): it reads the set again; the app reconnects. */
async function restartDrachtio(s: Site): Promise<void> {
  const queries = s.peer.blacklist()!.queries;
  await s.peer.restart(100);
  await waitUntil(() => s.peer.blacklist()!.queries > queries && s.peer.blacklist()!.loaded, 10_000, 'the set read');
  await s.peer.waitForRoutes(['invite', 'register', 'options'], 30_000);
}

describe('examples/drachtio-room-proxy with drachtio-server --blacklist-redis-key', () => {
  it('enforce: a banned scanner is put in the set, and the restarted drachtio-server drops it before any 100 Trying; callers unaffected', async () => {
    const s = await site();
    expect(s.peer.blacklist()).toMatchObject({ loaded: true, size: 0 });

    const first = scannerInvite(s);
    await waitUntil(() => members(s.redis).includes(SCANNER), 10_000, 'the ban in the blacklist set');
    await waitUntil(() => s.scanner.responsesFor(first).some((r) => r.status === 100), 10_000, 'its 100 Trying');

    // drachtio-server read the set when it started (empty then) and never again: until it restarts, the banned
    // scanner still gets drachtio-server's 100 Trying and reaches the app, which refuses it (the guard's ban).
    const before = scannerInvite(s);
    await waitUntil(() => s.scanner.responsesFor(before).some((r) => r.status === 100), 10_000, 'the 100 Trying');
    expect(s.peer.blacklist()).toMatchObject({ loaded: true, size: 0 });

    await restartDrachtio(s);
    expect(s.peer.blacklist()).toMatchObject({ loaded: true, size: 1 });
    const toApp = s.peer.stats().requestsToApp;
    const sentBefore = s.peer.wire.filter((w) => w.direction === 'out' && w.address === SCANNER).length;
    const invite = sendScannerInvite(s);
    const after = invite.callId;
    await waitUntil(() => s.peer.stats().blacklisted >= 1, 10_000, 'the INVITE discarded by drachtio-server');
    // Its retransmission gets nothing either: no transaction was made to absorb it, so it is discarded the same way.
    s.scanner.send(invite.text, s.peer.sipPort);
    await waitUntil(() => s.peer.stats().blacklisted >= 2, 10_000, 'the retransmission discarded');
    // A caller's requests after it are answered: the scanner's INVITE was handled (discarded) before them.
    await callerStillServed(s);
    expect(s.scanner.responsesFor(after)).toEqual([]);
    expect(s.peer.wire.filter((w) => w.direction === 'out' && w.address === SCANNER)).toHaveLength(sentBefore);
    expect(s.peer.stats().requestsToApp).toBe(toApp + 2); // the caller's OPTIONS and INVITE, not the scanner's
    expect(s.app.lines.filter((l) => l.callId === after)).toEqual([]);
    expect(s.peer.stats().blacklisted).toBe(2);
  });

  it('monitor: nothing is put in the set, and after a drachtio-server restart the scanner gets the same answers', async () => {
    const s = await site('mode: monitor');
    const first = scannerInvite(s);
    await waitUntil(() => s.scanner.responsesFor(first).some((r) => (r.status ?? 0) >= 400), 10_000, 'a final');
    const answers = s.scanner.responsesFor(first).map((r) => r.status);
    await waitForEvent(s.app, 'ban');
    expect(s.app.lines.find((l) => l.event === 'ban')).toMatchObject({ ip: SCANNER, monitor: true });
    await restartDrachtio(s);
    expect(members(s.redis)).toEqual([]);
    expect(s.peer.blacklist()).toMatchObject({ loaded: true, size: 0 });
    const again = scannerInvite(s);
    await waitUntil(() => s.scanner.responsesFor(again).some((r) => (r.status ?? 0) >= 400), 10_000, 'a final');
    expect(s.scanner.responsesFor(again).map((r) => r.status)).toEqual(answers);
    expect(s.peer.stats().blacklisted).toBe(0);
    await callerStillServed(s);
  });
});
