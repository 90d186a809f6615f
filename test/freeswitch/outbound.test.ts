import type { Guard } from '@ghostguard/core';
import { attachFreeswitch, type FreeswitchAttachment } from '@ghostguard/freeswitch';
import { waitUntil } from '@ghostguard/freeswitch/testing';
import { type CallInfo, placeCall } from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { attachOutbound, capturingGuard, fixtureInvites } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;

afterEach(async () => {
  await fs?.close();
  guard?.close();
  fs = undefined;
  guard = undefined;
});

async function setup(extra: Parameters<typeof attachOutbound>[1] = {}, config?: Parameters<typeof capturingGuard>[0]) {
  const c = capturingGuard(config);
  guard = c.guard;
  fs = await attachOutbound(guard, extra);
  return { ...c, port: fs.outbound!.port };
}

const legitCall = (over: Partial<Extract<CallInfo, { protocol: 'sip' }>> = {}): CallInfo => ({
  protocol: 'sip',
  source: { ip: '192.0.2.21', port: 5060, transport: 'tcp' },
  local: { ip: '203.0.113.10', port: 5060 },
  requestUri: { user: 'room-boardroom', host: 'video.example.com' },
  from: { user: 'room-huddle-3a', host: 'video.example.com', display: 'Huddle 3A', tag: '8f2a61c0' },
  to: { user: 'room-boardroom', host: 'video.example.com' },
  callId: 'c1a9e3f0-4b1d-11ef-9f2b-0800200c9a66',
  via: 'SIP/2.0/TCP 192.0.2.21:5060;branch=z9hG4bK1b54fa8973381f412a0a4f9fa423350b.1;rport',
  userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5 0b9ecb0b51e',
  // What a room system offers: audio and H.264 video (a phone's audio-only offer to a video room is a signal).
  sdp:
    'v=0\r\no=tandberg 0 1 IN IP4 192.0.2.21\r\ns=-\r\nc=IN IP4 192.0.2.21\r\nt=0 0\r\nm=audio 2326 RTP/AVP 8 0\r\n' +
    'm=video 2328 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n',
  ...over,
});

describe('outbound socket: recorded scanner traffic never reaches the dialplan', () => {
  it('refuses every SIPVicious svwar INVITE of the Kamailio recording, quietly', async () => {
    const { port } = await setup();
    const invites = fixtureInvites('recorded/kamailio-svwar-invite.sip.txt');
    expect(invites.length).toBeGreaterThan(50);
    const results = [];
    for (const { call } of invites) results.push(await placeCall({ port, call }));
    expect(results.filter((r) => r.reached)).toEqual([]);
    // Nothing rang: a reject answers 403, a drop 408 (NO_USER_RESPONSE), never a 180 or a 200.
    for (const r of results) {
      expect(r.outcome).toBe('hungup');
      expect(r.ringing).toBe(false);
      expect([403, 408]).toContain(r.sipStatus);
      expect(r.commands[0]).toBe('connect');
      expect(r.commands).toContain(
        `api uuid_setvar ${r.uuid} ghostguard_verdict ${r.sipStatus === 403 ? 'reject' : 'drop'}`,
      );
    }
    expect(fs!.stats().judged).toBe(invites.length);
  });

  it('catches svmap INVITEs (baresip room recording) from the first packet', async () => {
    const { port, lines } = await setup();
    const [first] = fixtureInvites('recorded/baresip-room-svmap-invite.sip.txt');
    const r = await placeCall({ port, call: first!.call });
    expect(r.reached).toBe(false);
    const line = lines.find((l) => l.event === 'freeswitch-call');
    expect(line).toMatchObject({ adapter: 'freeswitch', userAgent: 'friendly-scanner' });
    expect(((line?.rules ?? []) as string[]).some((rule) => rule.startsWith('fp.'))).toBe(true);
  });
});

