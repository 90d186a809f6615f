import type { ConfigInput, Guard, RoomEntry } from '@ghostguard/core';
import { attachFreeswitch, type FreeswitchAttachment, type FreeswitchOptions } from '@ghostguard/freeswitch';
import { waitUntil } from '@ghostguard/freeswitch/testing';
import {
  type CallInfo,
  type EslInboundOptions,
  type EslInboundServer,
  placeCall,
  type SofiaRegisterFields,
  startEslInbound,
} from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingGuard } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
let server: EslInboundServer | undefined;

afterEach(async () => {
  await fs?.close();
  await server?.close();
  guard?.close();
  fs = undefined;
  server = undefined;
  guard = undefined;
});

const REALM = 'video.example.com';

/** What exists is what FreeSWITCH has registered: no knownTargets. A bridge is a trusted peer. */
const CONFIG: ConfigInput = {
  log: { level: 'silent' },
  dataDir: null,
  dialShape: { domains: [REALM], localAddresses: ['203.0.113.10', '127.0.0.1'], knownTargets: [] },
  trust: { cidrs: [{ name: 'mcu-bridge', address: '192.0.2.50/32' }] },
  bans: { failuresToBan: 3 },
};

async function setup(
  seed: (s: EslInboundServer) => void = () => {},
  opts: { peer?: EslInboundOptions; adapter?: Partial<FreeswitchOptions>; config?: ConfigInput } = {},
) {
  server = await startEslInbound(opts.peer);
  seed(server);
  const c = capturingGuard(opts.config ?? CONFIG, 'debug');
  guard = c.guard;
  fs = attachFreeswitch(
    guard,
    {},
    {
      ...opts.adapter,
      outbound: { host: '127.0.0.1', port: 0, ...opts.adapter?.outbound },
      inbound: {
        host: '127.0.0.1',
        port: server.port,
        reconnect: { initialDelay: 20, maxDelay: 200, factor: 2 },
        ...opts.adapter?.inbound,
        rooms: { apiTimeout: 2_000, ...opts.adapter?.inbound?.rooms },
      },
    },
  );
  await fs.listening;
  await fs.ready;
  const events = (name: string) => c.lines.filter((l) => l.event === name);
  return { ...c, events };
}

/** A room system's REGISTER that sofia authenticated. */
function room(user: string, ip: string, over: Partial<SofiaRegisterFields> = {}): SofiaRegisterFields {
  return {
    user,
    host: REALM,
    contactUri: `sip:${user}@${ip}:5060;transport=tcp`,
    networkIp: ip,
    networkPort: 5060,
    expires: 3_600,
    callId: `reg-${user}-${ip}`,
    userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5',
    transport: 'TCP',
    auth: 'ok',
    ...over,
  };
}

const byName = (rooms: RoomEntry[]) => Object.fromEntries(rooms.map((r) => [r.aor, r]));

/** Every event sent before this one has been handled once the room appears (one socket, in order). */
async function barrier(s: EslInboundServer, name: string): Promise<void> {
  s.sofia.register(room(name, '10.0.9.9'));
  await waitUntil(() => guard!.rooms.isRoom(name), 5_000, `the barrier room ${name}`);
}

const sipCall = (source: string, target: string, over: Partial<Extract<CallInfo, { protocol: 'sip' }>> = {}) =>
  ({
    protocol: 'sip',
    source: { ip: source, port: 5060, transport: 'tcp' },
    local: { ip: '203.0.113.10', port: 5060 },
    requestUri: { user: target, host: REALM },
    from: { user: 'room-huddle', host: REALM, display: 'Huddle', tag: '8f2a61c0' },
    to: { user: target, host: REALM },
    callId: `call-${source}-${target}`,
    via: `SIP/2.0/TCP ${source}:5060;branch=z9hG4bK1b54fa8973381f412a0a4f9fa4;rport`,
    userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5',
    sdp: `v=0\r\no=tandberg 0 1 IN IP4 ${source}\r\ns=-\r\nc=IN IP4 ${source}\r\nt=0 0\r\nm=audio 2326 RTP/AVP 8 0\r\n`,
    ...over,
  }) as CallInfo;

