import { createGuard } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { readChannelData } from './channel-attempt.js';
import { headerLookup, ORIGINATED_CHANNEL_DATA, SIPVICIOUS_CHANNEL_DATA } from './testing.js';

const NOW = 1_795_293_617_511;

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
