import { waitUntil } from '@ghostguard/asterisk/testing';
import { type AmiPeer, channelUserEvent, encodeFrame, startAmiPeer } from '@ghostguard/stand-ins/ami';
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

const snapshot = {
  channel: 'PJSIP/anonymous-00000042',
  state: 4,
  callerIdNum: '100',
  callerIdName: '',
  context: 'ghostguard-check',
  exten: 's',
  priority: 3,
  uniqueid: '1795292653.42',
  linkedid: '1795292653.42',
};

describe('Asterisk adapter: malformed input', () => {
  it('survives garbage, lines without a colon, binary bytes and a check without a Channel', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    peer.sendRaw(Buffer.from([0x00, 0xff, 0xfe, 0x0d, 0x0a, 0x0d, 0x0a]));
    peer.sendRaw('no colon here\r\nEvent\r\n\r\n');
    peer.sendRaw('Event: UserEvent\r\nPrivilege: user,all\r\nUserEvent: GhostguardCheck\r\nSource: 1.2.3.4\r\n\r\n');
    await waitUntil(() => r!.attachment.stats().noChannel === 1, 5_000, 'the check without channel');
    expect(r.logs.events('asterisk-check-unusable')[0]).toMatchObject({ detail: 'no Channel in the check event' });
    expect(r.attachment.connected).toBe(true);
  });

  it('a check field that does not decode is judged on the fields that did, plus input.undecodable: refused even fail-open', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig({ policy: { onInternalError: 'open' } }));
    const rules: string[][] = [];
    r.guard.on('verdict', (_a, v) => rules.push(v.reasons.map((x) => x.rule)));
    await r.attachment.ready;
    const body = [
      ['Tech', 'PJSIP'],
      ['Source', '203.0.113.90%3A5060'],
      ['Dialed', 'room-boardroom'],
      ['UserAgent', '%E0%A4%A'],
      ['Via', 'SIP%2F2.0%2FUDP%20203.0.113.90%3A5060%3Bbranch%3Dz9hG4bK-1234567'],
    ] as const;
    peer.publish(channelUserEvent(snapshot, 'GhostguardCheck', body));
    await waitUntil(() => peer!.received.some((a) => a.message.get('Action') === 'Hangup'), 5_000, 'the Hangup');
    const hangup = peer.received.find((a) => a.message.get('Action') === 'Hangup')!.message;
    expect(hangup.get('Channel')).toBe(snapshot.channel);
    expect(r.attachment.stats().malformed).toBe(1);
    const line = r.logs.events('asterisk-check-malformed')[0];
    expect(line).toMatchObject({ source: '203.0.113.90' });
    expect(line?.action).not.toBe('allow');
    // The Via that did decode was judged: SIPVicious' branch shape shows beside the undecodable signal.
    expect(rules).toEqual([expect.arrayContaining(['input.undecodable', 'fp.shape.sipvicious-branch'])]);
  });

  it('a Source that is not an address follows the adapter fail mode (open by default), logged', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    peer.publish(
      channelUserEvent(snapshot, 'GhostguardCheck', [
        ['Tech', 'PJSIP'],
        ['Source', 'garbage'],
      ]),
    );
    await waitUntil(() => peer!.received.some((a) => a.message.get('Action') === 'Setvar'), 5_000, 'the Setvar');
    expect(r.logs.events('asterisk-check-unjudgeable')[0]).toMatchObject({ failMode: 'open', action: 'allow' });
  });

  it('drops and re-opens the connection when one message exceeds maxFrameBytes', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig(), { maxFrameBytes: 4_096 });
    await r.attachment.ready;
    const big = encodeFrame([
      ['Event', 'VarSet'],
      ['Privilege', 'dialplan,all'],
      ['Value', 'x'.repeat(10_000)],
    ]);
    peer.sendRaw(big.slice(0, -2));
    await waitUntil(() => r!.attachment.stats().oversizedFrames === 1, 5_000, 'the oversized frame');
    await waitUntil(() => r!.attachment.stats().connects === 2, 5_000, 'the reconnect');
    expect(r.logs.events('ami-frame-too-large')[0]).toMatchObject({ limit: 4_096 });
  });

  it('a response split across writes and repeated keys are read as Asterisk meant them', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    // Repeated Channel keys become an array in asterisk-manager: the first counts.
    const frame = encodeFrame([
      ...channelUserEvent(snapshot, 'GhostguardCheck', [
        ['Tech', 'PJSIP'],
        ['Source', '198.51.100.5%3A5060'],
        ['Dialed', 'room-boardroom'],
      ]),
      ['Channel', 'PJSIP/other-1'],
    ]);
    for (let i = 0; i < frame.length; i += 7) peer.sendRaw(frame.slice(i, i + 7));
    await waitUntil(() => peer!.received.some((a) => a.message.get('Action') === 'Setvar'), 5_000, 'the Setvar');
    expect(peer.received.find((a) => a.message.get('Action') === 'Setvar')!.message.get('Channel')).toBe(
      snapshot.channel,
    );
  });

  it('an unbalanced ( in a caller-set value does not hide the fields after it (UserEvent merges them)', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    const outcome = await peer.placeCall({
      tech: 'PJSIP',
      source: { ip: '203.0.113.66', port: 5060 },
      exten: '100',
      callerNum: '100',
      callerName: 'sipvicious (',
      userAgent: 'friendly-scanner',
      via: 'SIP/2.0/UDP 203.0.113.66:5060;branch=z9hG4bK-2151235;rport',
      from: '"sipvicious ("<sip:100@1.1.1.1>;tag=6331323334',
      to: '"sipvicious"<sip:100@1.1.1.1>',
      requestUri: 'sip:100@198.51.100.1',
    }).outcome;
    expect(outcome.kind).not.toBe('allowed');
    expect(r.logs.events('asterisk-call')[0]).toMatchObject({ userAgent: 'friendly-scanner' });
    expect(r.logs.events('asterisk-call')[0]!.rules).toContain('fp.ua.friendly-scanner');
  });
});
