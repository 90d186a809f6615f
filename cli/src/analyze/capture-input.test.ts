import { LinkType } from '@ghostguard/core/capture';
import { describe, expect, it } from 'vitest';
import {
  ascii,
  ethernetFrame,
  ipv4Packet,
  pcapFile,
  TcpFlag,
  tcpSegment,
  udpDatagram,
} from '../../../core/src/capture/test-support/capture-builder.js';
import { captureRecords } from './capture-input.js';

const INVITE = [
  'INVITE sip:room-boardroom@video.example.com SIP/2.0',
  'Via: SIP/2.0/TCP 198.51.100.20:5060;branch=z9hG4bK776asdhds',
  'Max-Forwards: 70',
  'To: <sip:room-boardroom@video.example.com>',
  'From: "Alice" <sip:alice@partner.example.net>;tag=1928301774',
  'Call-ID: a84b4c76e66710@partner.example.net',
  'CSeq: 1 INVITE',
  'User-Agent: sipvicious',
  'Content-Type: application/sdp',
  'Content-Length: 10',
  '',
  'v=0\r\ns=x\r\n',
].join('\r\n');

const TCP = 6;
const UDP = 17;

function tcp(src: string, dst: string, sport: number, dport: number, seq: number, flags: number, payload?: Uint8Array) {
  return ethernetFrame(
    ipv4Packet({
      src,
      dst,
      protocol: TCP,
      payload: tcpSegment({ srcPort: sport, dstPort: dport, seq, flags, ...(payload ? { payload } : {}) }),
    }),
  );
}

function capture(frames: Uint8Array[]): Uint8Array {
  return pcapFile({
    littleEndian: true,
    linkType: LinkType.ETHERNET,
    records: frames.map((data, i) => ({ seconds: 1_700_000_000 + i, fraction: 0, data })),
  });
}

describe('captureRecords', () => {
  it('reassembles a SIP request split across three TCP segments into one attempt', () => {
    const bytes = ascii(INVITE);
    const cuts = [0, 17, 140, bytes.length];
    const frames = [tcp('198.51.100.20', '203.0.113.10', 40000, 5060, 99, TcpFlag.SYN)];
    for (let i = 0; i < 3; i++) {
      frames.push(
        tcp(
          '198.51.100.20',
          '203.0.113.10',
          40000,
          5060,
          100 + cuts[i]!,
          TcpFlag.ACK | TcpFlag.PSH,
          bytes.subarray(cuts[i]!, cuts[i + 1]!),
        ),
      );
    }
    const records = [...captureRecords(capture(frames))];
    expect(records).toHaveLength(1);
    const r = records[0]!;
    expect(r.kind).toBe('attempt');
    if (r.kind !== 'attempt' || r.attempt.protocol !== 'sip') throw new Error('expected a SIP attempt');
    expect(r.attempt).toMatchObject({
      method: 'INVITE',
      source: { ip: '198.51.100.20', port: 40000, transport: 'tcp' },
      userAgent: 'sipvicious',
    });
    expect(r.attempt.sip.sdpSessionName).toBe('x');
  });

  it('skips a TCP stream that is not SIP (an ESL session) and still reads SIP over UDP', () => {
    const esl = ascii('Content-Type: auth/request\n\n');
    const frames = [
      tcp('127.0.0.1', '127.0.0.1', 8021, 50000, 1, TcpFlag.ACK | TcpFlag.PSH, esl),
      ethernetFrame(
        ipv4Packet({
          src: '198.51.100.21',
          dst: '203.0.113.10',
          protocol: UDP,
          payload: udpDatagram(5060, 5060, ascii(INVITE.replace('SIP/2.0/TCP', 'SIP/2.0/UDP'))),
        }),
      ),
    ];
    const records = [...captureRecords(capture(frames))];
    expect(records.map((r) => (r.kind === 'not-judged' ? r.reason : r.kind))).toEqual(['non-sip-stream', 'attempt']);
  });
});

describe('captureRecords: requests that do not decode (issue 13)', () => {
  const udp = (src: string, payload: Uint8Array) =>
    ethernetFrame(ipv4Packet({ src, dst: '203.0.113.10', protocol: UDP, payload: udpDatagram(5060, 5060, payload) }));
  const udpInvite = INVITE.replace('SIP/2.0/TCP', 'SIP/2.0/UDP');

  it('judges a request whose start line the core cannot read, as the live guard does; bytes that are not SIP stay not judged', () => {
    const badLine = ascii(
      udpInvite.replace('INVITE sip:room-boardroom@video.example.com SIP/2.0', 'INVITE 100 SIP/2.0'),
    );
    const records = [
      ...captureRecords(
        capture([
          udp('198.51.100.30', badLine),
          udp('198.51.100.30', badLine), // a retransmission: judged once
          udp('198.51.100.31', Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00])), // DNS, not SIP
          udp('198.51.100.32', ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
          udp(
            '198.51.100.33',
            ascii(udpInvite.replace('INVITE sip:room', 'ACK sip:room').replace(/sip:room\S*/, '100')),
          ),
        ]),
      ),
    ];
    expect(records.map((r) => (r.kind === 'not-judged' ? r.reason : r.kind))).toEqual([
      'undecodable',
      'retransmission',
      'malformed-sip',
      'malformed-sip',
      'in-dialog',
    ]);
    const r = records[0]!;
    if (r.kind !== 'undecodable') throw new Error('expected an undecodable request');
    expect(r.malformed).toEqual({
      protocol: 'sip',
      method: 'INVITE',
      source: { ip: '198.51.100.30', port: 5060, transport: 'udp' },
      local: { ip: '203.0.113.10', port: 5060 },
      time: 1_700_000_000_000,
      detail: 'invalid Request-URI',
      adapter: 'analyze',
    });
    expect(r.attempt).toMatchObject({ method: 'INVITE', source: r.malformed.source, time: r.malformed.time });
  });

  it('reads a padded request leniently: an attempt with its anomalies, not a malformed one', () => {
    const pad = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`).join('\r\n');
    const padded = ascii(udpInvite.replace('\r\nUser-Agent:', `\r\n${pad}\r\nX-Nul: a\0b\r\nUser-Agent:`));
    const [r] = [...captureRecords(capture([udp('198.51.100.34', padded)]))];
    if (r?.kind !== 'attempt') throw new Error('expected an attempt');
    expect(r.attempt.userAgent).toBe('sipvicious');
    expect(r.attempt.anomalies).toHaveLength(2);
  });

  it('keeps a TCP stream whose first request does not decode as SIP', () => {
    const bad = ascii(INVITE.replace('INVITE sip:room-boardroom@video.example.com SIP/2.0', 'INVITE 100 SIP/2.0'));
    const good = ascii(INVITE.replace('z9hG4bK776asdhds', 'z9hG4bK776second'));
    const frames = [
      tcp('198.51.100.35', '203.0.113.10', 40001, 5060, 99, TcpFlag.SYN),
      tcp('198.51.100.35', '203.0.113.10', 40001, 5060, 100, TcpFlag.ACK | TcpFlag.PSH, bad),
      tcp('198.51.100.35', '203.0.113.10', 40001, 5060, 100 + bad.length, TcpFlag.ACK | TcpFlag.PSH, good),
    ];
    const records = [...captureRecords(capture(frames))];
    expect(records.map((r) => (r.kind === 'not-judged' ? r.reason : r.kind))).toEqual(['undecodable', 'attempt']);
  });
});
