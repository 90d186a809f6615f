import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import esl, { type Connection, type EslEvent } from 'drachtio-modesl';
import { afterEach, describe, expect, it } from 'vitest';
import { hardenParser } from './harden-parser.js';
import { waitUntil } from './testing.js';

let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

/** A modesl outbound Connection on one side of a loopback pair; the test writes as FreeSWITCH on the other. */
async function pair(maxFrameBytes = 4_096) {
  const seen = { badEscapes: [] as string[], tooLarge: [] as number[], parseErrors: 0, events: [] as EslEvent[] };
  let conn: Connection | undefined;
  server = createServer((socket) => {
    sockets.push(socket);
    conn = new esl.Connection(socket);
    conn.on('error', () => {});
    hardenParser(conn, {
      maxFrameBytes,
      onBadEscape: (h) => seen.badEscapes.push(h),
      onTooLarge: (n) => seen.tooLarge.push(n),
      onParseError: () => {
        seen.parseErrors++;
      },
    });
    conn.on('esl::event::**', (e: EslEvent) => seen.events.push(e));
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  const fs = netConnect({ port: (server.address() as { port: number }).port, host: '127.0.0.1' });
  fs.on('error', () => {});
  sockets.push(fs);
  await waitUntil(() => conn !== undefined, 5_000, 'the connection');
  return { fs, seen, conn: () => conn! };
}

describe('hardened modesl parser', () => {
  it('decodes a malformed escape leniently instead of throwing out of the data handler', async () => {
    const { fs, seen, conn } = await pair();
    fs.write(
      'Event-Name: CHANNEL_DATA\nUnique-ID: u1\nvariable_sip_user_agent: friendly%ZZ%\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n',
    );
    await waitUntil(() => conn().getInfo() !== null, 5_000, 'CHANNEL_DATA');
    expect(conn().getInfo()?.getHeader('variable_sip_user_agent')).toBe('friendly%ZZ%');
    expect(seen.badEscapes).toEqual(['variable_sip_user_agent']);
  });

  it('drops a plain event without a body (modesl 1.3.1 would throw a TypeError) and keeps parsing', async () => {
    const { fs, seen } = await pair();
    fs.write('Content-Type: text/event-plain\n\nContent-Type: command/reply\nReply-Text: +OK\n\n');
    await waitUntil(() => seen.events.length >= 1, 5_000, 'the next frame');
    expect(seen.parseErrors).toBe(1);
  });

  it('reports a Content-Length over the cap, and ignores one that is not a number', async () => {
    const { fs, seen } = await pair();
    fs.write('Content-Length: 99999999\nContent-Type: text/event-json\n\n');
    fs.write('Content-Length: -5\nContent-Type: command/reply\nReply-Text: +OK\n\n');
    await waitUntil(() => seen.tooLarge.length === 1 && seen.events.length >= 1, 5_000, 'both frames');
    expect(seen.tooLarge).toEqual([99_999_999]);
  });

  it('caps what an unfinished frame may buffer', async () => {
    const { fs, seen, conn } = await pair();
    fs.write(`Event-Name: X\n${'a'.repeat(5_000)}`);
    await waitUntil(() => seen.tooLarge.length === 1, 5_000, 'the cap');
    expect(conn().parser?.buffer.length).toBe(0);
  });
});
