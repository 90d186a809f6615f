/**
 * SIP requests exactly as drachtio-server 1.0.0 forwarded them to a drachtio-srf app (cut out of the
 * `sip|network|…` frames of /work/shared/fixtures/drachtio-server-1.0.0/wire-session.follow.txt; CRLF restored).
 */
const crlf = (lines: string[]): string => `${lines.join('\r\n')}`;

export const SVMAP_INVITE = crlf([
  'INVITE sip:100@127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1213340533;rport=5060',
  'Max-Forwards: 70',
  'To: "sipvicious"<sip:100@1.1.1.1>',
  'From: "sipvicious"<sip:100@1.1.1.1>;tag=3766303030303031313364380131393237313739373531',
  'User-Agent: friendly-scanner',
  'Call-ID: 96735918242087678274457',
  'Contact: sip:100@127.0.0.1:5060',
  'CSeq: 1 INVITE',
  'Accept: application/sdp',
  'Content-Length: 0',
  '',
  '',
]);

export const SVWAR_REGISTER = crlf([
  'REGISTER sip:127.0.0.1 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bK-1242712576;rport=5060',
  'Max-Forwards: 70',
  'To: "100"<sip:100@127.0.0.1>',
  'From: "100"<sip:100@127.0.0.1>;tag=3130300133323137363037303538',
  'User-Agent: friendly-scanner',
  'Call-ID: 3178374190',
  'Contact: sip:100@127.0.0.1',
  'CSeq: 1 REGISTER',
  'Accept: application/sdp',
  'Content-Length: 0',
  '',
  '',
]);

export const SIPSAK_OPTIONS = crlf([
  'OPTIONS sip:100@127.0.0.1:5080 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:36486;branch=z9hG4bK.30bbfa21;rport=57973;alias',
  'From: sip:sipsak@127.0.0.1:36486;tag=8498728',
  'To: sip:100@127.0.0.1:5080',
  'Call-ID: 139036456@127.0.0.1',
  'CSeq: 1 OPTIONS',
  'Contact: sip:sipsak@127.0.0.1:36486',
  'Content-Length: 0',
  'Max-Forwards: 70',
  'User-Agent: sipsak 0.9.8.1',
  'Accept: text/plain',
  '',
  '',
]);

export const ROOM_INVITE = crlf([
  'INVITE sip:555@127.0.0.1:5080 SIP/2.0',
  'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK654939977;rport=5099',
  'Max-Forwards: 70',
  'From: "Room A" <sip:roomA@example.com>;tag=abc123',
  'To: <sip:555@127.0.0.1>',
  'Call-ID: trace-796037092@127.0.0.1',
  'CSeq: 1 INVITE',
  'Contact: <sip:roomA@127.0.0.1:5099>',
  'User-Agent: TANDBERG/529 (ce9.15)',
  'Content-Type: application/sdp',
  'Content-Length: 88',
  '',
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  '',
]);
