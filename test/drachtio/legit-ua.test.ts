import { buildRequest, headerValue, SipUdpAgent, sdpOffer, waitUntil } from '@ghostguard/drachtio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTS, REALM, type RoomProxyHarness, startRoomProxy } from './support/room-proxy.js';
import { ScriptedRoom } from './support/room-ua.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function harness(): Promise<RoomProxyHarness> {
  const h = await startRoomProxy();
  closers.push(() => h.close());
  return h;
}
async function room(user: string): Promise<ScriptedRoom> {
  const r = await ScriptedRoom.open(user);
  closers.push(() => r.close());
  return r;
}
async function agent(address = '127.0.0.1'): Promise<SipUdpAgent> {
  const a = await SipUdpAgent.open(address);
  closers.push(() => a.close());
  return a;
}

describe('drachtio room proxy with ghostguard (drachtio-server stand-in, real drachtio-srf)', () => {
  it('a room registers with digest credentials, and a call to it is proxied and connects', async () => {
    const h = await harness();
    const roomA = await room('room-a');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: ACCOUNTS['room-a'], domain: REALM })).toBe(200);
    expect(h.guard.rooms.isRoom('room-a')).toBe(true);
    expect(h.proxy.bindings.get('room-a')?.contact).toBe(roomA.contact);

    const caller = await agent('127.0.0.2');
    const callId = `legit-call-${Date.now()}`;
    caller.send(
      buildRequest({
        method: 'INVITE',
        uri: `sip:room-a@${REALM}`,
        from: { address: caller.address, port: caller.port },
        fromUri: 'sip:partner-room@partner.example.net',
        fromDisplay: 'Partner Room',
        callId,
        sdp: sdpOffer(caller.address),
      }),
      h.peer.sipPort,
    );
    await waitUntil(() => caller.responsesFor(callId).some((r) => r.status === 200), 10_000, 'the 200 OK');
    const statuses = caller.responsesFor(callId).map((r) => r.status);
    expect(statuses[0]).toBe(100);
    expect(statuses).toContain(180);
    const ok = caller.responsesFor(callId).find((r) => r.status === 200)!;
    expect(headerValue(ok.text, 'contact')).toBe(`<${roomA.contact}>`);
    expect(roomA.invites).toHaveLength(1);
    // Two REGISTERs (challenge, credentials) and the INVITE: all judged, all allowed.
    expect(h.proxy.attachment.stats()).toMatchObject({ judged: 3, allowed: 3, rejected: 0, dropped: 0, tarpitted: 0 });

    // The call is set up end to end: the caller's ACK goes straight to the room's Contact.
    const ack = `ACK ${roomA.contact} SIP/2.0\r\nVia: SIP/2.0/UDP ${caller.address}:${caller.port};branch=z9hG4bKack${Date.now()}\r\nMax-Forwards: 70\r\nFrom: ${headerValue(ok.text, 'from')}\r\nTo: ${headerValue(ok.text, 'to')}\r\nCall-ID: ${callId}\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n`;
    caller.send(ack, roomA.agent.port, roomA.agent.address);
    await waitUntil(
      () => roomA.agent.received.some((m) => m.firstLine.startsWith('ACK ')),
      10_000,
      'the ACK at the room',
    );
  });

  it('a REGISTER without credentials never moves a room, and wrong credentials are a hijack attempt', async () => {
    const h = await harness();
    const roomA = await room('room-a');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: ACCOUNTS['room-a'], domain: REALM })).toBe(200);

    // An attacker (no scanner User-Agent, clean shape) tries to bind room-a to its own address.
    const attacker = await ScriptedRoom.open('room-a', '127.0.0.3');
    closers.push(() => attacker.close());
    expect(await attacker.register({ proxyPort: h.peer.sipPort, password: 'guess', domain: REALM })).toBe(403);
    expect(h.proxy.bindings.get('room-a')?.contact).toBe(roomA.contact);
    expect(h.guard.bans.get('127.0.0.3')?.reason).toMatch(/hijack/);
  });

  it('a call to an account that is not registered gets 480 (offline) and is no unknown target', async () => {
    const h = await harness();
    const caller = await agent('127.0.0.4');
    const callId = `offline-room-${Date.now()}`;
    caller.send(
      buildRequest({
        method: 'INVITE',
        uri: `sip:room-b@${REALM}`,
        from: { address: caller.address, port: caller.port },
        callId,
        sdp: sdpOffer(caller.address),
      }),
      h.peer.sipPort,
    );
    await waitUntil(() => caller.responsesFor(callId).some((r) => (r.status ?? 0) >= 200), 10_000, 'the final answer');
    expect(caller.responsesFor(callId).map((r) => r.status)).toEqual([100, 480]);
    expect(h.guard.bans.explain('127.0.0.4').activity?.failuresInWindow ?? 0).toBe(0);
  });

  it('a call to a name that is no account gets 404 and counts as an unknown target', async () => {
    const h = await harness();
    const caller = await agent('127.0.0.4');
    const callId = `no-room-${Date.now()}`;
    caller.send(
      buildRequest({
        method: 'INVITE',
        uri: `sip:room-z@${REALM}`,
        from: { address: caller.address, port: caller.port },
        callId,
        sdp: sdpOffer(caller.address),
      }),
      h.peer.sipPort,
    );
    await waitUntil(() => caller.responsesFor(callId).some((r) => (r.status ?? 0) >= 200), 10_000, 'the final answer');
    expect(caller.responsesFor(callId).map((r) => r.status)).toEqual([100, 404]);
    expect(h.guard.bans.explain('127.0.0.4').activity?.failuresInWindow).toBe(1);
  });
});
