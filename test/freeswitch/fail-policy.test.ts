import { createServer, type Server, type Socket } from 'node:net';
import type { Guard } from '@ghostguard/core';
import type { FreeswitchAttachment } from '@ghostguard/freeswitch';
import { waitUntil } from '@ghostguard/freeswitch/testing';
import { type CallInfo, channelDataHeaders, channelDataReply, placeCall } from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { attachOutbound, capturingGuard } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
const servers: Server[] = [];
const sockets: Socket[] = [];

afterEach(async () => {
  await fs?.close();
  guard?.close();
  fs = undefined;
  guard = undefined;
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const call: CallInfo = {
  protocol: 'sip',
  source: { ip: '192.0.2.21', port: 5060 },
  requestUri: { user: 'room-boardroom', host: 'video.example.com' },
  from: { user: 'room-huddle-3a', host: 'video.example.com', tag: 'a1' },
  to: { user: 'room-boardroom', host: 'video.example.com' },
  uuid: '7d0c2b4e-3a51-4c59-9a43-0f1e2d3c4b5a',
  callId: 'fail-policy-1',
  userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5',
};

/** A port nothing listens on (ghostguard not running). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Accepts connections and never answers: a ghostguard whose event loop is stuck. */
async function stalledApp(): Promise<number> {
  const s = createServer((socket) => {
    sockets.push(socket);
    socket.on('error', () => {});
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as { port: number }).port;
}

describe('dialplan fallback when ghostguard is down or slow (FreeSWITCH side)', () => {
  it('ghostguard down: the socket app fails, the dialplan continues (open) or refuses 503 (closed)', async () => {
    const port = await deadPort();
    const open = await placeCall({ port, call, dialplan: { failPolicy: 'open' } });
    expect(open).toMatchObject({ path: 'unreachable', outcome: 'continued', reached: true });
    const closed = await placeCall({ port, call, dialplan: { failPolicy: 'closed' } });
    expect(closed).toMatchObject({ path: 'unreachable', outcome: 'hungup', sipStatus: 503, reached: false });
  });

  it('ghostguard stalled: the sched_transfer deadline takes the call to the fallback per policy', async () => {
    const port = await stalledApp();
    const open = await placeCall({ port, call, dialplan: { failPolicy: 'open', decisionTimeoutMs: 150 } });
    expect(open).toMatchObject({ path: 'timeout', outcome: 'continued' });
    const closed = await placeCall({ port, call, dialplan: { failPolicy: 'closed', decisionTimeoutMs: 150 } });
    expect(closed).toMatchObject({ path: 'timeout', outcome: 'hungup', sipStatus: 503 });
  });

  it('a verdict cancels the deadline: a tarpit holds past it and is not let through', async () => {
    const c = capturingGuard({
      log: { level: 'silent' },
      dataDir: null,
      policy: { tiers: [{ minScore: 30, action: 'tarpit' }] },
      tarpit: { holdFor: 1_500 },
    });
    guard = c.guard;
    fs = await attachOutbound(guard);
    const r = await placeCall({
      port: fs.outbound!.port,
      call: { ...call, userAgent: 'friendly-scanner', from: { user: '100', host: '1.1.1.1', display: 'sipvicious' } },
      // Generous for a loaded machine: the verdict must come before it, the hold lasts past it.
      dialplan: { failPolicy: 'open', decisionTimeoutMs: 1_000 },
    });
    expect(r.commands[1]).toBe(`api sched_del ${r.uuid}`);
    expect(r).toMatchObject({ path: 'verdict', outcome: 'hungup', ringing: true, reached: false });
  });
});

describe('adapter fail policy (ghostguard cannot judge the call)', () => {
  const withoutAddress = () => {
    const headers = channelDataHeaders(call).filter(
      ([n]) =>
        ![
          'Caller-Network-Addr',
          'Channel-Network-Addr',
          'variable_sip_network_ip',
          'variable_sip_received_ip',
        ].includes(n),
    );
    return channelDataReply(headers, { async: true, full: true });
  };

  it('open: CHANNEL_DATA without a source address is handed back to the dialplan, and logged', async () => {
    const c = capturingGuard(undefined, 'warn');
    guard = c.guard;
    fs = await attachOutbound(guard, { failPolicy: 'open' });
    const r = await placeCall({
      port: fs.outbound!.port,
      call,
      rawChannelData: withoutAddress(),
      dialplan: { failPolicy: 'closed' },
    });
    expect(r).toMatchObject({ outcome: 'continued', reached: true });
    expect(fs.stats().failedOpen).toBe(1);
    expect(c.lines).toContainEqual(
      expect.objectContaining({ event: 'freeswitch-fail-policy', failPolicy: 'open', action: 'allow' }),
    );
  });

  it("closed: the same call gets the guard's failClosedAction", async () => {
    const c = capturingGuard(
      { log: { level: 'silent' }, dataDir: null, policy: { failClosedAction: 'reject' } },
      'warn',
    );
    guard = c.guard;
    fs = await attachOutbound(guard, { failPolicy: 'closed' });
    const r = await placeCall({ port: fs.outbound!.port, call, rawChannelData: withoutAddress() });
    expect(r).toMatchObject({ outcome: 'hungup', sipStatus: 403, reached: false });
    expect(fs.stats().failedClosed).toBe(1);
  });

  it('an exception from the guard is an internal error: the fail policy decides, the host keeps running', async () => {
    const c = capturingGuard(undefined, 'warn');
    guard = c.guard;
    const throwing = Object.create(guard) as Guard;
    throwing.judge = () => {
      throw new Error('boom');
    };
    fs = await attachOutbound(throwing, { failPolicy: 'open' });
    const r = await placeCall({ port: fs.outbound!.port, call, dialplan: { failPolicy: 'closed' } });
    expect(r).toMatchObject({ outcome: 'continued', variables: { ghostguard_verdict: 'allow' } });
    expect(c.lines).toContainEqual(
      expect.objectContaining({ event: 'freeswitch-fail-policy', detail: 'internal error: boom' }),
    );
  });

  it('follows policy.failMode when no failPolicy is configured', async () => {
    const c = capturingGuard({ log: { level: 'silent' }, dataDir: null, policy: { failMode: 'closed' } }, 'warn');
    guard = c.guard;
    fs = await attachOutbound(guard);
    const r = await placeCall({ port: fs.outbound!.port, call, rawChannelData: withoutAddress() });
    expect(r.reached).toBe(false);
  });

  it('a FreeSWITCH that never sends CHANNEL_DATA gets the fail policy after channelDataTimeout', async () => {
    const c = capturingGuard(undefined, 'warn');
    guard = c.guard;
    fs = await attachOutbound(guard, { outbound: { channelDataTimeout: 100 }, failPolicy: 'open' });
    const { connect } = await import('node:net');
    const socket = connect({ host: '127.0.0.1', port: fs.outbound!.port });
    sockets.push(socket);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString();
    });
    socket.on('error', () => {});
    await waitUntil(() => received.includes('exit\n\n'), 5_000, 'the fail-open commands');
    expect(received).toBe('connect\n\nresume\n\nexit\n\n');
    expect(fs.stats().noChannelData).toBe(1);
    expect(c.lines).toContainEqual(expect.objectContaining({ code: 'GG_ESL_NO_CHANNEL_DATA', failPolicy: 'open' }));
  });
});
