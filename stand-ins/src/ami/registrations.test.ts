import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFollowText } from './follow-file.js';
import { AmiFrameReader, type AmiMessage, encodeFrame } from './frame.js';
import { peerStatusEvent } from './registrations.js';
import { type AmiPeer, startAmiPeer } from './server.js';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1');

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
    expect(m[1]!.get('ObjectName')).toMatch(/^room-a@@[0-9a-f]{32}$/);
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

  it('raises ContactStatus Created, Updated and Removed to sessions reading system, and PeerStatus Unregistered', async () => {
    peer = await startAmiPeer();
    const c = await session(peer);
    const contact = { aor: 'room-a', endpoint: 'room-a', uri: 'sip:room-a@10.0.0.5:5060' };
    peer.registrar.pjsipRegister({ ...contact, expires: 3600 });
    peer.registrar.pjsipRegister({ ...contact, expires: 3600 });
    peer.registrar.pjsipRemove('room-a', contact.uri);
    peer.registrar.sipRegister({ name: '101', address: { ip: '10.0.0.5', port: 5060 }, expires: 60 });
    peer.registrar.sipUnregister('101', 'Expired');
    await waitUntil(() => c.text().includes('Cause: Expired'), 5_000, 'the events');
    const events = c.messages().filter((x) => /Status$/.test(x.get('Event') ?? ''));
    expect(events.map((e) => e.get('ContactStatus') ?? e.get('PeerStatus'))).toEqual([
      'Created',
      'Updated',
      'Removed',
      'Registered',
      'Unregistered',
    ]);
    expect(events[0]!.fields).toEqual([
      ['Event', 'ContactStatus'],
      ['Privilege', 'system,all'],
      ['URI', 'sip:room-a@10.0.0.5:5060'],
      ['ContactStatus', 'Created'],
      ['AOR', 'room-a'],
      ['EndpointName', 'room-a'],
      ['RoundtripUsec', '0'],
    ]);
  });
});
