/**
 * What a real Asterisk 20.20.1 raised for registrations (../shared/fixtures/asterisk-20.20.1-live/, issue 15):
 * NonQualified instead of Created, PJSIP PeerStatus, the REGISTER's real source only in the security events,
 * remove_existing's Removed of a room's own contact when a hijacker registers, "No Contacts found".
 */
import { join } from 'node:path';
import { waitUntil } from '@ghostguard/asterisk/testing';
import type { ConfigInput } from '@ghostguard/core';
import {
  type AmiPeer,
  contactStatusEvent,
  peerStatusEvent,
  recordedServerStream,
  type ScriptedCall,
  startAmiPeer,
} from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it } from 'vitest';
import { demoConfig, type Rig, rig, SHARED } from './support.js';

const LIVE = join(SHARED, 'asterisk-20.20.1-live');
/** Instance B's AMI port in the live recordings. */
const B = 5138;

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

function registryConfig(over: ConfigInput = {}): ConfigInput {
  const demo = demoConfig();
  return demoConfig({ dialShape: { ...demo.dialShape, knownTargets: [] }, ...over });
}

const listings = (rg: Rig) => rg.logs.events('asterisk-rooms-listed').length;
const pjsipListings = (p: AmiPeer) => p.received.filter((a) => a.message.get('Action') === 'PJSIPShowContacts').length;

const roomCall = (ip: string, exten: string): ScriptedCall => ({
  tech: 'PJSIP',
  source: { ip, port: 5060 },
  exten,
  userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5 0b9ecb0b51e',
  via: `SIP/2.0/UDP ${ip}:5060;branch=z9hG4bK9f3a1`,
  from: '"Lab East" <sip:room-lab-east@video.example.com>;tag=77ab',
  to: `<sip:${exten}@video.example.com>`,
  requestUri: `sip:${exten}@video.example.com`,
});

async function connected(over: Partial<Parameters<typeof rig>[2]> = {}): Promise<{ p: AmiPeer; g: Rig }> {
  peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
  r = rig(peer, registryConfig(), over);
  await r.attachment.ready;
  await waitUntil(() => listings(r!) === 2, 10_000, 'both listings');
  return { p: peer, g: r };
}

/** room1 registers from 127.0.0.12:6001 as in the tollfraud run (template: max_contacts 1, remove_existing). */
const ROOM1 = {
  aor: 'room1',
  endpoint: 'room1',
  uri: 'sip:room1@127.0.0.12:6001',
  callId: '4283fefc63f0cd0e873a0000@127.0.0.12',
  viaAddr: '127.0.0.12',
  viaPort: 6001,
  expires: 3_600,
};
const ROOM1_SOURCE = { ip: '127.0.0.12', port: 6001 };

