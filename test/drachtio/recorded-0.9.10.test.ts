import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { type ConnectedApp, connectApp, waitUntil } from '@ghostguard/drachtio/testing';
import { type DrachtioServerPeer, startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';
import { accountsFrom, installRoomProxy, type RoomProxy } from '../../examples/drachtio-room-proxy/src/index.js';
import { exampleGuard, SECRET } from './support/room-proxy.js';

/**
 * The caller's side of real drachtio-server v0.9.10 runs with the room proxy example in enforce mode
 * (fixtures-0.9.10/, copied from ../shared/fixtures/drachtio-server-0.9.10), replayed against the stand-in and the
 * same example: the same requests get the same answers, byte for byte but for ports and the tags the server makes up.
 */

interface Timeline {
  args: { src: string; port: number; domain: string };
  timeline: Array<{ t: number; dir: 'in' | 'out'; first: string; text: string }>;
}
const recorded = (file: string) =>
  JSON.parse(readFileSync(new URL(`./fixtures-0.9.10/${file}`, import.meta.url), 'utf8')) as Timeline;

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function example(): Promise<{ peer: DrachtioServerPeer; proxy: RoomProxy }> {
  const peer = await startDrachtioServerPeer({ secret: SECRET });
  closers.push(() => peer.close());
  // As recorded: the example's config with the recording's domain; a short hold (the order, not the clock, matters).
  const guard = exampleGuard({
    dialShape: { domains: ['rooms.example.com'], localAddresses: ['127.0.0.1'] },
    tarpit: { holdFor: 300, maxConcurrent: 10 },
  });
  let proxy: RoomProxy | undefined;
  const app: ConnectedApp = await connectApp({ host: peer.host, port: peer.adminPort, secret: SECRET }, (srf) => {
    proxy = installRoomProxy(srf, { guard, accounts: accountsFrom({ room1: 'secret' }), realm: 'rooms.example.com' });
  });
  closers.push(async () => {
    await proxy?.attachment.close();
    app.close();
    guard.close();
  });
  await peer.waitForRoutes(['invite']);
  return { peer, proxy: proxy! };
}

/** A UDP socket on the recording's source address (any port); what it receives. */
async function caller(address: string): Promise<{ socket: Socket; port: number; got: string[] }> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, address, () => r()));
  closers.push(() => new Promise<void>((r) => socket.close(() => r())));
  const got: string[] = [];
  socket.on('message', (m) => got.push(m.toString('utf8')));
  return { socket, port: socket.address().port, got };
}

/** Ports of the recording → this run's. */
function ports(text: string, from: { src: string; port: number }, port: number): string {
  return text
    .replaceAll(`${from.src}:${from.port}`, `${from.src}:${port}`)
    .replaceAll(`rport=${from.port}`, `rport=${port}`);
}

const SERVER_TAG = /(\r\nTo: [^\r]*;tag=)([A-Za-z0-9]{13})\r\n/;

async function replay(file: string): Promise<{ expected: string[]; got: string[] }> {
  const rec = recorded(file);
  const { peer } = await example();
  const ua = await caller(rec.args.src);
  const at = (text: string) => ports(text, rec.args, ua.port);
  // A To-tag the server made up (13 characters) differs from run to run.
  const untagged = (text: string) => at(text).replace(SERVER_TAG, '$1<tag>\r\n');
  const expected = rec.timeline.filter((e) => e.dir === 'in').map((e) => untagged(e.text));
  for (const [i, step] of rec.timeline.entries()) {
    if (step.dir !== 'out') continue;
    // Send when everything recorded before this request has arrived (the CANCEL after the 180, the ACK after the
    // final: it stops the server's retransmissions of that final, as in the recording).
    const before = rec.timeline.slice(0, i).filter((e) => e.dir === 'in').length;
    await waitUntil(() => ua.got.length >= before, 5_000, `the answers before ${step.first}`);
    // An ACK carries the To-tag this run's server gave the final it acknowledges.
    const tag = SERVER_TAG.exec(ua.got.at(-1) ?? '')?.[2];
    const text =
      step.first.startsWith('ACK') && tag ? at(step.text).replace(SERVER_TAG, `$1${tag}\r\n`) : at(step.text);
    ua.socket.send(Buffer.from(text), peer.sipPort, '127.0.0.1');
  }
  await waitUntil(() => ua.got.length >= expected.length, 5_000, `${file}: ${expected.length} answers`);
  return { expected, got: ua.got.map(untagged) };
}

describe('drachtio-server v0.9.10 recordings with the room proxy example, replayed on the stand-in', () => {
  for (const file of ['reject.json', 'tarpit.json', 'tarpit-cancel.json']) {
    it(`${file}: the same answers, byte for byte`, async () => {
      const { expected, got } = await replay(file);
      expect(got).toEqual(expected);
    });
  }
});
