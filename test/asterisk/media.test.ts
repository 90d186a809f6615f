import { join } from 'node:path';
import { waitUntil } from '@ghostguard/asterisk/testing';
import type { CallAttempt } from '@ghostguard/core';
import { type AmiPeer, NotAcceptableHere, type ScriptedCall, startAmiPeer, uriEncode } from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { demoConfig, invitesAsCalls, type Rig, ROOT, rig } from './support.js';

const RECORDED = join(ROOT, 'test/fixtures/recorded');
const LEGIT = join(ROOT, 'test/fixtures/legit');

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

/** A peer and an attached guard; `judged` collects every attempt the adapter built. */
async function setup() {
  peer = await startAmiPeer({ checkTimeoutMs: 5_000, tarpitHoldMs: 50 });
  r = rig(peer, demoConfig());
  const judge = vi.spyOn(r.guard, 'judge');
  await r.attachment.ready;
  const judged = () => judge.mock.calls.map(([a]) => a as CallAttempt);
  return { peer, r, judged };
}

const sdp = (...media: string[]) =>
  ['v=0', 'o=- 7 7 IN IP4 198.51.100.77', 's=-', 'c=IN IP4 198.51.100.77', 't=0 0', ...media, ''].join('\r\n');

/** An INVITE from an address nobody knows, to a room, offering G.711 μ-law and G.729 (a dialler's offer). */
const phoneCall: ScriptedCall = {
  tech: 'PJSIP',
  source: { ip: '198.51.100.77', port: 5060 },
  exten: 'room-boardroom',
  callerNum: '1001',
  userAgent: 'Grandstream GXP1625 1.0.11.23',
  via: 'SIP/2.0/UDP 198.51.100.77:5060;branch=z9hG4bK1788521034;rport',
  from: '"1001" <sip:1001@198.51.100.77>;tag=1495214578',
  to: '<sip:room-boardroom@video.example.com>',
  callId: '1201530867-5060-1@BJC.BGI.BF.HHG',
  requestUri: 'sip:room-boardroom@video.example.com',
  contact: '<sip:1001@198.51.100.77:5060>',
  invite: {
    contentType: 'application/sdp',
    contentLength: '212',
    body: sdp(
      'm=audio 5004 RTP/AVP 0 18 101',
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:18 G729/8000',
      'a=rtpmap:101 telephone-event/8000',
    ),
  },
};

describe('Asterisk adapter: the offer, as far as the dialplan can read it', () => {
  it('an audio-only PCMU offer to a video room: audio-only phone media, and the core scores it', async () => {
    const { peer, r, judged } = await setup();
    await peer.placeCall(phoneCall).outcome;
    expect(judged()[0]!.media).toEqual({
      offered: true,
      kinds: ['audio'],
      codecs: ['pcmu'], // G.729 is not in the example endpoint's allow: Asterisk shows the intersection
      bfcp: false,
      connectionAddresses: [],
    });
    expect(r.logs.events('asterisk-call')[0]!.rules).toContain('media.audio-only-to-video-room');
  });

  it('recorded room calls (video offers) and the recorded baresip call reach the guard with their media', async () => {
    const { peer, judged } = await setup();
    const rooms = invitesAsCalls(join(LEGIT, 'room-calls.sip.txt'), 'PJSIP');
    const [baresip] = invitesAsCalls(join(RECORDED, 'baresip-legit-register-call.sip.txt'), 'PJSIP');
    for (const c of [...rooms, baresip!]) await peer.placeCall(c).outcome;
    const media = judged().map((a) => a.media);
    expect(media.slice(0, rooms.length).every((m) => m?.offered && m.kinds.includes('video'))).toBe(true);
    expect(media[0]?.codecs).toContain('h264');
    // baresip offers opus, G.722, PCMU, PCMA: PJSIP keeps those in allow, in allow's order
    expect(media.at(-1)).toEqual({
      offered: true,
      kinds: ['audio'],
      codecs: ['opus', 'g722', 'pcmu'],
      bfcp: false,
      connectionAddresses: [],
    });
  });

  it('svwar INVITEs carry no SDP: offered false, on PJSIP and chan_sip', async () => {
    const { peer, judged } = await setup();
    const [pjsip] = invitesAsCalls(join(RECORDED, 'kamailio-svwar-invite.sip.txt'), 'PJSIP');
    const [chanSip] = invitesAsCalls(join(RECORDED, 'kamailio-svwar-invite.sip.txt'), 'SIP');
    await peer.placeCall(pjsip!).outcome;
    await peer.placeCall({ ...chanSip!, source: { ip: '127.0.0.3' } }).outcome;
    for (const a of judged())
      expect(a.media).toEqual({ offered: false, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] });
  });

  it('chan_sip: an offer without video says nothing (m=video is read only with videosupport=yes)', async () => {
    const { peer, judged } = await setup();
    await peer.placeCall({ ...phoneCall, tech: 'SIP', sipDomain: 'video.example.com' }).outcome;
    expect(judged()[0]).not.toHaveProperty('media');
  });

  it('a call scripted without its body is the event of an older dialplan: no media', async () => {
    const { peer, judged } = await setup();
    await peer.placeCall({ ...phoneCall, invite: undefined }).outcome;
    expect(judged()[0]).not.toHaveProperty('media');
  });

  it('an offer Asterisk refuses with 488 never reaches the dialplan', async () => {
    const { peer } = await setup();
    const pcma = { ...phoneCall.invite, body: sdp('m=audio 5004 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000') };
    expect(() => peer.placeCall({ ...phoneCall, invite: pcma })).toThrow(NotAcceptableHere);
    expect(peer.liveChannels()).toBe(0);
  });

  it('hostile media fields take the malformed path: refused, judged on the fields that did decode', async () => {
    const { peer, r, judged } = await setup();
    const undecodable: string[] = [];
    r.guard.on('verdict', (_a, v) => {
      const u = v.reasons.find((x) => x.rule === 'input.undecodable');
      if (u) undecodable.push(u.detail);
    });
    const fields = (over: Record<string, string>) =>
      Object.entries({
        Tech: 'PJSIP',
        Source: uriEncode('203.0.113.90:5060'),
        Dialed: 'room-boardroom',
        AudioFormats: '(ulaw)',
        VideoFormats: '(nothing)',
        EndpointAllow: uriEncode('(opus|g722|ulaw|h264)'),
        ContentLength: '200',
        ContentType: uriEncode('application/sdp'),
        ...over,
      });
    await peer.placeCall({ ...phoneCall, bodyOverride: fields({ ContentType: 'x'.repeat(20_000) }) }).outcome;
    // From another address: the first caller may be banned by now, and a ban refuses without looking further.
    await peer.placeCall({
      ...phoneCall,
      bodyOverride: fields({ Source: uriEncode('203.0.113.91:5060'), VideoFormats: '%E0%A4%A' }),
    }).outcome;
    await waitUntil(() => r.attachment.stats().malformed === 2, 5_000, 'both malformed checks');
    expect(undecodable).toEqual([
      'GhostguardCheck field contenttype: 20000 bytes (limit 12288)',
      'GhostguardCheck field videoformats: not URI-encoded text',
    ]);
    // The log line a caller can trigger at will is throttled: the second, within a second, is counted, not written.
    expect(r.logs.events('asterisk-check-malformed').map((e) => e.detail)).toEqual([
      'contenttype: 20000 bytes (limit 12288)',
    ]);
    expect(judged()).toEqual([]);
  });
});
