import { createGuard, createLogger, type Guard } from '@ghostguard/core';
import { attachDrachtio, type DrachtioAttachment, withMethods } from '@ghostguard/drachtio';
import { type ConnectedApp, connectApp, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import { type DrachtioServerPeer, startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';
import { exampleGuard } from './support/room-proxy.js';

const SECRET = 'shh';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

/** The recorded svmap INVITE (wire-session.follow.txt), from `port`. */
const svmapInvite = (port: number, callId: string, branch = 'z9hG4bK-1213340533') =>
  [
    'INVITE sip:100@127.0.0.1 SIP/2.0',
    `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=${branch};rport`,
    'Max-Forwards: 70',
    'To: "sipvicious"<sip:100@1.1.1.1>',
    'From: "sipvicious"<sip:100@1.1.1.1>;tag=3766303030303031313364380131393237313739373531',
    'User-Agent: friendly-scanner',
    `Call-ID: ${callId}`,
    `Contact: sip:100@127.0.0.1:${port}`,
    'CSeq: 1 INVITE',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');

async function setup(guard: Guard): Promise<{
  peer: DrachtioServerPeer;
  app: ConnectedApp;
  att: DrachtioAttachment;
  handled: string[];
  ua: SipUdpAgent;
}> {
  const peer = await startDrachtioServerPeer({ secret: SECRET });
  closers.push(() => peer.close());
  let att: DrachtioAttachment | undefined;
  const handled: string[] = [];
  const app = await connectApp({ host: peer.host, port: peer.adminPort, secret: SECRET }, (srf) => {
    att = attachDrachtio(guard, srf, { tarpit: { holdFor: 60_000 } });
    withMethods(srf).invite((req, res) => {
      handled.push(req.get('call-id'));
      res.send(480);
    });
  });
  closers.push(async () => {
    await att?.close();
    app.close();
    guard.close();
  });
  await peer.waitForRoutes(['invite']);
  const ua = await SipUdpAgent.open();
  closers.push(() => ua.close());
  return { peer, app, att: att!, handled, ua };
}

describe('ghostguard in a real drachtio-srf app, over the drachtio-server stand-in', () => {
  it('a tarpitted scanner INVITE rings, and its CANCEL frees the slot (server answers 200 and 487)', async () => {
    const guard = exampleGuard();
    const { peer, att, handled, ua } = await setup(guard);
    const callId = `tarpit-${Date.now()}`;
    const text = svmapInvite(ua.port, callId);
    ua.send(text, peer.sipPort);
    await waitUntil(() => ua.responsesFor(callId).some((r) => r.status === 180), 10_000, 'the 180');
    expect(guard.tarpits.inUse).toBe(1);
    expect(att.stats().tarpitsHeld).toBe(1);
    ua.send(text.replace('INVITE sip', 'CANCEL sip').replace('1 INVITE', '1 CANCEL'), peer.sipPort);
    await waitUntil(() => guard.tarpits.inUse === 0, 10_000, 'the slot to be freed');
    await waitUntil(() => ua.responsesFor(callId).some((r) => r.status === 487), 10_000, 'the 487');
    expect(ua.responsesFor(callId).map((r) => r.status)).toEqual([100, 180, 200, 487]);
    expect(att.stats().tarpitsHeld).toBe(0);
    expect(handled).toEqual([]);
  });

  it('close() answers a held call on the wire, and after it no new caller reaches the app', async () => {
    const guard = exampleGuard();
    const { peer, att, handled, ua } = await setup(guard);
    const held = `held-${Date.now()}`;
    ua.send(svmapInvite(ua.port, held), peer.sipPort);
    await waitUntil(() => ua.responsesFor(held).some((r) => r.status === 180), 10_000, 'the 180');
    await att.close();
    await waitUntil(() => ua.responsesFor(held).some((r) => r.status === 486), 10_000, 'the 486');
    expect(guard.tarpits.inUse).toBe(0);
    const judged = att.stats().judged;
    const later = `later-${Date.now()}`;
    ua.send(svmapInvite(ua.port, later, 'z9hG4bK-after-close'), peer.sipPort);
    await waitUntil(() => att.stats().droppedAfterClose === 1, 10_000, 'the request after close');
    expect(att.stats().judged).toBe(judged);
    expect(ua.responsesFor(later).map((r) => r.status)).toEqual([100]);
    expect(handled).toEqual([]);
  });

  it('a dropped INVITE gets only drachtio-server 100 Trying, and drachtio-srf does not keep it', async () => {
    const guard = exampleGuard({ policy: { tiers: [{ minScore: 80, action: 'drop' }] } });
    const { peer, app, att, handled, ua } = await setup(guard);
    for (let i = 0; i < 20; i++) ua.send(svmapInvite(ua.port, `drop-${i}`, `z9hG4bK-${1000 + i}`), peer.sipPort);
    await waitUntil(() => att.stats().dropped === 20, 10_000, 'twenty drops');
    expect(ua.received.every((r) => r.status === 100)).toBe(true);
    expect(handled).toEqual([]);
    const client = (
      app.srf as unknown as {
        _app: { client: { mapServer: Map<unknown, { pendingNetworkInvites: Map<string, unknown> }> } };
      }
    )._app.client;
    const pending = [...client.mapServer.values()].reduce((n, o) => n + o.pendingNetworkInvites.size, 0);
    expect(pending).toBe(0);
  });

  it('a rejected INVITE gets the configured code on the wire and no header that names anything', async () => {
    const guard = exampleGuard({ policy: { tiers: [{ minScore: 50, action: 'reject' }] } });
    const { peer, ua } = await setup(guard);
    const callId = `reject-${Date.now()}`;
    ua.send(svmapInvite(ua.port, callId), peer.sipPort);
    await waitUntil(() => ua.responsesFor(callId).some((r) => r.status === 403), 10_000, 'the 403');
    const r403 = ua.responsesFor(callId).find((r) => r.status === 403)!;
    expect(r403.firstLine).toBe('SIP/2.0 403 Forbidden');
    const names = r403.text
      .split('\r\n\r\n')[0]!
      .split('\r\n')
      .slice(1)
      .map((l) => l.split(':')[0]);
    expect(names).toEqual(['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Content-Length']);
  });

  it('a wrong secret is refused: drachtio-srf reports it, nothing crashes', async () => {
    const peer = await startDrachtioServerPeer({ secret: SECRET });
    closers.push(() => peer.close());
    const guard = createGuard({ log: { level: 'silent' } }, { logger: createLogger({ log: { level: 'silent' } }) });
    closers.push(() => guard.close());
    await expect(
      connectApp({ host: peer.host, port: peer.adminPort, secret: 'wrong' }, (srf) => attachDrachtio(guard, srf)),
    ).rejects.toThrow(/authenticate/);
    expect(peer.stats().adminRejected).toBe(1);
  });
});
