import { AsteriskSectionSchema } from '@ghostguard/asterisk';
import { waitUntil } from '@ghostguard/asterisk/testing';
import { type AmiPeer, type ScriptedCall, securityEvent, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it } from 'vitest';
import { demoConfig, type Rig, rig } from './support.js';

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

const roomCall = (ip: string): ScriptedCall => ({
  tech: 'PJSIP',
  source: { ip, port: 5060 },
  exten: 'room-boardroom',
  userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5 0b9ecb0b51e',
  via: `SIP/2.0/TCP ${ip}:5060;branch=z9hG4bK9f3a1`,
  from: '"Lab East" <sip:room-lab-east@video.example.com>;tag=77ab',
  to: '<sip:room-boardroom@video.example.com>',
  requestUri: 'sip:room-boardroom@video.example.com',
});

describe('Asterisk adapter: the AMI connection', () => {
  it('logs in, asks for its events with the Events action, and is ready', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    const actions = peer.received.map((a) => a.message);
    expect(actions[0]!.get('Action')?.toLowerCase()).toBe('login');
    expect(actions[0]!.get('Username')).toBe('ghostguard');
    expect(actions[1]!.get('Action')).toBe('Events');
    expect(actions[1]!.get('EventMask')).toBe('call,user,security,system');
    expect(r.attachment.connected).toBe(true);
  });

  it('fails loudly when Asterisk refuses the login (the library alone would not say), and keeps retrying', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig(), { secret: 'wrong' });
    await expect(r.attachment.ready).rejects.toMatchObject({ code: 'GG_ASTERISK_AUTH' });
    expect(r.logs.events('ami-auth-failed')[0]).toMatchObject({ level: 50, code: 'GG_ASTERISK_AUTH' });
    await waitUntil(() => r!.attachment.stats().authFailures >= 2, 5_000, 'a second attempt');
    expect(r.attachment.connected).toBe(false);
  });

  it('reconnects with backoff after a drop mid-event, without losing guard state', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 300 });
    r = rig(peer, demoConfig({ bans: { failuresToBan: 3 } }));
    await r.attachment.ready;
    for (let i = 0; i < 3; i++) {
      peer.publish(
        securityEvent({ event: 'InvalidPassword', accountId: '100', remote: { ip: '203.0.113.50', port: 5060 } }),
      );
    }
    await waitUntil(() => r!.guard.bans.get('203.0.113.50') !== undefined, 5_000, 'the ban');
    // Asterisk goes away in the middle of an event.
    peer.dropConnections('Event: UserEvent\r\nPrivilege: user,all\r\nChannel: PJSIP/x-000');
    await waitUntil(() => r!.attachment.stats().drops === 1, 5_000, 'the drop');
    await waitUntil(() => r!.attachment.connected, 5_000, 'the reconnect');
    expect(peer.connectionsAccepted()).toBeGreaterThanOrEqual(2);
    // The half event of the old connection did not leak into the new one, the ban is still there, and calls
    // are judged again.
    expect(r.attachment.stats().checks).toBe(0);
    expect(await peer.placeCall(roomCall('198.51.100.70')).outcome).toMatchObject({ kind: 'allowed', by: 'verdict' });
    const banned = await peer.placeCall(roomCall('203.0.113.50')).outcome;
    expect(banned.kind).not.toBe('allowed');
    expect(r.logs.events('ami-down')[0]).toMatchObject({ reason: 'connection lost' });
  });

  it('while AMI is down the dialplan follows its fail policy (fail-open by default, logged by the dialplan)', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 100 });
    const refused = await startAmiPeer({ checkTimeoutMs: 100, failPolicy: 'closed' });
    try {
      // No attachment at all: nobody answers the check.
      const open = await peer.placeCall(roomCall('198.51.100.71')).outcome;
      expect(open).toMatchObject({ kind: 'allowed', by: 'fail-open' });
      const closed = await refused.placeCall(roomCall('198.51.100.72')).outcome;
      expect(closed).toMatchObject({ kind: 'hungup', cause: 21, by: 'fail-closed' });
    } finally {
      await refused.close();
    }
  });

  it('sends Ping as a keepalive and reconnects when it goes unanswered', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig(), { keepalive: { interval: 30, timeout: 2_000 } });
    await r.attachment.ready;
    // The peer answers Ping in three writes, as Asterisk did in the recording; the library reassembles it.
    await waitUntil(() => peer!.received.filter((a) => a.message.get('Action') === 'Ping').length >= 3, 5_000, 'pings');
    expect(r.attachment.stats().keepaliveFailures).toBe(0);
    expect(r.attachment.stats().drops).toBe(0);
  });

  it('while Asterisk stays down, one warning for the outage, the failed attempts at debug; backoff capped at 5 s', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig(), { reconnect: { minDelay: 5, maxDelay: 10 } });
    await r.attachment.ready;
    await peer.close();
    peer = undefined;
    const downs = () => r!.logs.events('ami-down');
    await waitUntil(() => downs().some((l) => Number(l.failedAttempts) >= 6), 10_000, 'six failed attempts');
    expect(downs().filter((l) => l.level === 40)).toHaveLength(1);
    expect(downs().filter((l) => l.level === 40)[0]).toMatchObject({ reason: 'connection lost' });
    expect(r.logs.events('ami-reconnect').filter((l) => l.level === 30)).toHaveLength(1);
    // `core stop` then start: Asterisk was found 14 s late with the former 30 s cap (issue 15).
    expect(AsteriskSectionSchema.parse({ username: 'u', secret: 's' }).reconnect.maxDelay).toBe(5_000);
  });

  it('close() stops reconnecting and closes the connection', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    await r.attachment.close();
    await waitUntil(() => peer!.sessions() === 0, 5_000, 'the session to close');
    const accepted = peer.connectionsAccepted();
    await new Promise((res) => setTimeout(res, 100));
    expect(peer.connectionsAccepted()).toBe(accepted);
    expect(r.attachment.connected).toBe(false);
  });
});
