import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { waitUntil } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFollowText } from './follow-file.js';
import { AmiFrameReader, type AmiMessage, encodeFrame } from './frame.js';
import { type AmiPeer, startAmiPeer } from './server.js';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1');
const recording = (name: string) => readFileSync(join(FIXTURES, name), 'latin1');

interface Client {
  socket: Socket;
  text(): string;
  closed: () => boolean;
}

async function client(peer: AmiPeer): Promise<Client> {
  const socket = connect({ host: peer.host, port: peer.port });
  let text = '';
  let closed = false;
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    text += d;
  });
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  return { socket, text: () => text, closed: () => closed };
}

let peer: AmiPeer | undefined;
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await peer?.close();
  peer = undefined;
});

/** The Ping timestamp differs from run to run; everything else must be identical. */
const stamp = (t: string) => t.replace(/Timestamp: \d+\.\d{6}/, 'Timestamp: <t>');

describe('AMI peer against the Asterisk 20.20.1 recording', () => {
  it('answers the recorded client byte for byte (login failure, login, Events, Setvar/Hangup/Redirect, UserEvent, Ping, Logoff)', async () => {
    peer = await startAmiPeer({ users: { realpeers: { secret: 'amisecret' } } });
    const blocks = parseFollowText(recording('ami-login-and-actions.follow.txt'));
    const streams = [...new Set(blocks.map((b) => b.stream))];
    expect(streams).toEqual([0, 1]);
    for (const stream of streams) {
      const c = await client(peer);
      sockets.push(c.socket);
      let expected = '';
      for (const b of blocks.filter((x) => x.stream === stream)) {
        if (b.fromServer) {
          expected += b.text;
          continue;
        }
        await waitUntil(() => c.text().length >= expected.length, 5_000, 'server bytes');
        c.socket.write(b.text);
      }
      await waitUntil(() => c.text().length >= expected.length, 5_000, 'the last server bytes');
      expect(stamp(c.text())).toBe(stamp(expected));
      // both recorded sessions end with the server closing: after the failed login, and after Logoff
      await waitUntil(c.closed, 5_000, 'the server to close');
    }
  });

  it('answers Ping in three writes, as recorded', () => {
    const blocks = parseFollowText(recording('ami-login-and-actions.follow.txt')).filter((b) => b.fromServer);
    const i = blocks.findIndex((b) => b.text === 'Response: Success\r\n');
    expect(blocks.slice(i, i + 3).map((b) => b.text.split('\r\n')[0])).toEqual([
      'Response: Success',
      'ActionID: 8',
      'Ping: Pong',
    ]);
  });

  it('every recorded server block of every event recording is a complete AMI frame', () => {
    for (const file of [
      'ami-events-h323-call.follow.txt',
      'ami-events-svcrack-101.follow.txt',
      'ami-events-svcrack-102acl.follow.txt',
      'ami-events-svcrack-999.follow.txt',
      'ami-events-svcrack-usermismatch.follow.txt',
      'ami-events-svmap-invite-noexten.follow.txt',
      'ami-events-svmap-invite-open.follow.txt',
      'ami-events-svwar-default-open.follow.txt',
      'ami-events-svwar-invite-open.follow.txt',
    ]) {
      const blocks = parseFollowText(recording(file));
      expect(blocks.length, file).toBeGreaterThan(0);
      for (const b of blocks) {
        expect(b.fromServer, file).toBe(true);
        const frames = new AmiFrameReader(4096).push(b.text);
        expect(frames.length, `${file}: ${b.text.slice(0, 40)}`).toBe(1);
        expect(encodeFrame(frames[0]!.fields)).toBe(b.text);
      }
    }
  });

  it('filters events by the session mask and the user read permission', async () => {
    peer = await startAmiPeer({
      users: { u: { secret: 's', read: ['call', 'user', 'security'] } },
    });
    const c = await client(peer);
    sockets.push(c.socket);
    c.socket.write(
      encodeFrame([
        ['Action', 'Login'],
        ['Username', 'u'],
        ['Secret', 's'],
      ]),
    );
    await waitUntil(() => c.text().includes('Authentication accepted'));
    c.socket.write(
      encodeFrame([
        ['Action', 'Events'],
        ['ActionID', '1'],
        ['EventMask', 'security'],
      ]),
    );
    await waitUntil(() => c.text().includes('Events: On'));
    peer.publish([
      ['Event', 'Newchannel'],
      ['Privilege', 'call,all'],
      ['Channel', 'x'],
    ]);
    peer.publish([
      ['Event', 'VarSet'],
      ['Privilege', 'dialplan,all'],
      ['Channel', 'x'],
    ]);
    peer.publish([
      ['Event', 'FailedACL'],
      ['Privilege', 'security,all'],
      ['AccountID', '1'],
    ]);
    await waitUntil(() => c.text().includes('FailedACL'));
    const events: AmiMessage[] = new AmiFrameReader(1024, 128, true).push(c.text());
    expect(events.map((e) => e.get('Event') ?? e.get('Response'))).toEqual(['Success', 'Success', 'FailedACL']);
  });
});
