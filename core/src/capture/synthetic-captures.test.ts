import { describe, expect, it } from 'vitest';
import type { TcpDataEvent, UdpDatagramEvent } from './capture-types.js';
import { LinkType } from './link-layer.js';
import { readCapture } from './read-capture.js';
import {
  ascii,
  concatBytes,
  enhancedPacketBlock,
  ethernetFrame,
  interfaceDescriptionBlock,
  ipv4Packet,
  ipv6Packet,
  loopFrame,
  nullFrame,
  pcapFile,
  sectionHeaderBlock,
  sll2Frame,
  sllFrame,
  TcpFlag,
  tcpSegment,
  udpDatagram,
} from './test-support/capture-builder.js';
import { tsharkFields, tsharkFollowTcp, withTempFile } from './test-support/tshark.js';

/**
 * Synthesised captures read by both readCapture and tshark: checks the reader on formats and link
 * types the recorded fixtures lack, and checks the test builder itself against an independent decoder.
 */

const UDP_FIELDS = [
  'frame.time_epoch',
  'ip.src',
  'ipv6.src',
  'udp.srcport',
  'ip.dst',
  'ipv6.dst',
  'udp.dstport',
  'udp.payload',
];

function expectUdpLikeTshark(bytes: Uint8Array, name: string): UdpDatagramEvent[] {
  const expected = withTempFile(name, bytes, (path) => tsharkFields(path, UDP_FIELDS, 'udp'));
  const actual = readCapture(bytes).events.filter((e): e is UdpDatagramEvent => e.kind === 'udp');
  expect(
    actual.map((e) => [e.src.ip, e.src.port, e.dst.ip, e.dst.port, Buffer.from(e.payload).toString('hex')]),
  ).toEqual(
    expected.map(([, src4, src6, srcPort, dst4, dst6, dstPort, payload]) => [
      src4 || src6,
      Number(srcPort),
      dst4 || dst6,
      Number(dstPort),
      payload,
    ]),
  );
  actual.forEach((event, i) => {
    expect(Math.abs(event.time - Number(expected[i]?.[0]) * 1000)).toBeLessThan(0.001);
  });
  return actual;
}

const v4 = (payload: string, src = '203.0.113.5', dst = '192.0.2.80') =>
  ipv4Packet({ src, dst, protocol: 17, payload: udpDatagram(5061, 5060, ascii(payload)) });
const v6 = (payload: string, extensions: { type: number; length8?: number }[] = []) =>
  ipv6Packet({
    src: '2001:db8:0:0:0:ff00:42:8329',
    dst: 'fe80:0:0:0:0:0:0:1',
    protocol: 17,
    payload: udpDatagram(5062, 5060, ascii(payload)),
    extensions,
  });

