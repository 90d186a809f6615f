import { buildRequest, SipUdpAgent, sdpOffer, waitUntil } from '@ghostguard/drachtio/testing';
import { type DrachtioServerPeer, startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExampleProcess, runExampleProcess, waitForEvent } from './support/example-process.js';
import { ScriptedRoom } from './support/room-ua.js';

/**
 * The operator's test of issue 17: examples/drachtio-room-proxy run as its README says (its process, its
 * ghostguard.yaml with only the domain changed, an accounts file of 30 rooms named nothing like `room-*`), 30 room
 * systems behind one site address registering with digest at once, and a bridge dialling every one of them. On the
 * real drachtio-server this lost 26 of 30 calls (enforce) and refused 23 of 30 rooms (monitor).
 */

const SECRET = 'cymru';
const DOMAIN = 'rooms.example.org';
/** The site's one public address (its NAT): every room registers from it, each from its own port. */
const SITE = '127.0.0.50';
const BRIDGE = '127.0.0.60';
const KINDS = ['boardroom', 'huddle', 'lobby', 'training', 'exec', 'studio'];
const ROOMS = Array.from({ length: 30 }, (_, i) => `${KINDS[i % KINDS.length]}-${Math.floor(i / KINDS.length) + 1}f`);
const ACCOUNTS = Object.fromEntries(ROOMS.map((user, i) => [user, `a long random secret ${i} ${user}`]));

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Site {
  peer: DrachtioServerPeer;
  app: ExampleProcess;
  rooms: ScriptedRoom[];
}

async function site(append?: string): Promise<Site> {
  const peer = await startDrachtioServerPeer({ secret: SECRET, timers: { t1: 100, t2: 400, timerH: 2_000 } });
  closers.push(() => peer.close());
  const app = runExampleProcess(
    { domain: DOMAIN, accounts: ACCOUNTS, ...(append ? { append } : {}) },
    { host: peer.host, port: peer.adminPort, secret: SECRET },
  );
  closers.push(() => app.close());
  await waitForEvent(app, 'drachtio-connected', 30_000);
  await peer.waitForRoutes(['invite', 'register', 'options'], 30_000);
  const rooms: ScriptedRoom[] = [];
  for (const user of ROOMS) {
    const room = await ScriptedRoom.open(user, SITE);
    closers.push(() => room.close());
    rooms.push(room);
  }
  return { peer, app, rooms };
}

/** Every room registers at once (a site coming back after a power cut); the final status of each. */
function registerAll(s: Site): Promise<number[]> {
  return Promise.all(
    s.rooms.map((room) => room.register({ proxyPort: s.peer.sipPort, password: ACCOUNTS[room.user]!, domain: DOMAIN })),
  );
}

/**
 * The bridge dials all 30 rooms in one burst (a conference starting) and waits for each call's final answer;
 * returns the final status per room.
 */
async function bridgeCallsAll(s: Site): Promise<number[]> {
  const bridge = await SipUdpAgent.open(BRIDGE);
  closers.push(() => bridge.close());
  const callIds = s.rooms.map((room, i) => {
    const callId = `bridge-${i}-${Date.now()}@${BRIDGE}`;
    bridge.send(
      buildRequest({
        method: 'INVITE',
        uri: `sip:${room.user}@${DOMAIN}`,
        from: { address: bridge.address, port: bridge.port },
        fromUri: `sip:bridge@${DOMAIN}`,
        fromDisplay: 'Conference Bridge',
        userAgent: 'Pexip Infinity Conferencing Platform/34.1',
        callId,
        sdp: sdpOffer(bridge.address, 'Pexip'),
      }),
      s.peer.sipPort,
    );
    return callId;
  });
  const finals = () => callIds.map((id) => bridge.responsesFor(id).find((r) => (r.status ?? 0) >= 200)?.status);
  // A call the guard drops gets no final answer: bounded wait, then it counts as blocked.
  await waitUntil(() => finals().every((f) => f !== undefined), 20_000, 'every call answered').catch(() => {});
  return finals().map((f) => f ?? 0);
}

describe('the room proxy example, run as its README says, with 30 rooms behind one address and a bridge', () => {
  for (const mode of ['enforce', 'monitor'] as const) {
    it(`${mode}: 30 of 30 rooms register and 0 of 30 bridge calls are blocked`, async () => {
      const s = await site(mode === 'monitor' ? 'mode: monitor' : undefined);
      const registered = await registerAll(s);
      expect(registered.filter((status) => status === 200)).toHaveLength(30);

      const answers = await bridgeCallsAll(s);
      expect(answers.filter((status) => status !== 200)).toEqual([]);
      for (const room of s.rooms) expect(room.invites).toHaveLength(1);

      // Nothing was taken for a sweep, a hijack or cracked credentials, not even as a "would" in monitor mode.
      const events = s.app.lines.map((l) => l.event);
      expect(events).not.toContain('room-hijack');
      expect(events).not.toContain('room-would-refuse');
      expect(events).not.toContain('ban');
      expect(s.app.lines.filter((l) => l.event === 'verdict')).toEqual([]);
      expect(s.app.lines.filter((l) => l.event === 'room-registered')).toHaveLength(30);
    }, 90_000);
  }
});

describe('the example process on SIGTERM with a call held in the tarpit', () => {
  it('answers the held call with its final (486) first, then exits by itself long before the hold would end', async () => {
    const s = await site();
    const scanner = await SipUdpAgent.open('127.0.0.70');
    closers.push(() => scanner.close());
    const callId = `held-${Date.now()}@127.0.0.70`;
    // VaxSIPUserAgent scores 80: tarpitted by the example's policy (recorded: 100, 180, 486 at 30 s).
    scanner.send(
      buildRequest({
        method: 'INVITE',
        uri: `sip:${ROOMS[0]}@${DOMAIN}`,
        from: { address: scanner.address, port: scanner.port },
        userAgent: 'VaxSIPUserAgent/3.1',
        callId,
        sdp: sdpOffer(scanner.address),
      }),
      s.peer.sipPort,
    );
    await waitUntil(() => scanner.responsesFor(callId).some((r) => r.status === 180), 10_000, 'the 180 Ringing');
    expect(scanner.responsesFor(callId).some((r) => (r.status ?? 0) >= 200)).toBe(false);

    s.app.kill('SIGTERM');
    // The hold is 30 s: an exit within 10 s is the shutdown, not the hold running out.
    await waitUntil(() => s.app.hasExited, 10_000, 'the process to exit');
    expect(await s.app.exited).toBe(0);
    await waitUntil(() => scanner.responsesFor(callId).some((r) => (r.status ?? 0) >= 200), 5_000, 'the final answer');
    expect(scanner.responsesFor(callId).map((r) => r.status)).toEqual([100, 180, 486]);
    expect(s.app.lines.find((l) => l.event === 'detached')).toMatchObject({ tarpitsEnded: 1 });
  }, 60_000);
});
