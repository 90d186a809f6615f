import { join } from 'node:path';
import { waitUntil } from '@ghostguard/asterisk/testing';
import type { ConfigInput, RoomEntry } from '@ghostguard/core';
import {
  type AmiPeer,
  recordedServerStream,
  type ScriptedCall,
  securityEvent,
  startAmiPeer,
} from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it } from 'vitest';
import { AST_FIXTURES, demoConfig, type Rig, rig } from './support.js';

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

/** The server side of a recorded AMI session, verbatim. */
const recordedStream = (name: string): string[] => recordedServerStream(join(AST_FIXTURES, name));

/** The demo's dialShape without its knownTargets: what exists is what Asterisk has registered. */
function registryConfig(over: ConfigInput = {}): ConfigInput {
  const demo = demoConfig();
  return demoConfig({ dialShape: { ...demo.dialShape, knownTargets: [] }, ...over });
}

/** Both listings of one login are done (PJSIP and chan_sip). */
const listings = (rg: Rig) => rg.logs.events('asterisk-rooms-listed').length;

/** Room systems registered before the guard connects (no events: they were there already). */
function seedRegistrations(p: AmiPeer): void {
  p.registrar.pjsipRegister(
    {
      aor: 'room-boardroom',
      endpoint: 'room-boardroom',
      uri: 'sip:room-boardroom@10.0.0.21:5060;transport=tcp',
      viaAddr: '10.0.0.21',
      viaPort: 5060,
      callId: 'boardroom-reg-1',
      userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5',
      expires: 3_600,
    },
    true,
  );
  // The endpoint dials as its AOR's extension too.
  p.registrar.pjsipRegister(
    {
      aor: '5552002',
      endpoint: 'room-huddle',
      uri: 'sip:5552002@10.0.0.22:5060',
      callId: 'huddle-reg-1',
      expires: 600,
    },
    true,
  );
  // A contact written in pjsip.conf is not a registration.
  p.registrar.pjsipRegister({ aor: 'trunk', endpoint: 'trunk', uri: 'sip:trunk.example.net', expires: 0 }, true);
  p.registrar.sipRegister(
    {
      name: '101',
      address: { ip: '10.0.0.5', port: 5060 },
      contact: 'sip:101@10.0.0.5:5060',
      callerIdName: 'Lab West',
      callerIdNum: '5551101',
      expires: 1_800,
    },
    true,
  );
  p.registrar.sipDefine({ name: '102' });
}

const byName = (rooms: RoomEntry[]) => Object.fromEntries(rooms.map((x) => [x.aor, x]));

const roomCall = (ip: string, exten: string): ScriptedCall => ({
  tech: 'PJSIP',
  source: { ip, port: 5060 },
  exten,
  userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5 0b9ecb0b51e',
  via: `SIP/2.0/TCP ${ip}:5060;branch=z9hG4bK9f3a1`,
  from: '"Lab East" <sip:room-lab-east@video.example.com>;tag=77ab',
  to: `<sip:${exten}@video.example.com>`,
  requestUri: `sip:${exten}@video.example.com`,
});

