import { connect, type Socket } from 'node:net';
import type { Guard } from '@ghostguard/core';
import type { FreeswitchAttachment } from '@ghostguard/freeswitch';
import { waitUntil } from '@ghostguard/freeswitch/testing';
import { type CallInfo, channelDataHeaders, channelDataReply, placeCall } from '@ghostguard/stand-ins/esl';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { attachOutbound, capturingGuard } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
const sockets: Socket[] = [];

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await fs?.close();
  guard?.close();
  fs = undefined;
  guard = undefined;
});

const UUID = '5b8f0d3e-1c2a-4e6f-8a9b-0c1d2e3f4a5b';
const scanner: CallInfo = {
  protocol: 'sip',
  uuid: UUID,
  source: { ip: '198.51.100.77', port: 5072 },
  requestUri: { user: '100', host: '203.0.113.10' },
  from: {
    user: '100',
    host: '203.0.113.10',
    display: 'sipvicious',
    tag: '3766303030303031313365320132333838383638313931',
  },
  to: { user: '100', host: '203.0.113.10', display: 'sipvicious' },
  callId: '1147750757698716921710304',
  userAgent: 'friendly-scanner',
};

/** Raw bytes to the adapter's outbound port, as a misbehaving FreeSWITCH would send them after `connect`. */
async function rawSession(
  port: number,
  bytes: string | Buffer,
): Promise<{ received: () => string; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  let received = '';
  socket.on('data', (d) => {
    received += d.toString('latin1');
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  await waitUntil(() => received.startsWith('connect\n\n'), 5_000, 'connect');
  socket.write(bytes);
  return { received: () => received, closed };
}

describe('hostile or broken frames never crash the host and still get a decision', () => {
  it('a malformed %-escape in the User-Agent is decoded leniently: the scanner is still caught', async () => {
    const c = capturingGuard(undefined, 'info');
    guard = c.guard;
    fs = await attachOutbound(guard);
    const raw = channelDataReply(channelDataHeaders(scanner), { async: true, full: true })
      .replace('variable_sip_user_agent: friendly-scanner', 'variable_sip_user_agent: friendly-scanner%E0%A4%ZZ%')
      .replace('variable_sip_from_display: sipvicious', 'variable_sip_from_display: sipvicious%');
    const r = await placeCall({ port: fs.outbound!.port, call: scanner, rawChannelData: raw });
    expect(r.reached).toBe(false);
    expect(fs.stats().badEscapes).toBeGreaterThanOrEqual(2);
    expect(c.lines).toContainEqual(expect.objectContaining({ code: 'GG_ESL_BAD_ESCAPE' }));
    const call = c.lines.find((l) => l.event === 'freeswitch-call');
    expect(String(call?.userAgent)).toMatch(/^friendly-scanner/);
  });

  it('a Content-Length beyond maxFrameBytes closes the connection without buffering it', async () => {
    guard = capturingGuard(undefined, 'warn').guard;
    fs = await attachOutbound(guard, { outbound: { maxFrameBytes: 8_192 }, failPolicy: 'open' });
    const s = await rawSession(fs.outbound!.port, 'Content-Length: 4000000000\nContent-Type: text/event-plain\n\nxxxx');
    await s.closed;
    expect(fs.stats().oversizedFrames).toBe(1);
    // Before a verdict, the fail policy's commands went out first.
    expect(s.received()).toBe('connect\n\nresume\n\nexit\n\n');
  });

  it('headers that never end are cut off at maxFrameBytes', async () => {
    guard = capturingGuard(undefined, 'warn').guard;
    fs = await attachOutbound(guard, { outbound: { maxFrameBytes: 8_192 }, failPolicy: 'closed' });
    const s = await rawSession(fs.outbound!.port, `Event-Name: CHANNEL_DATA\n${'X-Filler: y\n'.repeat(2_000)}`);
    await s.closed;
    expect(fs.stats()).toMatchObject({ oversizedFrames: 1, failedClosed: 1 });
    expect(s.received()).toContain('execute-app-name: hangup');
  });

  it('an event-json body that is not JSON is logged as a socket error, nothing more', async () => {
    guard = capturingGuard(undefined, 'warn').guard;
    fs = await attachOutbound(guard);
    const bad = 'Content-Length: 9\nContent-Type: text/event-json\n\n{"Event-Na';
    const raw = channelDataReply(channelDataHeaders({ ...scanner, userAgent: 'Cisco/CE' }), {
      async: true,
      full: true,
    });
    const s = await rawSession(fs.outbound!.port, raw + bad);
    await waitUntil(
      () => fs!.stats().judged === 1 && fs!.stats().socketErrors === 1,
      5_000,
      'the verdict and the error',
    );
    s.received();
  });

  it('survives random CHANNEL_DATA text (property test): every connection gets a decision or a close', async () => {
    guard = capturingGuard({ log: { level: 'silent' }, dataDir: null }, 'warn').guard;
    fs = await attachOutbound(guard, { outbound: { channelDataTimeout: 200, settleTimeout: 200 } });
    const port = fs.outbound!.port;
    const headerLine = fc
      .tuple(
        fc.constantFrom(
          'variable_sip_user_agent',
          'Caller-Network-Addr',
          'variable_sip_network_ip',
          'Unique-ID',
          'Channel-Name',
          'Content-Length',
          'X',
        ),
        fc.string({ maxLength: 40 }),
      )
      .map(([k, v]) => `${k}: ${v.replace(/\n/g, '%')}`);
    await fc.assert(
      fc.asyncProperty(fc.array(headerLine, { maxLength: 12 }), async (lines) => {
        const block = `Event-Name: CHANNEL_DATA\n${lines.join('\n')}\nContent-Type: command/reply\nReply-Text: %2BOK%0A\n\n`;
        const s = await rawSession(port, block);
        // FreeSWITCH would close after exit or hangup; this raw peer never does, so the adapter ends it.
        await s.closed;
      }),
      { numRuns: 25 },
    );
    expect(fs.stats().connections).toBe(25);
  });
});
