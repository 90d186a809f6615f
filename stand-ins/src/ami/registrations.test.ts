import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFollowText, recordedServerStream } from './follow-file.js';
import { AmiFrameReader, type AmiMessage, encodeFrame } from './frame.js';
import { peerStatusEvent } from './registrations.js';
import { type AmiPeer, startAmiPeer } from './server.js';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1');
const LIVE = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1-live');

let peer: AmiPeer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await peer?.close();
  peer = undefined;
});

/** A logged-in raw client; `messages()` parses everything received after the banner. */
async function session(p: AmiPeer, user = 'ghostguard', secret = 'ghostguard-secret', mask?: string) {
  const socket = connect({ host: p.host, port: p.port });
  sockets.push(socket);
  let text = '';
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    text += d;
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    encodeFrame([
      ['Action', 'Login'],
      ['Username', user],
      ['Secret', secret],
      ...(mask !== undefined ? [['Events', mask] as const] : []),
    ]),
  );
  await waitUntil(() => text.includes('Authentication accepted'), 5_000, 'the login');
  const messages = (): AmiMessage[] => new AmiFrameReader(4096, 128, true).push(text);
  return { socket, messages, text: () => text };
}

describe('AMI peer: the registrars (PJSIPShowContacts, SIPpeers, SIPshowpeer, ContactStatus, PeerStatus)', () => {
  it('raises PeerStatus Registered byte for byte as in the svcrack-101 recording', async () => {
    const recorded = parseFollowText(readFileSync(join(FIXTURES, 'ami-events-svcrack-101.follow.txt'), 'latin1'))
      .map((b) => b.text)
      .find((t) => t.startsWith('Event: PeerStatus\r\n'));
    expect(encodeFrame(peerStatusEvent('101', 'Registered', { address: '127.0.0.1:5060' }))).toBe(recorded);
    peer = await startAmiPeer();
    const c = await session(peer, 'ghostguard', 'ghostguard-secret', 'system');
    peer.registrar.sipRegister({ name: '101', address: { ip: '127.0.0.1', port: 5060 }, expires: 120 });
    await waitUntil(() => c.text().includes('PeerStatus: Registered'), 5_000, 'PeerStatus');
    expect(c.text().endsWith(recorded!)).toBe(true);
  });

  it('lists PJSIP contacts as ContactList events with the ActionID and closes with ContactListComplete', async () => {
    peer = await startAmiPeer();
    peer.registrar.pjsipRegister(
      { aor: 'room-a', endpoint: 'room-a', uri: 'sip:room-a@10.0.0.5:5060', expires: 3600, viaAddr: '10.0.0.5' },
      true,
    );
    peer.registrar.pjsipRegister({ aor: 'room-b', endpoint: 'room-b', uri: 'sip:room-b@10.0.0.6', expires: 60 }, true);
    // The list goes to the session whatever its event mask (astman_append), here an empty one.
    const c = await session(peer, 'ghostguard', 'ghostguard-secret', 'off');
    c.socket.write(
      encodeFrame([
        ['Action', 'PJSIPShowContacts'],
        ['ActionID', 'l1'],
      ]),
    );
    await waitUntil(() => c.text().includes('ContactListComplete'), 5_000, 'the list');
    const m = c.messages().slice(1);
    expect(m[0]!.fields).toEqual([
      ['Response', 'Success'],
      ['ActionID', 'l1'],
      ['EventList', 'start'],
      ['Message', 'A listing of Contacts follows, presented as ContactList events'],
    ]);
    expect(m.slice(1, 3).map((e) => [e.get('Event'), e.get('ActionID'), e.get('Endpoint'), e.get('Uri')])).toEqual([
      ['ContactList', 'l1', 'room-a', 'sip:room-a@10.0.0.5:5060'],
      ['ContactList', 'l1', 'room-b', 'sip:room-b@10.0.0.6'],
    ]);
    expect(m[1]!.get('ObjectName')).toMatch(/^room-a;@[0-9a-f]{32}$/);
    expect(m[1]!.get('Privilege')).toBeUndefined();
    expect(Number(m[1]!.get('ExpirationTime')) - Date.now() / 1000).toBeGreaterThan(3_500);
    expect(m[3]!.fields).toEqual([
      ['Event', 'ContactListComplete'],
      ['ActionID', 'l1'],
      ['EventList', 'Complete'],
      ['ListItems', '2'],
    ]);
  });

  it('lists chan_sip peers (SIPpeers) and shows one (SIPshowpeer), and refuses both without write=system', async () => {
    peer = await startAmiPeer({
      users: {
        ghostguard: { secret: 'ghostguard-secret' },
        narrow: { secret: 's', read: ['call'], write: ['call'] },
      },
    });
    peer.registrar.sipDefine({ name: '102' });
    peer.registrar.sipRegister(
      { name: '101', address: { ip: '10.0.0.5', port: 5060 }, expires: 3600, contact: 'sip:101@10.0.0.5:5060' },
      true,
    );
    const c = await session(peer);
    c.socket.write(
      encodeFrame([
        ['Action', 'SIPpeers'],
        ['ActionID', 'p'],
      ]),
    );
    c.socket.write(
      encodeFrame([
        ['Action', 'SIPshowpeer'],
        ['ActionID', 's'],
        ['Peer', '101'],
      ]),
    );
    c.socket.write(
      encodeFrame([
        ['Action', 'SIPshowpeer'],
        ['ActionID', 'n'],
        ['Peer', 'nobody'],
      ]),
    );
    await waitUntil(() => c.text().includes('Peer nobody not found.'), 5_000, 'the answers');
    const m = c.messages().filter((x) => x.get('ActionID') !== undefined);
    expect(m.map((x) => x.get('Event') ?? x.get('Response'))).toEqual([
      'Success',
      'PeerEntry',
      'PeerEntry',
      'PeerlistComplete',
      'Success',
      'Error',
    ]);
    expect(m[1]!.get('ObjectName')).toBe('101');
    expect(m[1]!.get('IPaddress')).toBe('10.0.0.5');
    expect(m[2]!.get('IPaddress')).toBe('-none-');
    expect(m[4]!.get('Reg-Contact')).toBe('sip:101@10.0.0.5:5060');
    expect(m[4]!.get('RegExpire')).toMatch(/^(3600|3599) seconds$/);
    const narrow = await session(peer, 'narrow', 's');
    narrow.socket.write(
      encodeFrame([
        ['Action', 'PJSIPShowContacts'],
        ['ActionID', 'x'],
      ]),
    );
    await waitUntil(() => narrow.text().includes('Permission denied'), 5_000, 'the refusal');
  });

  it('raises what a real PJSIP REGISTER raises with qualify_frequency 0, as recorded (no Created, PeerStatus PJSIP)', async () => {
    // ami-pjsip-register-qualify0.follow.txt: ChallengeSent, SuccessfulAuth, PeerStatus (PJSIP) Reachable,
    // DeviceStateChange, ContactStatus NonQualified.
    const recorded = recordedServerStream(join(LIVE, 'ami-pjsip-register-qualify0.follow.txt'), 5138).slice(0, 5);
    peer = await startAmiPeer();
    const c = await session(peer);
    const before = c.messages().length;
    peer.registrar.pjsipRegister(
      {
        aor: 'room2',
        endpoint: 'room2',
        uri: 'sip:room2@127.0.0.14:6201',
        callId: '4283fefc63f0cd0e873a0000@127.0.0.14',
        expires: 3600,
      },
      false,
      { source: { ip: '127.0.0.14', port: 6201 }, local: { ip: '127.0.0.1', port: 5170 } },
    );
    await waitUntil(() => c.text().includes('NonQualified'), 5_000, 'the events');
    const sent = c.messages().slice(before);
    const withoutTime = (fields: readonly (readonly [string, string])[]) => fields.filter(([n]) => n !== 'EventTV');
    const expected = new AmiFrameReader(4096, 128, false).push(recorded.join(''));
    expect(sent.map((m) => withoutTime(m.fields))).toEqual(expected.map((m) => withoutTime(m.fields)));
    // A refresh of the same contact raises no ContactStatus (send_contact_status_on_update_registration = no).
    peer.registrar.pjsipRegister({ aor: 'room2', endpoint: 'room2', uri: 'sip:room2@127.0.0.14:6201', expires: 3600 });
    peer.registrar.pjsipRemove('room2', 'sip:room2@127.0.0.14:6201');
    await waitUntil(() => c.text().includes('Removed'), 5_000, 'the removal');
    expect(
      c
        .messages()
        .slice(before)
        .map((m) => m.get('ContactStatus'))
        .filter(Boolean),
    ).toEqual(['NonQualified', 'Removed']);
  });

  it('with qualify on: NonQualified, DeviceStateChange, PeerStatus, then Reachable, as in the tollfraud run', async () => {
    const recorded = recordedServerStream(join(LIVE, 'ami-pjsip-guard-tollfraud-run.follow.txt'), 5038);
    const at = recorded.findIndex((b) => b.includes('AccountID: room8') && b.startsWith('Event: ChallengeSent'));
    const expected = new AmiFrameReader(4096, 128, false).push(recorded.slice(at, at + 6).join(''));
    peer = await startAmiPeer();
    const c = await session(peer);
    const before = c.messages().length;
    peer.registrar.pjsipRegister(
      {
        aor: 'room8',
        endpoint: 'room8',
        uri: 'sip:room8@127.0.0.12:6008',
        callId: '8b93e8319002d3167d53e575@127.0.0.12',
        expires: 3600,
      },
      false,
      { source: { ip: '127.0.0.12', port: 6008 }, local: { ip: '127.0.0.1', port: 5070 }, qualify: true },
    );
    await waitUntil(() => c.text().includes('RoundtripUsec: 1735'), 5_000, 'the events');
    const withoutTime = (fields: readonly (readonly [string, string])[]) => fields.filter(([n]) => n !== 'EventTV');
    expect(
      c
        .messages()
        .slice(before)
        .map((m) => withoutTime(m.fields)),
    ).toEqual(expected.map((m) => withoutTime(m.fields)));
  });

  it('lists a PJSIP contact field for field as Asterisk 20.20.1 did after svcrack’s REGISTER', async () => {
    const recorded = recordedServerStream(join(LIVE, 'ami-pjsip-after-core-restart.follow.txt'), 5138);
    const block = recorded.find((b) => b.includes('Uri: sip:123@127.0.0.75'))!;
    const [expected] = new AmiFrameReader(4096, 128, false).push(block);
    peer = await startAmiPeer();
    peer.registrar.pjsipRegister(
      {
        aor: 'room1',
        endpoint: 'room1',
        uri: 'sip:123@127.0.0.75',
        viaAddr: '127.0.0.1',
        viaPort: 5060,
        callId: '1769276081',
        userAgent: 'friendly-scanner',
        qualifyFrequency: 60,
        hash: '9fd560e6966937328f73148a928af04c',
        expires: 3600,
      },
      true,
    );
    const c = await session(peer);
    c.socket.write(
      encodeFrame([
        ['Action', 'PJSIPShowContacts'],
        ['ActionID', 'gg-14'],
      ]),
    );
    await waitUntil(() => c.text().includes('ContactListComplete'), 5_000, 'the listing');
    const listed = c.messages().find((m) => m.get('Event') === 'ContactList')!;
    const noExpiry = (f: readonly (readonly [string, string])[]) => f.filter(([n]) => n !== 'ExpirationTime');
    expect(noExpiry(listed.fields)).toEqual(noExpiry(expected!.fields));
  });

  it('answers PJSIPShowContacts with nothing registered as an error, as recorded on a fresh start', async () => {
    // The recording ends mid-block (the capture stopped): read it as text.
    const recorded = readFileSync(join(LIVE, 'ami-login-empty-contacts.follow.txt'), 'latin1');
    const answer = 'Response: Error\r\nActionID: gg-2\r\nMessage: No Contacts found\n\r\n\r\n';
    expect(recorded).toContain(`64\n${answer}`);
    peer = await startAmiPeer();
    const c = await session(peer);
    c.socket.write(
      encodeFrame([
        ['Action', 'PJSIPShowContacts'],
        ['ActionID', 'gg-2'],
      ]),
    );
    await waitUntil(() => c.text().includes('No Contacts found'), 5_000, 'the answer');
    expect(c.text()).toContain(answer);
  });

  it('with remove_existing, a new contact of the AOR removes the one before (NonQualified, then Removed)', async () => {
    peer = await startAmiPeer();
    const c = await session(peer);
    const opts = { removeExisting: true };
    peer.registrar.pjsipRegister(
      { aor: 'room1', endpoint: 'room1', uri: 'sip:room1@127.0.0.12:6001', expires: 60 },
      false,
      opts,
    );
    peer.registrar.pjsipRegister(
      { aor: 'room1', endpoint: 'room1', uri: 'sip:123@127.0.0.75', expires: 60 },
      false,
      opts,
    );
    await waitUntil(() => c.text().includes('Removed'), 5_000, 'the removal');
    const statuses = c
      .messages()
      .filter((m) => m.get('Event') === 'ContactStatus')
      .map((m) => `${m.get('ContactStatus')} ${m.get('URI')}`);
    expect(statuses).toEqual([
      'NonQualified sip:room1@127.0.0.12:6001',
      'NonQualified sip:123@127.0.0.75',
      'Removed sip:room1@127.0.0.12:6001',
    ]);
    expect(peer.registrar.pjsipContacts().map((x) => x.uri)).toEqual(['sip:123@127.0.0.75']);
  });
});