describe('outbound socket: legitimate calls go on', () => {
  it('hands recorded room-to-room INVITEs back to the dialplan with resume + exit', async () => {
    const { port } = await setup();
    const invites = fixtureInvites('legit/room-calls.sip.txt');
    expect(invites.length).toBeGreaterThanOrEqual(6);
    for (const { call } of invites) {
      const r = await placeCall({ port, call, dialplan: { failPolicy: 'closed' } });
      expect(r).toMatchObject({ outcome: 'continued', reached: true, path: 'verdict' });
      expect(r.variables.ghostguard_verdict).toBe('allow');
      expect(r.commands.slice(-2)).toEqual(['resume', 'exit']);
      expect(r.applications).toEqual([]);
    }
    expect(fs!.stats().allowed).toBe(invites.length);
  });

  it('logs an allowed call at info (a ghost call that rang a room leaves a line)', async () => {
    const c = capturingGuard(undefined, 'info');
    guard = c.guard;
    fs = await attachOutbound(guard);
    await placeCall({ port: fs.outbound!.port, call: legitCall() });
    await waitUntil(() => c.lines.some((l) => l.event === 'freeswitch-call'));
    expect(c.lines.find((l) => l.event === 'freeswitch-call')).toMatchObject({ level: 30, action: 'allow' });
  });

  it('fills allow.transfer in from CHANNEL_DATA, and resumes when the value is not one safe word', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: FreeSWITCH's channel-variable syntax, not a template.
    const { port } = await setup({ allow: { transfer: '${destination_number} XML rooms' } });
    const ok = await placeCall({ port, call: legitCall() });
    expect(ok).toMatchObject({ outcome: 'transferred', transferTarget: 'room-boardroom XML rooms' });
    const odd = await placeCall({
      port,
      call: legitCall({ requestUri: { user: 'room-boardroom XML default', host: 'video.example.com' } }),
    });
    expect(odd.commands).not.toContainEqual(expect.stringContaining('uuid_transfer'));
    expect(odd.commands.slice(-2)).toEqual(['resume', 'exit']);
    expect(fs!.stats()).toMatchObject({ transferred: 1, transferUnsafe: 1 });
  });

  it('transfers allowed calls with uuid_transfer when allow.transfer is set', async () => {
    const { port } = await setup({ allow: { transfer: 'room-boardroom XML rooms' } });
    const r = await placeCall({ port, call: legitCall() });
    expect(r).toMatchObject({ outcome: 'transferred', reached: true, transferTarget: 'room-boardroom XML rooms' });
    expect(fs!.stats().transferred).toBe(1);
  });

  it('lets everything through in monitor mode and logs what it would have done', async () => {
    const { port, lines } = await setup({}, { log: { level: 'silent' }, dataDir: null, mode: 'monitor' });
    const [scan] = fixtureInvites('recorded/kamailio-svwar-invite.sip.txt');
    const r = await placeCall({ port, call: scan!.call });
    expect(r.reached).toBe(true);
    const line = lines.find((l) => l.event === 'freeswitch-call');
    expect(line).toMatchObject({ action: 'allow', monitor: true });
    expect(line?.verdict).not.toBe('allow');
  });
});

