import { createGuard } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { readChannelData } from './attempt.js';
import { headerLookup, ORIGINATED_CHANNEL_DATA, SIPVICIOUS_CHANNEL_DATA } from './testing.js';

const NOW = 1_795_293_617_511;

/** variable_switch_r_sdp of esl-raw-samples.txt 1b (FreeSWITCH calling FreeSWITCH), decoded. */
const FS_SDP =
  'v=0\r\no=FreeSWITCH 1795273348 1795273349 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' +
  'm=audio 20140 RTP/AVP 0 8 101 13\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n' +
  'a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=rtpmap:13 CN/8000\r\na=ptime:20\r\n';

/**
 * variable_switch_r_sdp of a TANDBERG/529 (ce11.5.2.4) room system's call, decoded, fmtp lines left out:
 * /work/shared/fixtures/freeswitch-1.10.12-live/setup/esl-outbound-allow-legit-call.txt.
 */
const ROOM_SDP = [
  'v=0',
  'o=tandberg 20012 20012 IN IP4 127.0.0.20',
  's=-',
  'c=IN IP4 127.0.0.20',
  'b=AS:6000',
  't=0 0',
  'm=audio 52120 RTP/AVP 108 109 9 8 0 101',
  'b=TIAS:128000',
  'a=rtpmap:108 MP4A-LATM/90000',
  'a=rtpmap:109 MP4A-LATM/90000',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'm=video 52122 RTP/AVP 97 126',
  'b=TIAS:6000000',
  'a=rtpmap:97 H264/90000',
  'a=rtpmap:126 H264/90000',
  'a=content:main',
  'a=label:11',
  'm=application 52124 UDP/BFCP *',
  'a=floorctrl:c-s',
  'a=confid:1',
  'a=floorid:2 mstrm:12',
  'a=userid:1',
  'a=setup:actpass',
  'a=connection:new',
  'm=video 52126 RTP/AVP 97',
  'b=TIAS:3000000',
  'a=rtpmap:97 H264/90000',
  'a=content:slides',
  'a=label:12',
  '',
].join('\r\n');

