/**
 * Test helpers, exported as `@ghostguard/freeswitch/testing` (the adapter's tests, `pnpm bench`, demos):
 * CHANNEL_DATA header sets taken from the FreeSWITCH 1.10.12 recording (decoded, only the headers the adapter
 * reads plus identity), a lookup over them, and a bounded wait. The wire-level FreeSWITCH stand-in is
 * `@ghostguard/peers/esl`.
 */
import type { ChannelHeaders } from './attempt.js';

export { waitUntil } from '@ghostguard/core/testing';

export function headerLookup(headers: Readonly<Record<string, string>>): ChannelHeaders {
  return (name) => (Object.hasOwn(headers, name) ? headers[name] : undefined);
}

/** Recorded sample 1c: SIPVicious svwar INVITE to 100 (no SDP), profile external-test. */
export const SIPVICIOUS_CHANNEL_DATA: Readonly<Record<string, string>> = {
  'Event-Name': 'CHANNEL_DATA',
  'Channel-Name': 'sofia/external-test/100@1.1.1.1',
  'Unique-ID': '4fc7b5d7-690d-4f52-b6e9-b96743cdcf32',
  'Caller-Caller-ID-Name': 'sipvicious',
  'Caller-Caller-ID-Number': '100',
  'Caller-Network-Addr': '127.0.0.1',
  'Caller-Destination-Number': '100',
  'Caller-Source': 'mod_sofia',
  variable_sip_from_user: '100',
  variable_sip_from_uri: '100@1.1.1.1',
  variable_sip_from_host: '1.1.1.1',
  variable_sip_call_id: '1147750757698716921710304',
  variable_sip_local_network_addr: '127.0.0.1',
  variable_sip_network_ip: '127.0.0.1',
  variable_sip_network_port: '5073',
  variable_sip_received_ip: '127.0.0.1',
  variable_sip_received_port: '5073',
  variable_sip_via_protocol: 'udp',
  variable_sip_from_tag: '3766303030303031313365320132333838383638313931',
  variable_sip_full_via: 'SIP/2.0/UDP 127.0.0.1:5073;branch=z9hG4bK-1999320209;rport=5073',
  variable_sip_from_display: 'sipvicious',
  variable_sip_full_from: '"sipvicious" <sip:100@1.1.1.1>;tag=3766303030303031313365320132333838383638313931',
  variable_sip_to_display: 'sipvicious',
  variable_sip_full_to: '"sipvicious" <sip:100@1.1.1.1>',
  variable_sip_req_user: '100',
  variable_sip_req_uri: '100@127.0.0.1',
  variable_sip_req_host: '127.0.0.1',
  variable_sip_to_user: '100',
  variable_sip_contact_uri: '100@127.0.0.1:5073',
  variable_sip_user_agent: 'friendly-scanner',
  variable_max_forwards: '70',
  variable_endpoint_disposition: 'RECEIVED_NOSDP',
};

/** Recorded sample 1b: a FreeSWITCH-to-FreeSWITCH call with SDP to 4321, profile external-test. */
export const ORIGINATED_CHANNEL_DATA: Readonly<Record<string, string>> = {
  'Event-Name': 'CHANNEL_DATA',
  'Channel-Name': 'sofia/external-test/5551234@127.0.0.1',
  'Unique-ID': '12f3b168-2c58-4c0d-847f-1d5ce5dfd6e5',
  'Caller-Caller-ID-Name': '5551234',
  'Caller-Caller-ID-Number': '5551234',
  'Caller-Network-Addr': '127.0.0.1',
  'Caller-Destination-Number': '4321',
  'Caller-Source': 'mod_sofia',
  variable_sip_from_user: '5551234',
  variable_sip_from_host: '127.0.0.1',
  variable_sip_call_id: '4d5e7d31-608e-1240-07be-166fc2cc61ec',
  variable_sip_network_ip: '127.0.0.1',
  variable_sip_network_port: '5091',
  variable_sip_via_protocol: 'udp',
  variable_sip_from_tag: 'DFF75D69KBDej',
  variable_sip_full_via: 'SIP/2.0/UDP 127.0.0.1:5091;rport=5091;branch=z9hG4bKDFNKg5ypy6SjS',
  variable_sip_full_from: '<sip:5551234@127.0.0.1>;tag=DFF75D69KBDej',
  variable_sip_full_to: '<sip:4321@127.0.0.1:5090>',
  variable_sip_req_user: '4321',
  variable_sip_req_port: '5090',
  variable_sip_req_uri: '4321@127.0.0.1:5090',
  variable_sip_req_host: '127.0.0.1',
  variable_sip_contact_uri: 'mod_sofia@127.0.0.1:5091',
  variable_sip_user_agent: 'FreeSWITCH-realfs',
  variable_max_forwards: '70',
  variable_switch_r_sdp:
    'v=0\r\no=FreeSWITCH 1795273348 1795273349 IN IP4 127.0.0.1\r\ns=FreeSWITCH\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 20140 RTP/AVP 0 8 101 13\r\na=rtpmap:0 PCMU/8000\r\n',
};