describe('outbound socket: each verdict carried out as FreeSWITCH applications', () => {
  const scanner = (i: number): CallInfo => ({
    protocol: 'sip',
    source: { ip: `198.51.100.${10 + i}`, port: 5070 },
    requestUri: { user: '100', host: '203.0.113.10' },
    from: {
      user: '100',
      host: '203.0.113.10',
      display: 'sipvicious',
      tag: '3766303030303031313365320132333838383638313931',
    },
    to: { user: '100', host: '203.0.113.10', display: 'sipvicious' },
    callId: `1147750757698716921710${304 + i}`,
    via: `SIP/2.0/UDP 198.51.100.${10 + i}:5070;branch=z9hG4bK-1999320209;rport`,
    userAgent: 'friendly-scanner',
  });
  const tiers = (action: 'reject' | 'drop' | 'tarpit') => ({
    log: { level: 'silent' as const },
    dataDir: null,
    policy: { tiers: [{ minScore: 30, action }] },
    tarpit: { maxConcurrent: 1, holdFor: 200 },
  });

  it('reject: respond <code> <reason>, then hangup CALL_REJECTED', async () => {
    const { port } = await setup({ reject: { code: 603, reason: 'Declined' } }, tiers('reject'));
    const r = await placeCall({ port, call: scanner(0) });
    expect(r.applications).toEqual(['respond 603 Declined']);
    expect(r.sipStatus).toBe(603);
    expect(r.commands.filter((c) => c.startsWith('sendmsg'))).toHaveLength(2);
  });

  it('drop: a single hangup with the configured cause, no ringing', async () => {
    const { port } = await setup({ drop: { hangupCause: 'NO_ANSWER' } }, tiers('drop'));
    const r = await placeCall({ port, call: scanner(1) });
    expect(r.applications).toEqual(['hangup NO_ANSWER']);
    expect(r).toMatchObject({ ringing: false, sipStatus: 480 });
  });

  it('drop: no Q.850 Reason header (disable_q850_reason), and a delayed final only while a tarpit slot is free', async () => {
    const { port } = await setup({ drop: { delay: 150 } }, tiers('drop'));
    const held = placeCall({ port, call: scanner(4) });
    await waitUntil(() => guard!.tarpits.inUse === 1, 5_000, 'the delayed drop');
    // The cap (1) is taken: the next drop answers at once.
    const next = await placeCall({ port, call: scanner(5) });
    expect(next.applications).toEqual(['hangup NO_USER_RESPONSE']);
    const first = await held;
    expect(first.applications).toEqual(['sleep 150', 'hangup NO_USER_RESPONSE']);
    expect(first.variables.disable_q850_reason).toBe('true');
    expect(first).toMatchObject({ ringing: false, sipStatus: 408 });
    await waitUntil(() => guard!.tarpits.inUse === 0, 5_000, 'the slot released');
  });

  it('tarpit: ring_ready, a bounded sleep, hangup; beyond the cap the next call is dropped', async () => {
    const { port } = await setup({}, tiers('tarpit'));
    const held = placeCall({ port, call: scanner(2) });
    // The first call holds the only slot while it sleeps.
    await waitUntil(() => guard!.tarpits.inUse === 1, 5_000, 'the first tarpit');
    const second = await placeCall({ port, call: scanner(3) });
    const first = await held;
    expect(first.applications).toEqual(['ring_ready', 'sleep 200', 'hangup NO_ANSWER']);
    expect(first).toMatchObject({ ringing: true, sipStatus: 480, reached: false });
    expect(second.applications).toEqual(['hangup NO_USER_RESPONSE']);
    expect(fs!.stats()).toMatchObject({ tarpitted: 1, tarpitNoSlot: 1, dropped: 1 });
    expect(guard!.tarpits.inUse).toBe(0);
  });
});

describe('outbound socket: H.323 channels from mod_h323', () => {
  it('judges h323/ channels as H.323 attempts: a room call goes on, a toll-fraud dial does not', async () => {
    const { port, lines } = await setup();
    const room = await placeCall({
      port,
      call: {
        protocol: 'h323',
        source: { ip: '192.0.2.30' },
        destination: 'room-boardroom',
        callerNumber: '4001',
        callerName: 'Partner Room',
      },
    });
    expect(room.reached).toBe(true);
    const fraud = await placeCall({
      port,
      call: { protocol: 'h323', source: { ip: '203.0.113.66' }, destination: '900972595551234', callerNumber: '1000' },
    });
    expect(fraud.reached).toBe(false);
    const logged = lines.filter((l) => l.event === 'freeswitch-call');
    expect(logged.map((l) => l.channel)).toEqual(['h323/room-boardroom', 'h323/900972595551234']);
  });
});

describe('outbound socket: a server of the host application', () => {
  it('uses a listening net.Server it is given (no port 8022 default) and leaves it open on close()', async () => {
    const { createServer } = await import('node:net');
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      guard = capturingGuard().guard;
      fs = attachFreeswitch(guard, { server }, { inbound: { enabled: false } });
      await fs.listening;
      const port = (server.address() as { port: number }).port;
      expect(fs.outbound).toEqual({ host: '127.0.0.1', port });
      const r = await placeCall({ port, call: legitCall() });
      expect(r.reached).toBe(true);
      await fs.close();
      fs = undefined;
      expect(server.listening).toBe(true);
      expect(server.listenerCount('connection')).toBe(0);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