describe('CHANNEL_DATA → CallAttempt', () => {
  it('reads the recorded SIPVicious INVITE: source, Request-URI with sip:, Via branch, From tag, display', () => {
    const read = readChannelData(headerLookup(SIPVICIOUS_CHANNEL_DATA), NOW);
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.uuid).toBe('4fc7b5d7-690d-4f52-b6e9-b96743cdcf32');
    expect(read.attempt).toMatchObject({
      protocol: 'sip',
      method: 'INVITE',
      source: { ip: '127.0.0.1', port: 5073, transport: 'udp' },
      target: { user: '100', host: '127.0.0.1', display: 'sipvicious' },
      caller: { user: '100', host: '1.1.1.1', display: 'sipvicious' },
      userAgent: 'friendly-scanner',
      callId: '1147750757698716921710304',
      adapter: 'freeswitch',
      sip: {
        requestUri: 'sip:100@127.0.0.1',
        viaBranch: 'z9hG4bK-1999320209',
        viaSentBy: '127.0.0.1:5073',
        fromTag: '3766303030303031313365320132333838383638313931',
        fromUri: 'sip:100@1.1.1.1',
        toUri: 'sip:100@1.1.1.1',
        contact: 'sip:100@127.0.0.1:5073',
        maxForwards: 70,
        hasBody: false,
      },
    });
  });

  it('gives the core what it needs to call it a scanner on the first packet', () => {
    const read = readChannelData(headerLookup(SIPVICIOUS_CHANNEL_DATA), NOW);
    const guard = createGuard({ log: { level: 'silent' }, dataDir: null });
    const verdict = guard.judge((read as Extract<typeof read, { ok: true }>).attempt);
    guard.close();
    expect(verdict.action).not.toBe('allow');
    expect(verdict.reasons.map((r) => r.rule)).toEqual(expect.arrayContaining(['fp.ua.friendly-scanner']));
  });

  it('reads the SDP session name of a call with an offer', () => {
    const read = readChannelData(headerLookup(ORIGINATED_CHANNEL_DATA), NOW);
    expect(read.ok && read.attempt.protocol === 'sip' && read.attempt.sip).toMatchObject({
      hasBody: true,
      contentType: 'application/sdp',
      sdpSessionName: 'FreeSWITCH',
      requestUri: 'sip:4321@127.0.0.1:5090',
    });
  });

  it('summarises the recorded offer of a room system: audio, video, BFCP and a content video line', () => {
    const read = readChannelData(
      headerLookup({
        ...ORIGINATED_CHANNEL_DATA,
        variable_switch_r_sdp: ROOM_SDP,
        variable_sip_user_agent: 'TANDBERG',
      }),
      NOW,
    );
    expect(read.ok && read.attempt.media).toEqual({
      offered: true,
      kinds: ['audio', 'video', 'application'],
      codecs: ['mp4a-latm', 'g722', 'pcma', 'pcmu', 'telephone-event', 'h264'],
      bfcp: true,
      connectionAddresses: ['127.0.0.20'],
    });
  });

  it('summarises the recorded FreeSWITCH offer, static payload types named by their rtpmap', () => {
    const read = readChannelData(headerLookup({ ...ORIGINATED_CHANNEL_DATA, variable_switch_r_sdp: FS_SDP }), NOW);
    expect(read.ok && read.attempt.media).toMatchObject({
      offered: true,
      kinds: ['audio'],
      codecs: ['pcmu', 'pcma', 'telephone-event', 'cn'],
    });
  });

  it('reads the recorded INVITE without SDP (RECEIVED_NOSDP) as no offer', () => {
    const read = readChannelData(headerLookup(SIPVICIOUS_CHANNEL_DATA), NOW);
    expect(read.ok && read.attempt.media).toEqual({
      offered: false,
      kinds: [],
      codecs: [],
      bfcp: false,
      connectionAddresses: [],
    });
  });

  it('leaves media unknown without switch_r_sdp when the disposition does not say RECEIVED_NOSDP', () => {
    const { variable_endpoint_disposition: _, ...withoutDisposition } = SIPVICIOUS_CHANNEL_DATA;
    for (const headers of [
      withoutDisposition,
      { ...withoutDisposition, variable_endpoint_disposition: 'DELAYED NEGOTIATION' },
    ]) {
      const read = readChannelData(headerLookup(headers), NOW);
      expect(read.ok).toBe(true);
      expect(read.ok && read.attempt).not.toHaveProperty('media');
    }
  });

  it('reads the recorded Remote-Party-ID, and P-Asserted-Identity only when sofia kept it verbatim', () => {
    const read = (extra: Record<string, string>) => {
      const r = readChannelData(headerLookup({ ...ORIGINATED_CHANNEL_DATA, ...extra }), NOW);
      if (!r.ok || r.attempt.protocol !== 'sip') throw new Error('not a SIP attempt');
      return r.attempt.sip;
    };
    // esl-raw-samples.txt 1b, decoded.
    const rpid = read({
      'variable_sip_Remote-Party-ID': '<sip:5551234@127.0.0.1>;party=calling;screen=yes;privacy=off',
    });
    expect(rpid.remotePartyId).toBe('sip:5551234@127.0.0.1');
    expect(rpid).not.toHaveProperty('assertedIdentity');
    // p-asserted-id-parse verbatim: the header value as received.
    const verbatim = read({
      'variable_sip_P-Asserted-Identity': '"Alice" <sip:alice@example.com>, <tel:+15551234567>',
    });
    expect(verbatim.assertedIdentity).toBe('sip:alice@example.com');
    // default / user-only and user-domain: no URI left to report.
    for (const value of ['5551234', '5551234@127.0.0.1']) {
      expect(read({ 'variable_sip_P-Asserted-Identity': value })).not.toHaveProperty('assertedIdentity');
    }
  });

  it('reads h323/ channels (mod_h323) as H.323 attempts from the caller profile', () => {
    const read = readChannelData(
      headerLookup({
        'Channel-Name': 'h323/900972595551234',
        'Unique-ID': 'b1',
        'Caller-Network-Addr': '203.0.113.66',
        'Caller-Caller-ID-Number': '1000',
        'Caller-Caller-ID-Name': 'SYSTEM',
        'Caller-Destination-Number': '900972595551234',
        'Caller-Source': 'mod_h323',
      }),
      NOW,
    );
    expect(read.ok && read.attempt).toMatchObject({
      protocol: 'h323',
      method: 'SETUP',
      source: { ip: '203.0.113.66', transport: 'tcp' },
      target: { user: '900972595551234' },
      caller: { user: '1000', display: 'SYSTEM' },
      h323: {
        destinationAliases: [{ type: 'dialedDigits', value: '900972595551234' }],
        calledNumber: '900972595551234',
        display: 'SYSTEM',
      },
    });
  });

  it('prefers sip_network_ip over Caller-Network-Addr and accepts IPv6', () => {
    const read = readChannelData(
      headerLookup({
        ...SIPVICIOUS_CHANNEL_DATA,
        variable_sip_network_ip: '2001:db8::66',
        'Caller-Network-Addr': '127.0.0.9',
      }),
      NOW,
    );
    expect(read.ok && read.attempt.source.ip).toBe('2001:db8::66');
  });

  it('refuses CHANNEL_DATA whose addresses are missing or not IP literals (the fail policy decides)', () => {
    const {
      variable_sip_network_ip,
      variable_sip_received_ip,
      'Caller-Network-Addr': _,
      ...rest
    } = SIPVICIOUS_CHANNEL_DATA;
    expect(readChannelData(headerLookup(rest), NOW)).toMatchObject({ ok: false, uuid: rest['Unique-ID'] });
    const bogus = readChannelData(headerLookup({ ...rest, 'Caller-Network-Addr': 'evil.example.com' }), NOW);
    expect(bogus.ok).toBe(false);
    expect(variable_sip_network_ip).toBe(variable_sip_received_ip);
  });

  it('caps hostile field lengths so the attempt stays valid', () => {
    const read = readChannelData(
      headerLookup({ ...SIPVICIOUS_CHANNEL_DATA, variable_sip_user_agent: 'x'.repeat(100_000) }),
      NOW,
    );
    expect(read.ok && read.attempt.userAgent?.length).toBe(1024);
  });
});
