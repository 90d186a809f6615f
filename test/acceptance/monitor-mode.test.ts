/**
 * Monitor mode changes nothing a caller sees (issue 17, defect 2): the same scanner and legitimate traffic against
 * the same app with no guard at all and with the guard in monitor mode must get the same answers, request for
 * request. Covered here: the drachtio path (examples/drachtio-room-proxy, real drachtio-srf, the drachtio-server
 * stand-in), fully; the H.323 gate (its scanner SETUPs and a room's call, through the gate in monitor mode against
 * dialling the room directly); enforce mode runs the same script as the control that the comparisons can fail.
 * Asterisk and FreeSWITCH have theirs beside their rigs: test/asterisk/monitor-mode.test.ts and
 * test/freeswitch/monitor-mode.test.ts.
 */
import { type ConfigInput, createGuard, createLogger, type Guard, loadConfigFile } from '@ghostguard/core';
import { encodeAlerting, encodeCallProceeding, encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import {
  buildRequest,
  type ConnectedApp,
  connectApp,
  SipUdpAgent,
  sdpOffer,
  waitUntil,
} from '@ghostguard/drachtio/testing';
import { attachH323Gate } from '@ghostguard/h323-gate';
import { type DrachtioServerPeer, startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { dial, type StandInRoom, startStandInRoom } from '@ghostguard/stand-ins/h323';
import { afterEach, describe, expect, it } from 'vitest';
import {
  accountsFrom,
  installRoomProxy,
  installUnguardedRoomProxy,
} from '../../examples/drachtio-room-proxy/src/index.js';
import { ACCOUNTS, EXAMPLE_CONFIG, REALM, SECRET } from '../drachtio/support/room-proxy.js';
import { ScriptedRoom } from '../drachtio/support/room-ua.js';

type Mode = 'none' | 'monitor' | 'enforce';

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function app(mode: Mode): Promise<{ peer: DrachtioServerPeer }> {
  const peer = await startDrachtioServerPeer({ secret: SECRET, timers: { t1: 100, t2: 400, timerH: 2_000 } });
  closers.push(() => peer.close());
  const over: ConfigInput = { log: { level: 'silent' }, dataDir: null, ...(mode === 'monitor' ? { mode } : {}) };
  const guard: Guard = createGuard({ ...loadConfigFile(EXAMPLE_CONFIG), ...over } as ConfigInput, {
    logger: createLogger({ log: { level: 'silent' } }),
  });
  const options = { guard, accounts: accountsFrom(ACCOUNTS), realm: REALM };
  let close: () => Promise<void> = async () => {};
  const connected: ConnectedApp = await connectApp({ host: peer.host, port: peer.adminPort, secret: SECRET }, (srf) => {
    if (mode === 'none') installUnguardedRoomProxy(srf, options);
    else {
      const proxy = installRoomProxy(srf, options);
      close = () => proxy.attachment.close();
    }
  });
  closers.push(async () => {
    await close();
    connected.close();
    guard.close();
  });
  await peer.waitForRoutes(['invite', 'register', 'options']);
  return { peer };
}

/** A REGISTER through a scripted room: its final status, or 0 when none came (dropped), bounded. */
function registered(room: ScriptedRoom, o: Parameters<ScriptedRoom['register']>[0]): Promise<number> {
  return room.register({ timeoutMs: 2_000, ...o }).catch(() => 0);
}

/** The statuses one request got, in order (100 Trying included); waits for a final answer, bounded. */
async function statuses(agent: SipUdpAgent, callId: string): Promise<number[]> {
  await waitUntil(() => agent.responsesFor(callId).some((r) => (r.status ?? 0) >= 200), 2_000, callId).catch(() => {});
  return agent.responsesFor(callId).map((r) => r.status!);
}

/** Sends one request from `agent` and returns what came back. */
async function ask(
  agent: SipUdpAgent,
  port: number,
  spec: Omit<Parameters<typeof buildRequest>[0], 'from' | 'callId'>,
  label: string,
  raw?: (text: string) => string,
): Promise<[string, number[]]> {
  const callId = `${label}-${Date.now()}@${agent.address}`;
  const text = buildRequest({ ...spec, from: { address: agent.address, port: agent.port }, callId });
  agent.send(raw ? raw(text) : text, port);
  return [label, await statuses(agent, callId)];
}

/**
 * The same script for every mode: rooms register and are called, keepalives, unknown targets; then scanners:
 * svmap's OPTIONS and INVITE (recorded shapes), svwar's REGISTER sweep, a password guesser, a hijack attempt, a
 * VaxSIP INVITE, a To-tagged INVITE, unrouted methods. Returns each step's answers.
 */
async function script(mode: Mode): Promise<Array<[string, number[]]>> {
  const { peer } = await app(mode);
  const port = peer.sipPort;
  const out: Array<[string, number[]]> = [];
  // Legitimate traffic.
  const rooms = [await ScriptedRoom.open('room-a', '127.0.0.5'), await ScriptedRoom.open('1066', '127.0.0.6')];
  for (const room of rooms) {
    closers.push(() => room.close());
    out.push([
      `register ${room.user}`,
      [await registered(room, { proxyPort: port, password: ACCOUNTS[room.user as 'room-a'], domain: REALM })],
    ]);
  }
  const bridge = await SipUdpAgent.open('127.0.0.60');
  closers.push(() => bridge.close());
  for (const room of rooms) {
    out.push(
      await ask(
        bridge,
        port,
        {
          method: 'INVITE',
          uri: `sip:${room.user}@${REALM}`,
          fromUri: `sip:bridge@${REALM}`,
          sdp: sdpOffer(bridge.address),
        },
        `call ${room.user}`,
      ),
    );
  }
  out.push(
    await ask(
      bridge,
      port,
      { method: 'INVITE', uri: `sip:room-b@${REALM}`, sdp: sdpOffer(bridge.address) },
      'call offline room-b',
    ),
  );
  out.push(
    await ask(
      bridge,
      port,
      { method: 'INVITE', uri: `sip:reception@${REALM}`, sdp: sdpOffer(bridge.address) },
      'call no account',
    ),
  );
  out.push(await ask(rooms[0]!.agent, port, { method: 'OPTIONS', uri: `sip:${REALM}` }, 'keepalive'));

  // Scanners (one address each, as the recordings have them).
  const svmap = await SipUdpAgent.open('127.0.0.90');
  closers.push(() => svmap.close());
  const sipvicious = { userAgent: 'friendly-scanner', fromDisplay: 'sipvicious', fromUri: 'sip:100@1.1.1.1' };
  out.push(await ask(svmap, port, { method: 'OPTIONS', uri: 'sip:100@127.0.0.1', ...sipvicious }, 'svmap OPTIONS'));
  out.push(await ask(svmap, port, { method: 'INVITE', uri: 'sip:100@127.0.0.1', ...sipvicious }, 'svmap INVITE'));
  const svwar = await SipUdpAgent.open('127.0.0.91');
  closers.push(() => svwar.close());
  for (const ext of ['100', '101', 'room-a', '1066', '102']) {
    out.push(
      await ask(
        svwar,
        port,
        {
          method: 'REGISTER',
          uri: 'sip:127.0.0.1',
          toUri: `sip:${ext}@127.0.0.1`,
          fromUri: `sip:${ext}@127.0.0.1`,
          userAgent: 'friendly-scanner',
        },
        `svwar ${ext}`,
      ),
    );
  }
  // A guesser with a clean User-Agent: wrong passwords, then the right one.
  const guesser = await ScriptedRoom.open('room-b', '127.0.0.92');
  closers.push(() => guesser.close());
  for (const guess of ['x', 'y', 'z', ACCOUNTS['room-b']]) {
    out.push([
      `guess ${guess === ACCOUNTS['room-b'] ? 'right' : 'wrong'}`,
      [await registered(guesser, { proxyPort: port, password: guess, domain: REALM })],
    ]);
  }
  // Binds room-a to the proxy's own address without credentials (svwar's Contact), then its next REGISTER.
  const hijacker = await ScriptedRoom.open('room-a', '127.0.0.93');
  closers.push(() => hijacker.close());
  out.push([
    'hijack',
    [await registered(hijacker, { proxyPort: port, domain: REALM, contact: `sip:room-a@127.0.0.1:${port}` })],
  ]);
  out.push(['hijacker again', [await registered(hijacker, { proxyPort: port, domain: REALM })]]);
  const vax = await SipUdpAgent.open('127.0.0.94');
  closers.push(() => vax.close());
  out.push(
    await ask(
      vax,
      port,
      { method: 'INVITE', uri: `sip:room-a@${REALM}`, userAgent: 'VaxSIPUserAgent/3.1', sdp: sdpOffer(vax.address) },
      'vax INVITE',
    ),
  );
  out.push(
    await ask(vax, port, { method: 'INVITE', uri: `sip:room-a@${REALM}` }, 'to-tagged INVITE', (t) =>
      t.replace(/^(To: <[^>]*>)/m, '$1;tag=abc123'),
    ),
  );
  out.push(
    await ask(
      vax,
      port,
      { method: 'SUBSCRIBE', uri: `sip:room-a@${REALM}`, headers: [['Event', 'presence']] },
      'SUBSCRIBE',
    ),
  );
  out.push(await ask(vax, port, { method: 'MESSAGE', uri: `sip:room-a@${REALM}` }, 'MESSAGE'));
  // The rooms were reached once per call that passed, and a room leaves.
  out.push(['room-a invites', [rooms[0]!.invites.length]]);
  out.push([
    `unregister room-a`,
    [await registered(rooms[0]!, { proxyPort: port, password: ACCOUNTS['room-a'], domain: REALM, expires: 0 })],
  ]);
  return out;
}

describe('monitor mode changes nothing a caller sees: drachtio (the room proxy example)', () => {
  it('scanner and legitimate traffic get the same answers as with no guard at all', async () => {
    const none = await script('none');
    for (const c of closers.splice(0).reverse()) await c();
    const monitor = await script('monitor');
    expect(monitor).toEqual(none);
    // What the baseline answers (so that "equal" is not two empty lists).
    expect(Object.fromEntries(none)).toMatchObject({
      'register room-a': [200],
      'call room-a': [100, 180, 200],
      'svmap OPTIONS': [200],
      'guess right': [200],
      'vax INVITE': [100, 180, 200],
      'to-tagged INVITE': [100, 481],
      SUBSCRIBE: [503],
    });
  }, 120_000);

  it('control: in enforce mode the same script is answered differently (the comparison can fail)', async () => {
    const none = await script('none');
    for (const c of closers.splice(0).reverse()) await c();
    const enforce = await script('enforce');
    expect(enforce).not.toEqual(none);
    const e = Object.fromEntries(enforce);
    expect(e['svmap OPTIONS']).toEqual([]);
    expect(e['vax INVITE']).not.toContain(200);
    // The legitimate part is answered the same.
    expect(enforce.slice(0, 6)).toEqual(none.slice(0, 6));
  }, 120_000);
});

/** Every SETUP the H.323 part sends: the scanners the gate's tests use and a room system's call. */
const H323_CALLS = [
  ['Metasploit h323_version', encodeSetup(setupShapeSpec({ shape: 'metasploit-h323-version', seed: 1 }))],
  ['toll fraud', encodeSetup(setupShapeSpec({ shape: 'toll-fraud', dialledDigits: '900441224000000' }))],
  ['destination only an IP address', encodeSetup(setupShapeSpec({ shape: 'ip-only-destination' }))],
  ['OpenH323 tool calling itself Cisco', encodeSetup(setupShapeSpec({ shape: 'cisco-openh323' }))],
  ['a room system calling a room', encodeSetup(setupShapeSpec({ shape: 'room', seed: 4 }))],
] as const;

/** The room answers every frame with CallProceeding and Alerting (as a room system rings). */
async function ringingRoom(): Promise<StandInRoom> {
  const room = await startStandInRoom({ answer: () => [encodeCallProceeding(1), encodeAlerting(1)] });
  closers.push(() => room.close());
  return room;
}

/** What each caller got back (hex of every byte) and what reached the room, with or without the gate. */
async function h323Script(mode: Mode): Promise<Array<[string, string, string]>> {
  const room = await ringingRoom();
  let target = { host: room.host, port: room.port };
  if (mode !== 'none') {
    const guard = createGuard({ log: { level: 'silent' }, dataDir: null, ...(mode === 'monitor' ? { mode } : {}) });
    closers.push(() => guard.close());
    const gate = attachH323Gate(
      guard,
      { host: '127.0.0.1', port: 0 },
      { upstreams: { default: { host: room.host, port: room.port } } },
    );
    closers.push(() => gate.close());
    await gate.ready;
    const addr = gate.address()!;
    target = { host: addr.address, port: addr.port };
  }
  const out: Array<[string, string, string]> = [];
  for (const [i, [label, setup]] of H323_CALLS.entries()) {
    const callsBefore = room.calls.length;
    // One source each, as in the wild (a ban of one scanner says nothing about the room's caller).
    const caller = await dial({ ...target, send: setup, localAddress: `127.0.0.${30 + i}` });
    // Both answers, or the connection closed, or (a drop) nothing within the bound.
    await waitUntil(() => caller.frames.length >= 2 || caller.isClosed, 2_000, label).catch(() => {});
    const reached = room.calls
      .slice(callsBefore)
      .map((c) => c.bytes().toString('hex'))
      .join('|');
    out.push([label, caller.received().toString('hex'), reached]);
    caller.socket.destroy();
  }
  return out;
}

describe('monitor mode changes nothing a caller sees: the H.323 gate', () => {
  it('scanner SETUPs and a room call get the same bytes back, and the room the same bytes, as with no gate', async () => {
    const none = await h323Script('none');
    const monitor = await h323Script('monitor');
    expect(monitor).toEqual(none);
    for (const [label, got, reached] of none) {
      expect(got.length, label).toBeGreaterThan(0);
      expect(reached.length, label).toBeGreaterThan(0);
    }
  }, 60_000);

  it('control: in enforce mode the scanners get something else (the comparison can fail)', async () => {
    const none = await h323Script('none');
    const enforce = await h323Script('enforce');
    expect(enforce[0]).not.toEqual(none[0]);
    expect(enforce.at(-1)).toEqual(none.at(-1));
  }, 60_000);
});