describe('registrations as a real Asterisk 20.20.1 raises them', () => {
  it('learns rooms from ContactStatus NonQualified with qualify_frequency 0 (recorded), from their real source', async () => {
    const { p, g } = await connected();
    // ChallengeSent, SuccessfulAuth, PeerStatus (PJSIP) Reachable, DeviceStateChange, ContactStatus NonQualified,
    // twice (room2, room3): nothing else says a room registered.
    const stream = recordedServerStream(join(LIVE, 'ami-pjsip-register-qualify0.follow.txt'), B).slice(0, 10);
    expect(stream.filter((b) => b.includes('ContactStatus: NonQualified'))).toHaveLength(2);
    expect(stream.some((b) => /ContactStatus: (Created|Reachable)/.test(b))).toBe(false);
    for (const block of stream) p.sendRaw(block);
    await waitUntil(() => g.guard.rooms.isRoom('room3'), 5_000, 'room3');
    expect(g.guard.rooms.get('room2')).toMatchObject({
      contact: 'sip:room2@127.0.0.14:6201',
      source: { ip: '127.0.0.14', port: 6201 },
    });
    expect(g.guard.rooms.get('room3')).toMatchObject({ source: { ip: '127.0.0.14', port: 6202 } });
    // PJSIP's PeerStatus is not a malformed chan_sip one; and no listing per new contact.
    expect(g.attachment.stats().rooms.invalid).toBe(0);
    expect(g.logs.events('asterisk-room-event-invalid')).toHaveLength(0);
    expect(pjsipListings(p)).toBe(1);
    // A call to the room is not a call to an unknown target.
    await p.placeCall(roomCall('127.0.0.14', 'room2')).outcome;
    expect(g.logs.events('asterisk-call')[0]!.rules).not.toContain('dial.unknown-target');
  });

  it('svcrack’s cracked PJSIP REGISTER (recorded) is a hijack of its real source 127.0.0.75, not of its Via 127.0.0.1', async () => {
    const { p, g } = await connected();
    p.registrar.pjsipRegister(ROOM1, false, { source: ROOM1_SOURCE, qualify: true, removeExisting: true });
    await waitUntil(() => g.guard.rooms.isRoom('room1'), 5_000, 'room1');
    // 13 × ChallengeResponseFailed from 127.0.0.75, SuccessfulAuth, ContactStatus NonQualified sip:123@127.0.0.75.
    const stream = recordedServerStream(join(LIVE, 'ami-pjsip-svcrack.follow.txt'), B);
    expect(stream.at(-1)).toMatch(/ContactStatus: NonQualified/);
    for (const block of stream) p.sendRaw(block);
    await waitUntil(() => g.attachment.stats().rooms.hijacks === 1, 10_000, 'the hijack');
    expect(g.guard.rooms.get('room1')).toMatchObject({ contact: ROOM1.uri, source: { ip: '127.0.0.12' } });
    expect(g.guard.bans.get('127.0.0.75')).toBeDefined();
    expect(g.guard.bans.get('127.0.0.1')).toBeUndefined();
    expect(g.logs.events('asterisk-room-hijack')[0]).toMatchObject({
      room: 'room1',
      contact: 'sip:123@127.0.0.75',
      source: '127.0.0.75',
      onFile: ROOM1.uri,
    });
    // After `core restart now` the listing holds the hijacked binding (ViaAddr 127.0.0.1, CallId 1769276081,
    // ami-pjsip-after-core-restart.follow.txt): the registry keeps room1 and nothing is reported again.
    p.registrar.pjsipRemove('room1', ROOM1.uri, true);
    p.registrar.pjsipRegister(
      {
        aor: 'room1',
        endpoint: 'room1',
        uri: 'sip:123@127.0.0.75',
        viaAddr: '127.0.0.1',
        viaPort: 5060,
        callId: '1769276081',
        userAgent: 'friendly-scanner',
        expires: 3_600,
      },
      true,
    );
    p.dropConnections();
    await waitUntil(() => listings(g) === 4, 10_000, 'the listings after the reconnect');
    expect(g.guard.rooms.get('room1')?.contact).toBe(ROOM1.uri);
    expect(g.logs.events('asterisk-room-hijack')).toHaveLength(1);
    expect(g.logs.events('asterisk-room-removed')).toHaveLength(0);
  });

  it.each([
    ['the hijacker’s NonQualified, then the room’s Removed (registrar order)', false],
    ['the room’s Removed, then the hijacker’s NonQualified', true],
  ])('a remove_existing hijack keeps the room and its calls: %s', async (_, removedFirst) => {
    const { p, g } = await connected();
    p.registrar.pjsipRegister(ROOM1, false, { source: ROOM1_SOURCE, removeExisting: true });
    await waitUntil(() => g.guard.rooms.isRoom('room1'), 5_000, 'room1');
    // The recorded svcrack failures (13 × ChallengeResponseFailed from 127.0.0.75), then the cracked REGISTER.
    const stream = recordedServerStream(join(LIVE, 'ami-pjsip-svcrack.follow.txt'), B);
    for (const block of stream.filter((b) => b.startsWith('Event: ChallengeResponseFailed'))) p.sendRaw(block);
    await waitUntil(() => g.attachment.stats().securityReports === 13, 5_000, 'the failures');
    const scanner = {
      aor: 'room1',
      endpoint: 'room1',
      uri: 'sip:123@127.0.0.75',
      viaAddr: '127.0.0.1',
      viaPort: 5060,
      callId: '1769276081',
      expires: 3_600,
    };
    if (removedFirst) {
      p.publish(contactStatusEvent(ROOM1, 'Removed'));
      p.registrar.pjsipRegister(scanner, false, { source: { ip: '127.0.0.75', port: 5060 } });
    } else {
      p.registrar.pjsipRegister(scanner, false, { source: { ip: '127.0.0.75', port: 5060 }, removeExisting: true });
    }
    await waitUntil(() => g.attachment.stats().roomsDisplaced === 1, 10_000, 'the displaced room');
    expect(g.attachment.stats().rooms).toMatchObject({ hijacks: 1, removed: 0 });
    expect(g.guard.rooms.get('room1')?.contact).toBe(ROOM1.uri);
    expect(g.logs.events('asterisk-room-displaced')[0]).toMatchObject({ level: 40, room: 'room1' });
    // The room's own call to room1 (as after the hijack on the real server) is not an unknown target.
    await p.placeCall(roomCall('127.0.0.12', 'room1')).outcome;
    const [call] = g.logs.events('asterisk-call');
    expect(call!.rules).not.toContain('dial.unknown-target');
    expect(call!.verdict).toBe('allow');
  });

  it('a room that unregisters (Removed, nothing refused around it) leaves the registry', async () => {
    const { p, g } = await connected();
    p.registrar.pjsipRegister(ROOM1, false, { source: ROOM1_SOURCE });
    await waitUntil(() => g.guard.rooms.isRoom('room1'), 5_000, 'room1');
    p.registrar.pjsipRemove('room1', ROOM1.uri);
    await waitUntil(() => !g.guard.rooms.isRoom('room1'), 5_000, 'the removal');
    expect(g.attachment.stats()).toMatchObject({ roomsDisplaced: 0, rooms: { removed: 1 } });
  });

  it('a room that moves (remove_existing, new address, clean source) is moved, not displaced', async () => {
    const { p, g } = await connected();
    p.registrar.pjsipRegister(ROOM1, false, { source: ROOM1_SOURCE, removeExisting: true });
    await waitUntil(() => g.guard.rooms.isRoom('room1'), 5_000, 'room1');
    const moved = { ...ROOM1, uri: 'sip:room1@127.0.0.13:6001', viaAddr: '127.0.0.13' };
    p.registrar.pjsipRegister(moved, false, { source: { ip: '127.0.0.13', port: 6001 }, removeExisting: true });
    await waitUntil(() => g.guard.rooms.get('room1')?.contact === moved.uri, 5_000, 'the move');
    expect(g.attachment.stats()).toMatchObject({ roomsDisplaced: 0, rooms: { hijacks: 0, removed: 0 } });
  });

  it('a fresh Asterisk (No Contacts found) is an empty listing, not a failure; 30 rooms need no more listings', async () => {
    const { p, g } = await connected();
    expect(g.logs.events('asterisk-rooms-list-failed')).toHaveLength(0);
    expect(g.logs.events('asterisk-rooms-listed')[0]).toMatchObject({ tech: 'PJSIP', registered: 0 });
    expect(g.attachment.stats().rooms.listFailures).toBe(0);
    for (let n = 1; n <= 30; n++) {
      p.registrar.pjsipRegister(
        { aor: `room${n}`, endpoint: `room${n}`, uri: `sip:room${n}@127.0.0.12:${6000 + n}`, expires: 3_600 },
        false,
        { source: { ip: '127.0.0.12', port: 6000 + n }, qualify: true },
      );
    }
    await waitUntil(() => g.guard.rooms.size === 30, 10_000, '30 rooms');
    expect(pjsipListings(p)).toBe(1);
    expect(g.attachment.stats().rooms).toMatchObject({ stored: 30, invalid: 0 });
    // PJSIP's own PeerStatus (one per endpoint) is neither a warning nor an invalid event.
    p.publish(peerStatusEvent('room1', 'Reachable', { channelType: 'PJSIP' }));
    await p.placeCall(roomCall('127.0.0.12', 'room2')).outcome;
    expect(g.logs.events('asterisk-room-event-invalid')).toHaveLength(0);
  });
});