describe('Asterisk tells the guard which room systems are registered', () => {
  it('lists PJSIP contacts and chan_sip peers on connect and registers them, expiry and aliases included', async () => {
    peer = await startAmiPeer();
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    const rooms = byName(r.guard.rooms.list());
    expect(Object.keys(rooms).sort()).toEqual(['101', 'room-boardroom', 'room-huddle']);
    expect(rooms['room-boardroom']).toMatchObject({
      contact: 'sip:room-boardroom@10.0.0.21:5060;transport=tcp',
      adapter: 'asterisk',
      static: false,
    });
    // The listing's ViaAddr is what the client wrote: a contact registered before the adapter came is stored
    // without a source (fail-open) until its next REGISTER authenticates.
    expect(rooms['room-boardroom']!.source).toBeUndefined();
    expect(rooms['room-huddle']!.aliases).toEqual(['5552002']);
    expect(rooms['101']).toMatchObject({ contact: 'sip:101@10.0.0.5:5060', aliases: ['5551101'] });
    // Expiry as Asterisk holds it, not a default.
    const left = (e: RoomEntry) => ((e.expiresAt ?? 0) - Date.now()) / 1000;
    expect(left(rooms['room-huddle']!)).toBeGreaterThan(500);
    expect(left(rooms['room-huddle']!)).toBeLessThanOrEqual(600);
    expect(left(rooms['101']!)).toBeGreaterThan(1_700);
    expect(left(rooms['101']!)).toBeLessThanOrEqual(1_800);
    expect(r.guard.rooms.isRoom('5552002')).toBe(true);
    const sent = peer.received.map((a) => a.message.get('Action'));
    expect(sent).toEqual(expect.arrayContaining(['PJSIPShowContacts', 'SIPpeers', 'SIPshowpeer']));
    // SIPshowpeer only for the dynamic peer that is registered (102 is not).
    expect(
      peer.received.filter((a) => a.message.get('Action') === 'SIPshowpeer').map((a) => a.message.get('Peer')),
    ).toEqual(['101']);
    expect(r.attachment.stats()).toMatchObject({ rooms: { listed: 3, hijacks: 0, listFailures: 0 } });
  });

  it('follows ContactStatus and PeerStatus: rooms arrive, refresh and leave with Asterisk’s registrations', async () => {
    peer = await startAmiPeer();
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    expect(r.guard.rooms.size).toBe(0);
    const contact = { aor: 'room-lab', endpoint: 'room-lab', uri: 'sip:room-lab@10.0.0.30:5060' };
    peer.registrar.pjsipRegister({ ...contact, expires: 3_600 });
    await waitUntil(() => r!.guard.rooms.isRoom('room-lab'), 5_000, 'ContactStatus Created');
    peer.registrar.pjsipQualify('room-lab', contact.uri, false);
    peer.registrar.sipRegister({ name: '201', address: { ip: '10.0.0.31', port: 5062 }, expires: 300 });
    await waitUntil(() => r!.guard.rooms.isRoom('201'), 5_000, 'PeerStatus Registered');
    // SIPshowpeer then tells the real expiry (300 s, not rooms.eventExpires).
    await waitUntil(
      () => (r!.guard.rooms.get('201')?.expiresAt ?? Number.POSITIVE_INFINITY) - Date.now() <= 300_000,
      5_000,
      'the expiry from SIPshowpeer',
    );
    expect(r.guard.rooms.get('201')?.contact).toBe('sip:201@10.0.0.31:5062');
    // A failed REGISTER for 201 from elsewhere (chan_sip authfailureevents) does not evict the room.
    peer.publish([
      ['Event', 'PeerStatus'],
      ['Privilege', 'system,all'],
      ['ChannelType', 'SIP'],
      ['Peer', 'SIP/201'],
      ['PeerStatus', 'Rejected'],
      ['Cause', 'AUTH_SECRET_FAILED'],
      ['Address', '203.0.113.9:5060'],
    ]);
    peer.registrar.pjsipRemove('room-lab', contact.uri);
    await waitUntil(() => !r!.guard.rooms.isRoom('room-lab'), 5_000, 'ContactStatus Removed');
    expect(r.guard.rooms.isRoom('201')).toBe(true);
    peer.registrar.sipUnregister('201', 'Expired');
    await waitUntil(() => !r!.guard.rooms.isRoom('201'), 5_000, 'PeerStatus Unregistered');
    expect(r.attachment.stats()).toMatchObject({ rooms: { removed: 2, invalid: 0 } });
    expect(r.logs.events('asterisk-room-removed').map((l) => l.origin)).toEqual([
      'ContactStatus Removed',
      'PeerStatus Unregistered',
    ]);
  });

  it('svcrack’s successful REGISTER (recorded) does not move room 101 to the scanner, and bans the scanner', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    expect(r.guard.rooms.get('101')?.contact).toBe('sip:101@10.0.0.5:5060');
    const stream = recordedStream('ami-events-svcrack-101.follow.txt');
    // InvalidPassword… ChallengeSent, SuccessfulAuth, then PeerStatus Registered at the scanner's address.
    expect(stream.at(-1)).toMatch(/^Event: PeerStatus\r\n[\s\S]*PeerStatus: Registered\r\nAddress: 127\.0\.0\.1:5060/);
    for (const block of stream) peer.sendRaw(block);
    await waitUntil(() => r!.attachment.stats().rooms.hijacks === 1, 10_000, 'the hijack');
    expect(r.guard.rooms.get('101')).toMatchObject({ contact: 'sip:101@10.0.0.5:5060', source: { ip: '10.0.0.5' } });
    expect(r.guard.bans.get('127.0.0.1')).toBeDefined();
    expect(r.logs.events('asterisk-room-hijack')[0]).toMatchObject({
      level: 40,
      room: '101',
      contact: 'sip:101@127.0.0.1:5060',
      source: '127.0.0.1',
      onFile: 'sip:101@10.0.0.5:5060',
    });
    // No SIPshowpeer follows a refused registration.
    expect(peer.received.filter((a) => a.message.get('Action') === 'SIPshowpeer').length).toBe(1);
    // The scanner's next REGISTER (chan_sip raises PeerStatus Registered again) fails the check again.
    peer.sendRaw(stream.at(-1)!);
    await waitUntil(() => r!.attachment.stats().rooms.hijacks === 2, 10_000, 'the second hijack');
    expect(r.guard.rooms.get('101')?.contact).toBe('sip:101@10.0.0.5:5060');
    // The hijacker's call to the room is refused at the check; the room's own call still goes through.
    expect((await peer.placeCall(roomCall('127.0.0.1', '101')).outcome).kind).not.toBe('allowed');
    expect(await peer.placeCall(roomCall('10.0.0.21', '101')).outcome).toMatchObject({ kind: 'allowed' });
  });

  it('a cracked PJSIP REGISTER naming the PBX as contact (svwar style) is a hijack of its real source, not of the PBX or its Via', async () => {
    peer = await startAmiPeer();
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    const cracker = { ip: '203.0.113.66', port: 5061 };
    for (let i = 0; i < 3; i++) {
      peer.publish(
        securityEvent({
          event: 'ChallengeResponseFailed',
          service: 'PJSIP',
          accountId: 'room-boardroom',
          remote: cracker,
        }),
      );
    }
    await waitUntil(() => r!.attachment.stats().securityReports === 3, 5_000, 'the failures');
    // Then a guess works: res_pjsip stores the contact, which names the PBX's own address, with a Via naming
    // another host; only SuccessfulAuth's RemoteAddress says where it came from.
    peer.registrar.pjsipRegister(
      {
        aor: 'room-boardroom',
        endpoint: 'room-boardroom',
        uri: 'sip:room-boardroom@10.0.0.1:5060',
        viaAddr: '10.0.0.21',
        viaPort: 5060,
        callId: 'cracked-1',
        expires: 3_600,
      },
      false,
      { source: cracker },
    );
    await waitUntil(() => r!.attachment.stats().rooms.hijacks === 1, 10_000, 'the hijack');
    expect(r.guard.rooms.get('room-boardroom')?.contact).toBe('sip:room-boardroom@10.0.0.21:5060;transport=tcp');
    expect(r.guard.bans.get(cracker.ip)).toBeDefined();
    expect(r.guard.bans.get('10.0.0.1')).toBeUndefined();
    expect(r.guard.bans.get('10.0.0.21')).toBeUndefined();
    // Decided from the events: no listing per contact.
    expect(peer.received.filter((a) => a.message.get('Action') === 'PJSIPShowContacts').length).toBe(1);
    // The listing after a reconnect shows the binding again: not reported (nor banned) twice.
    peer.dropConnections();
    await waitUntil(() => listings(r!) === 4, 10_000, 'the listings after the reconnect');
    expect(r.logs.events('asterisk-room-hijack')).toHaveLength(1);
    expect(r.guard.rooms.get('room-boardroom')?.contact).toBe('sip:room-boardroom@10.0.0.21:5060;transport=tcp');
  });

  it('the recorded svwar REGISTER sweep (899 InvalidAccountID, FailedACL, ChallengeSent) adds or moves no room', async () => {
    peer = await startAmiPeer();
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    const before = r.guard.rooms.list();
    const stream = recordedStream('ami-events-svwar-default-open.follow.txt');
    for (const block of stream) peer.sendRaw(block);
    await waitUntil(() => r!.attachment.stats().securityReports === 900, 10_000, '900 failure reports');
    expect(r.guard.rooms.list()).toEqual(before);
    for (const ext of ['100', '102', '555', '999']) expect(r.guard.rooms.isRoom(ext)).toBe(false);
    expect(r.attachment.stats()).toMatchObject({ rooms: { stored: 3, hijacks: 0, refused: 0 } });
  });

  it('refuses a call to an unregistered target from an unknown source, and passes a room-to-room call', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    // room-huddle (10.0.0.22, registered) calls room-boardroom (registered).
    expect(await peer.placeCall(roomCall('10.0.0.22', 'room-boardroom')).outcome).toMatchObject({
      kind: 'allowed',
      by: 'verdict',
    });
    // An unknown source dials a number no room registered, shaped like toll fraud.
    const fraud = await peer.placeCall({ ...roomCall('198.51.100.90', '900441224000000'), userAgent: 'Z 5.4.12' })
      .outcome;
    expect(fraud.kind).not.toBe('allowed');
    const [room, unknown] = r.logs.events('asterisk-call');
    expect(room!.rules).not.toContain('dial.unknown-target');
    expect(unknown!.rules).toEqual(expect.arrayContaining(['dial.unknown-target', 'dial.toll-fraud']));
    // Once Asterisk drops the boardroom's registration, its name is an unknown target too.
    peer.registrar.pjsipRemove('room-boardroom', 'sip:room-boardroom@10.0.0.21:5060;transport=tcp');
    await waitUntil(() => !r!.guard.rooms.isRoom('room-boardroom'), 5_000, 'the removal');
    await peer.placeCall(roomCall('10.0.0.22', 'room-boardroom')).outcome;
    expect(r.logs.events('asterisk-call')[2]!.rules).toContain('dial.unknown-target');
  });

  it('lists again after a reconnect: rooms that left while AMI was down are pruned, new ones added', async () => {
    peer = await startAmiPeer();
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    peer.dropConnections();
    await waitUntil(() => !r!.attachment.connected, 5_000, 'the drop');
    // While the connection is down (no events reach the guard):
    peer.registrar.pjsipRemove('room-boardroom', 'sip:room-boardroom@10.0.0.21:5060;transport=tcp', true);
    peer.registrar.sipUnregister('101', undefined, true);
    peer.registrar.sipRegister({ name: '103', address: { ip: '10.0.0.7', port: 5060 }, expires: 900 }, true);
    await waitUntil(() => listings(r!) === 4, 10_000, 'the listings after the reconnect');
    expect(Object.keys(byName(r.guard.rooms.list())).sort()).toEqual(['103', 'room-huddle']);
    expect(r.attachment.stats()).toMatchObject({ connects: 2, rooms: { removed: 2 } });
  });

  it.each([
    ['open', ['101', 'room-boardroom', 'room-huddle']],
    ['closed', ['101']],
  ] as const)('a PJSIP listing that fails after a reconnect (too many events) is fail-%s', async (failMode, left) => {
    peer = await startAmiPeer();
    seedRegistrations(peer);
    r = rig(peer, registryConfig(), { rooms: { maxListItems: 3, failMode } });
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    // The listed PJSIP rooms reach the guard (fail-closed: with their real source, on their next REGISTER).
    for (const c of peer.registrar.pjsipContacts()) {
      const ip = /@([\d.]+):/.exec(c.uri)?.[1];
      if (ip === undefined) continue;
      peer.registrar.pjsipRegister({ ...c, expires: 600 }, false, { source: { ip, port: 5060 } });
    }
    await waitUntil(() => r!.guard.rooms.size === 3, 10_000, 'the rooms');
    for (const n of [1, 2]) {
      peer.registrar.pjsipRegister(
        { aor: `r-${n}`, endpoint: `r-${n}`, uri: `sip:r-${n}@10.0.1.${n}`, expires: 60 },
        true,
      );
    }
    peer.dropConnections();
    await waitUntil(() => r!.attachment.stats().rooms.listFailures === 1, 10_000, 'the failed listing');
    await waitUntil(() => listings(r!) === 3, 10_000, 'the chan_sip listing');
    expect(r.logs.events('asterisk-rooms-list-failed')[0]).toMatchObject({
      tech: 'PJSIP',
      failMode,
      detail: 'more than 3 list events',
    });
    expect(Object.keys(byName(r.guard.rooms.list())).sort()).toEqual(left);
  });

  it.each(['open', 'closed'] as const)(
    'a contact with no address to check never moves a room; a new one is stored only fail-open (%s)',
    async (failMode) => {
      peer = await startAmiPeer();
      r = rig(peer, registryConfig(), { rooms: { failMode } });
      await r.attachment.ready;
      await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
      const boardroom = { aor: 'room-boardroom', endpoint: 'room-boardroom', expires: 600 };
      peer.registrar.pjsipRegister({ ...boardroom, uri: 'sip:room-boardroom@10.0.0.21:5060' }, false, {
        source: { ip: '10.0.0.21', port: 5060 },
      });
      await waitUntil(() => r!.guard.rooms.isRoom('room-boardroom'), 5_000, 'the room');
      // Contacts whose REGISTER raised no SuccessfulAuth (an endpoint without auth, or `security` not read).
      peer.registrar.pjsipRegister({ ...boardroom, uri: 'sip:room-boardroom@rooms.example.net' });
      peer.registrar.pjsipRegister({
        aor: 'room-dns',
        endpoint: 'room-dns',
        uri: 'sip:room-dns@rooms.example.net',
        expires: 600,
      });
      await waitUntil(() => r!.logs.events('room-unverifiable').length === 2, 10_000, 'both verdicts');
      expect(r.guard.rooms.get('room-boardroom')?.contact).toBe('sip:room-boardroom@10.0.0.21:5060');
      expect(r.guard.rooms.isRoom('room-dns')).toBe(failMode === 'open');
      expect(r.logs.events('room-unverifiable').map((l) => l.failMode)).toEqual(['closed', failMode]);
    },
  );

  it('keeps judging calls when the manager user may not list registrations, and says why', async () => {
    peer = await startAmiPeer({
      users: { ghostguard: { secret: 'ghostguard-secret', read: ['call', 'user', 'security'], write: ['call'] } },
    });
    seedRegistrations(peer);
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => r!.attachment.stats().rooms.listFailures === 2, 10_000, 'both refusals');
    expect(r.guard.rooms.size).toBe(0);
    expect(r.logs.events('asterisk-rooms-list-failed')[0]).toMatchObject({ level: 40, detail: 'Permission denied' });
    expect(String(r.logs.events('asterisk-rooms-list-failed')[0]!.msg)).toMatch(/write=system/);
    expect(await peer.placeCall(roomCall('10.0.0.22', 'room-boardroom')).outcome).toMatchObject({ kind: 'allowed' });
  });

  it('ignores ContactStatus / PeerStatus events whose fields do not decode, and counts them', async () => {
    peer = await startAmiPeer();
    r = rig(peer, registryConfig());
    await r.attachment.ready;
    await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
    peer.publish([
      ['Event', 'ContactStatus'],
      ['Privilege', 'system,all'],
      ['URI', `sip:${'x'.repeat(2_000)}@10.0.0.9`],
      ['ContactStatus', 'Created'],
      ['AOR', 'room-x'],
    ]);
    peer.publish([
      ['Event', 'PeerStatus'],
      ['Privilege', 'system,all'],
      ['ChannelType', 'SIP'],
      ['Peer', 'SIP/room-y'],
      ['PeerStatus', 'Registered'],
      ['Address', 'not-an-address'],
    ]);
    await waitUntil(() => r!.attachment.stats().rooms.invalid === 2, 5_000, 'both invalid events');
    expect(r.guard.rooms.size).toBe(0);
    expect(r.attachment.connected).toBe(true);
  });
});