describe('synthesised captures agree with tshark', () => {
  it('pcapng with eight interfaces of different link types and time resolutions', () => {
    const interfaces = [
      interfaceDescriptionBlock(true, LinkType.ETHERNET),
      interfaceDescriptionBlock(true, LinkType.RAW, { tsresol: 9 }),
      interfaceDescriptionBlock(true, LinkType.LINUX_SLL),
      interfaceDescriptionBlock(true, LinkType.LINUX_SLL2, { tsresol: 3 }),
      interfaceDescriptionBlock(true, LinkType.NULL),
      interfaceDescriptionBlock(true, LinkType.LOOP),
      interfaceDescriptionBlock(true, LinkType.IPV4),
      interfaceDescriptionBlock(true, LinkType.IPV6, { tsresol: 0x80 | 20 }),
    ];
    const second = 1_760_000_000n;
    const packets = [
      enhancedPacketBlock(true, 0, second * 1_000_000n + 1n, ethernetFrame(v4('ethernet'))),
      enhancedPacketBlock(true, 0, second * 1_000_000n + 2n, ethernetFrame(v6('ethernet vlan v6'), { vlanIds: [7] })),
      enhancedPacketBlock(true, 1, second * 1_000_000_000n + 3_123n, v4('raw ns')),
      enhancedPacketBlock(true, 2, second * 1_000_000n + 4n, sllFrame(v4('sll'))),
      enhancedPacketBlock(true, 3, second * 1_000n + 5n, sll2Frame(v6('sll2 v6', [{ type: 0 }]), 0x86dd)),
      enhancedPacketBlock(true, 4, second * 1_000_000n + 6_000n, nullFrame(v6('null v6'), 24, true)),
      enhancedPacketBlock(true, 5, second * 1_000_000n + 7_000n, loopFrame(v4('loop'), 2)),
      enhancedPacketBlock(true, 6, second * 1_000_000n + 8_000n, v4('ipv4')),
      enhancedPacketBlock(true, 7, (second << 20n) + 9_000n, v6('ipv6 binary resolution', [{ type: 60 }])),
    ];
    const events = expectUdpLikeTshark(
      concatBytes(sectionHeaderBlock(true), ...interfaces, ...packets),
      'eight-interfaces.pcapng',
    );
    expect(events).toHaveLength(9);
    expect(events.find((e) => e.src.ip.includes(':'))?.src.ip).toBe('2001:db8::ff00:42:8329');
  });

  it('big-endian pcapng section and big-endian nanosecond classic pcap', () => {
    const fromPcapng = expectUdpLikeTshark(
      concatBytes(
        sectionHeaderBlock(false),
        interfaceDescriptionBlock(false, LinkType.ETHERNET, { tsresol: 9 }),
        enhancedPacketBlock(false, 0, 1_760_000_000_123_456_789n, ethernetFrame(v4('be pcapng'))),
      ),
      'big-endian.pcapng',
    );
    const fromPcap = expectUdpLikeTshark(
      pcapFile({
        littleEndian: false,
        nanoseconds: true,
        linkType: LinkType.ETHERNET,
        records: [{ seconds: 1_760_000_000, fraction: 987_654_321, data: ethernetFrame(v4('be pcap ns')) }],
      }),
      'big-endian-ns.pcap',
    );
    // The float64 millisecond time keeps the sub-microsecond part to within its 0.24 µs resolution.
    expect([...fromPcapng, ...fromPcap].map((e) => e.time - 1_760_000_000_000)).toEqual([
      expect.closeTo(123.456789, 3),
      expect.closeTo(987.654321, 3),
    ]);
  });

  it('TCP with reordered, duplicated and overlapping segments reassembles to the bytes tshark follows', () => {
    const client = { ip: '198.51.100.20', port: 41000 };
    const server = { ip: '192.0.2.80', port: 5060 };
    const message = ascii(
      `REGISTER sip:192.0.2.80 SIP/2.0\r\n${'X-Pad: abcdefghij\r\n'.repeat(6)}Content-Length: 0\r\n\r\n`,
    );
    const isn = 4_294_967_200; // crosses the 2^32 wrap-around mid-message
    const segment = (seq: number, flags: number, payload?: Uint8Array, fromServer = false) =>
      ethernetFrame(
        ipv4Packet({
          src: fromServer ? server.ip : client.ip,
          dst: fromServer ? client.ip : server.ip,
          protocol: 6,
          payload: tcpSegment({
            srcPort: fromServer ? server.port : client.port,
            dstPort: fromServer ? client.port : server.port,
            seq: seq >>> 0,
            ack: fromServer ? isn + 1 : 70_001,
            flags,
            payload,
          }),
        }),
      );
    const at = (offset: number) => isn + 1 + offset;
    const slice = (from: number, to?: number) => message.subarray(from, to);
    const frames = [
      segment(isn, TcpFlag.SYN),
      segment(70_000, TcpFlag.SYN | TcpFlag.ACK, undefined, true),
      segment(at(0), TcpFlag.ACK),
      segment(at(0), TcpFlag.ACK | TcpFlag.PSH, slice(0, 40)),
      segment(at(80), TcpFlag.ACK | TcpFlag.PSH, slice(80)),
      segment(at(40), TcpFlag.ACK | TcpFlag.PSH, slice(40, 60)),
      segment(at(40), TcpFlag.ACK | TcpFlag.PSH, slice(40, 60)),
      segment(at(50), TcpFlag.ACK | TcpFlag.PSH, slice(50, 80)),
      segment(70_001, TcpFlag.ACK | TcpFlag.PSH, ascii('SIP/2.0 200 OK\r\n\r\n'), true),
    ];
    const bytes = concatBytes(
      sectionHeaderBlock(true),
      interfaceDescriptionBlock(true, LinkType.ETHERNET),
      ...frames.map((f, i) => enhancedPacketBlock(true, 0, 1_760_000_000_000_000n + BigInt(i) * 1000n, f)),
    );
    const followed = withTempFile('reordered.pcapng', bytes, (path) => tsharkFollowTcp(path, [0])).get(0);
    const events = readCapture(bytes).events.filter((e): e is TcpDataEvent => e.kind === 'tcp');
    const stream = (fromClient: boolean) =>
      Buffer.concat(events.filter((e) => (e.src.port === client.port) === fromClient).map((e) => e.payload));
    const tsharkStream = (node: 0 | 1) =>
      Buffer.concat((followed?.chunks ?? []).filter((c) => c.node === node).map((c) => c.bytes));
    expect(followed?.node0).toBe(`${client.ip}:${client.port}`);
    expect(stream(true).toString('latin1')).toBe(tsharkStream(0).toString('latin1'));
    expect(stream(false).toString('latin1')).toBe(tsharkStream(1).toString('latin1'));
    expect(stream(true).equals(Buffer.from(message))).toBe(true);
  });
});