describe('FreeSWITCH rooms: the registry follows sofia', () => {
  it('lists the registrations on connect, then follows sofia::register, sofia::unregister and sofia::expire', async () => {
    const { events } = await setup((s) => {
      s.sofia.register(room('room-boardroom', '10.0.0.21'), true);
      s.sofia.register(room('5552002', '10.0.0.22', { transport: 'UDP', contactUri: 'sip:5552002@10.0.0.22' }), true);
    });
    await waitUntil(() => events('freeswitch-rooms-listed').length === 1, 5_000, 'the listing');
    expect(server!.apiCommands).toEqual(['sofia xmlstatus profile internal reg']);
    expect(server!.subscriptions[0]!.line).toBe(
      'event plain CHANNEL_HANGUP_COMPLETE CUSTOM sofia::register_failure sofia::register sofia::unregister sofia::expire',
    );
    const rooms = byName(guard!.rooms.list());
    expect(Object.keys(rooms).sort()).toEqual(['5552002@video.example.com', 'room-boardroom@video.example.com']);
    expect(rooms['room-boardroom@video.example.com']).toMatchObject({
      contact: '"room-boardroom" <sip:room-boardroom@10.0.0.21:5060;transport=tcp>',
      source: { ip: '10.0.0.21', port: 5060 },
      adapter: 'freeswitch',
      static: false,
    });
    const left = (rooms['room-boardroom@video.example.com']!.expiresAt ?? 0) - Date.now();
    expect(left).toBeGreaterThan(3_000_000);
    // The listing's expsecs: 3600 asked + sofia's 60 s late margin.
    expect(left).toBeLessThanOrEqual(3_660_000);
    expect(guard!.rooms.isRoom('5552002')).toBe(true);

    server!.sofia.register(room('room-huddle', '10.0.0.23', { expires: 600 }));
    await waitUntil(() => guard!.rooms.isRoom('room-huddle'), 5_000, 'the new room');
    server!.sofia.unregister({ user: 'room-huddle', host: REALM });
    await waitUntil(() => !guard!.rooms.isRoom('room-huddle'), 5_000, 'the unregister');
    server!.sofia.expire((r) => r.user === 'room-boardroom');
    await waitUntil(() => !guard!.rooms.isRoom('room-boardroom'), 5_000, 'the expiry');
    expect(guard!.rooms.isRoom('5552002')).toBe(true);
    expect(fs!.stats().rooms).toMatchObject({ listed: 2, stored: 3, removed: 2, hijacks: 0 });
  });

  it('a svwar REGISTER sweep (401 for every user) adds or moves no room; register_failure reports ban the guesser', async () => {
    await setup((s) => s.sofia.register(room('100', '10.0.0.21'), true));
    await waitUntil(() => guard!.rooms.size === 1, 5_000, 'the listing');
    const before = guard!.rooms.list();
    // svwar: one random number first, then 100..999 ascending, each REGISTER with its own Contact, no credentials.
    const scanner = {
      networkIp: '203.0.113.50',
      networkPort: 5061,
      userAgent: 'friendly-scanner',
      auth: 'none' as const,
    };
    const statuses = new Set<number>();
    for (const user of ['3832198724', ...Array.from({ length: 200 }, (_, i) => String(100 + i))]) {
      statuses.add(
        server!.sofia.register({
          ...scanner,
          user,
          host: '127.0.0.1',
          contactUri: `sip:${user}@127.0.0.1`,
          callId: user,
        }),
      );
    }
    expect([...statuses]).toEqual([401]);
    await barrier(server!, 'room-barrier');
    expect(guard!.rooms.list().filter((r) => r.aor !== 'room-barrier@video.example.com')).toEqual(before);
    expect(guard!.rooms.get('100')?.contact).toContain('10.0.0.21');
    expect(guard!.bans.get('203.0.113.50')).toBeUndefined();
    // svcrack then guesses passwords: each 403 fires sofia::register_failure, and the guard bans the source.
    for (const n of [1, 2, 3]) {
      server!.sofia.register({
        ...scanner,
        auth: 'wrong',
        user: '100',
        contactUri: 'sip:100@127.0.0.1',
        callId: `c${n}`,
      });
    }
    await waitUntil(() => guard!.bans.get('203.0.113.50') !== undefined, 5_000, 'the ban');
    expect(fs!.stats().inbound.reported.authFailures).toBe(3);
    expect(fs!.stats().rooms).toMatchObject({ hijacks: 0, refused: 0 });
  });

  it('a cracked password cannot move a room: hijack refused, source banned, its binding flushed by Call-ID', async () => {
    // Failures alone ban only after 10 here: the hijack is what bans.
    const { events } = await setup((s) => s.sofia.register(room('1000', '10.0.0.21'), true), {
      config: { ...CONFIG, bans: { failuresToBan: 10 } },
    });
    await waitUntil(() => guard!.rooms.size === 1, 5_000, 'the listing');
    const cracker = { networkIp: '203.0.113.66', networkPort: 5072, userAgent: 'friendly-scanner', host: REALM };
    for (const n of [1, 2, 3]) {
      server!.sofia.register({
        ...cracker,
        user: '1000',
        contactUri: 'sip:1000@203.0.113.66',
        auth: 'wrong',
        callId: `g${n}`,
      });
    }
    await waitUntil(() => fs!.stats().inbound.reported.authFailures === 3, 5_000, 'three failures');
    expect(guard!.bans.get('203.0.113.66')).toBeUndefined();
    // The fourth guess is right: sofia stores the cracker's binding (it replaces the room's) and says so.
    server!.sofia.register({
      ...cracker,
      user: '1000',
      contactUri: 'sip:1000@203.0.113.66:5072',
      auth: 'ok',
      callId: 'svcrack-1',
    });
    await waitUntil(() => fs!.stats().rooms.flushed === 1, 5_000, 'the flush');
    expect(guard!.rooms.get('1000')).toMatchObject({ source: { ip: '10.0.0.21' } });
    expect(guard!.bans.get('203.0.113.66')).toBeDefined();
    expect(server!.apiCommands).toContain('sofia profile internal flush_inbound_reg svcrack-1');
    expect(server!.sofia.list().map((r) => r.callId)).not.toContain('svcrack-1');
    expect(events('freeswitch-room-hijack')[0]).toMatchObject({
      room: '1000@video.example.com',
      banned: true,
      flush: 'sent',
    });
    // The flush fires sofia::expire for the cracker's binding: the room stays on file.
    await barrier(server!, 'room-barrier');
    expect(guard!.rooms.isRoom('1000')).toBe(true);
    expect(fs!.stats().rooms).toMatchObject({ hijacks: 1, flushed: 1 });
    // Then the profile is listed again: without multiple-registrations sofia had replaced the room's own binding
    // with the cracker's, so after the flush the room is not registered at all (recorded on FreeSWITCH 1.10.12:
    // unreachable until it re-registered). The registry says so, and the room's next REGISTER brings it back.
    await waitUntil(() => !guard!.rooms.isRoom('1000'), 5_000, 'the re-listing');
    expect(server!.apiCommands.filter((c) => c === 'sofia xmlstatus profile internal reg')).toHaveLength(2);
    server!.sofia.register(room('1000', '10.0.0.21', { callId: 'room-again' }));
    await waitUntil(() => guard!.rooms.isRoom('1000'), 5_000, 'the room back');
    expect(guard!.rooms.get('1000')).toMatchObject({ source: { ip: '10.0.0.21' } });
  });

  it('with multiple-registrations the room keeps its own binding through a hijack and its flush', async () => {
    await setup((s) => s.sofia.register(room('1000', '10.0.0.21'), true), {
      peer: { multipleRegistrations: true },
      config: { ...CONFIG, bans: { failuresToBan: 10 } },
    });
    await waitUntil(() => guard!.rooms.size === 1, 5_000, 'the listing');
    const cracker = { networkIp: '203.0.113.67', networkPort: 5072, userAgent: 'friendly-scanner', host: REALM };
    for (const n of [1, 2, 3]) {
      server!.sofia.register({
        ...cracker,
        user: '1000',
        contactUri: 'sip:1000@203.0.113.67',
        auth: 'wrong',
        callId: `m${n}`,
      });
    }
    await waitUntil(() => fs!.stats().inbound.reported.authFailures === 3, 5_000, 'three failures');
    server!.sofia.register({
      ...cracker,
      user: '1000',
      contactUri: 'sip:1000@203.0.113.67:5072',
      auth: 'ok',
      callId: 'svcrack-2',
    });
    await waitUntil(() => fs!.stats().rooms.flushed === 1, 5_000, 'the flush');
    await waitUntil(
      () => server!.apiCommands.filter((c) => c === 'sofia xmlstatus profile internal reg').length === 2,
      5_000,
      'the re-listing',
    );
    await barrier(server!, 'room-barrier-2');
    expect(server!.sofia.list().map((r) => r.callId)).not.toContain('svcrack-2');
    expect(guard!.rooms.get('1000')).toMatchObject({ source: { ip: '10.0.0.21' } });
  });

  it('a room that re-registers from a new address with its own credentials moves', async () => {
    const { events } = await setup((s) => s.sofia.register(room('room-boardroom', '10.0.0.21'), true));
    await waitUntil(() => guard!.rooms.size === 1, 5_000, 'the listing');
    server!.sofia.register(room('room-boardroom', '10.0.0.31', { callId: 'new-dhcp-lease' }));
    await waitUntil(() => guard!.rooms.get('room-boardroom')?.source?.ip === '10.0.0.31', 5_000, 'the move');
    expect(events('room-binding').at(-1)).toMatchObject({ change: 'move', adapter: 'freeswitch' });
    expect(fs!.stats().rooms.hijacks).toBe(0);
  });

  it('refuses a call to an unregistered target from an unknown source, passes calls to registered rooms', async () => {
    const { events } = await setup((s) => {
      s.sofia.register(room('room-boardroom', '10.0.0.21'), true);
      s.sofia.register(room('room-huddle', '10.0.0.22'), true);
    });
    await waitUntil(() => guard!.rooms.size === 2, 5_000, 'the listing');
    const port = fs!.outbound!.port;
    // A registered room calls another one; the trusted bridge calls a room.
    const roomCall = await placeCall({ port, call: sipCall('10.0.0.22', 'room-boardroom') });
    expect(roomCall).toMatchObject({ outcome: 'continued', reached: true });
    const bridge = await placeCall({ port, call: sipCall('192.0.2.50', 'room-huddle', { userAgent: 'MCU' }) });
    expect(bridge).toMatchObject({ outcome: 'continued', reached: true });
    // An unknown source dials a number no room registered, shaped like toll fraud.
    const ghost = await placeCall({
      port,
      call: sipCall('198.51.100.90', '900441224000000', {
        userAgent: 'Z 5.4.12',
        from: { user: '1001', host: REALM, tag: 'a1' },
      }),
    });
    expect(ghost.reached).toBe(false);
    const calls = events('freeswitch-call');
    expect(calls[0]!.rules).not.toContain('dial.unknown-target');
    expect(calls.at(-1)!.rules).toEqual(expect.arrayContaining(['dial.unknown-target', 'dial.toll-fraud']));
    // Once sofia drops the boardroom, its name is an unknown target too.
    server!.sofia.expire((r) => r.user === 'room-boardroom');
    await waitUntil(() => !guard!.rooms.isRoom('room-boardroom'), 5_000, 'the expiry');
    await placeCall({ port, call: sipCall('10.0.0.22', 'room-boardroom', { callId: 'again' }) });
    expect(events('freeswitch-call').at(-1)!.rules).toContain('dial.unknown-target');
  });

  it('lists again after a reconnect: rooms that left while the socket was down are pruned, new ones added', async () => {
    const { events } = await setup((s) => {
      s.sofia.register(room('room-boardroom', '10.0.0.21'), true);
      s.sofia.register(room('room-huddle', '10.0.0.22'), true);
    });
    await waitUntil(() => events('freeswitch-rooms-listed').length === 1, 5_000, 'the first listing');
    await server!.stop();
    await waitUntil(() => !fs!.stats().inbound.connected, 5_000, 'the drop');
    // While the socket is down no event reaches the guard.
    server!.sofia.expire((r) => r.user === 'room-boardroom', true);
    server!.sofia.register(room('room-lobby', '10.0.0.24'), true);
    await server!.start();
    await waitUntil(() => events('freeswitch-rooms-listed').length === 2, 5_000, 'the listing after the reconnect');
    expect(Object.keys(byName(guard!.rooms.list())).sort()).toEqual([
      'room-huddle@video.example.com',
      'room-lobby@video.example.com',
    ]);
    expect(events('freeswitch-rooms-listed')[1]).toMatchObject({ profile: 'internal', registered: 2, pruned: 1 });
    expect(server!.apiCommands.filter((c) => c === 'sofia xmlstatus profile internal reg')).toHaveLength(2);
  });

  it('a listing FreeSWITCH does not answer, or a profile it does not know, prunes nothing (fail-open)', async () => {
    let silent = false;
    const { events } = await setup(
      (s) => {
        s.sofia.register(room('room-boardroom', '10.0.0.21'), true);
        s.sofia.register(room('room-huddle', '10.0.0.22'), true);
      },
      {
        peer: { silentApi: (c) => silent && c.startsWith('sofia xmlstatus') },
        adapter: { inbound: { rooms: { profiles: ['internal', 'external'], apiTimeout: 1_000 } } },
      },
    );
    await waitUntil(
      () => events('freeswitch-rooms-listed').length === 1 && events('freeswitch-rooms-list-failed').length === 1,
      5_000,
      'the listing and the unknown profile',
    );
    expect(events('freeswitch-rooms-list-failed')[0]).toMatchObject({
      profile: 'external',
      detail: 'Invalid Profile!',
    });
    expect(guard!.rooms.size).toBe(2);
    silent = true;
    server!.sofia.expire((r) => r.user === 'room-huddle', true);
    server!.dropClients();
    await waitUntil(() => fs!.stats().rooms.listFailures >= 3, 10_000, 'two unanswered listings');
    expect(events('freeswitch-rooms-list-failed')[1]).toMatchObject({
      profile: 'internal',
      detail: 'no answer within 1000 ms',
    });
    expect(guard!.rooms.size).toBe(2);
    expect(fs!.stats().inbound.connected).toBe(true);
  });

  it('with multiple-registrations, a room stays while one of its bindings remains', async () => {
    await setup(
      (s) => {
        s.sofia.register(room('room-boardroom', '10.0.0.21', { callId: 'tcp-1' }), true);
        s.sofia.register(
          room('room-boardroom', '10.0.0.21', { callId: 'udp-2', contactUri: 'sip:room-boardroom@10.0.0.21:5062' }),
          true,
        );
      },
      { peer: { multipleRegistrations: true } },
    );
    await waitUntil(() => guard!.rooms.size === 1, 5_000, 'the listing');
    expect(guard!.rooms.get('room-boardroom')?.contact).toContain(':5062');
    server!.sofia.expire((r) => r.callId === 'udp-2');
    await waitUntil(
      () => guard!.rooms.get('room-boardroom')?.contact.includes(';transport=tcp') === true,
      5_000,
      'the other binding',
    );
    server!.sofia.unregister({ user: 'room-boardroom', host: REALM, callId: 'tcp-1' });
    await waitUntil(() => !guard!.rooms.isRoom('room-boardroom'), 5_000, 'the last binding gone');
  });

  it('a listing larger than inbound.maxFrameBytes is given up after one try; events still keep the registry', async () => {
    const { events } = await setup(
      (s) => {
        for (let i = 0; i < 20; i++) s.sofia.register(room(`room-${i}`, `10.0.1.${i + 1}`), true);
      },
      { adapter: { inbound: { maxFrameBytes: 4_096 } } },
    );
    await waitUntil(() => events('freeswitch-rooms-list-failed').length === 1, 5_000, 'the oversized listing');
    expect(events('freeswitch-rooms-list-failed')[0]).toMatchObject({ reason: 'answer too large' });
    await waitUntil(() => fs!.stats().inbound.connects === 2 && fs!.stats().inbound.connected, 5_000, 'the reconnect');
    server!.sofia.register(room('room-huddle', '10.0.0.22'));
    await waitUntil(() => guard!.rooms.isRoom('room-huddle'), 5_000, 'the event');
    expect(server!.apiCommands).toEqual(['sofia xmlstatus profile internal reg']);
    expect(fs!.stats().rooms.listFailures).toBe(1);
    expect(events('freeswitch-rooms-list-failed')).toHaveLength(1);
  });

  it('with rooms disabled: no registration subclasses, no listing, nothing in the registry', async () => {
    await setup((s) => s.sofia.register(room('room-boardroom', '10.0.0.21'), true), {
      adapter: { inbound: { rooms: { enabled: false } } },
    });
    expect(server!.subscriptions[0]!.subclasses).toEqual(['sofia::register_failure']);
    server!.sofia.register(room('room-huddle', '10.0.0.22'));
    expect(server!.registerFailure({ networkIp: '203.0.113.7', toUser: '1000' })).toBe(1);
    await waitUntil(() => fs!.stats().inbound.reported.authFailures === 1, 5_000, 'a later event');
    expect(server!.apiCommands).toEqual([]);
    expect(guard!.rooms.size).toBe(0);
  });
});
