import { describe, expect, it } from 'vitest';
import { GhostguardError } from '../errors.js';
import type { CaptureResult, TcpDataEvent, UdpDatagramEvent } from './capture-types.js';
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
  obsoletePacketBlock,
  pcapFile,
  pcapngBlock,
  sectionHeaderBlock,
  simplePacketBlock,
  sll2Frame,
  sllFrame,
  TcpFlag,
  tcpSegment,
  udpDatagram,
} from './test-support/capture-builder.js';

const UDP = 17;
const TCP = 6;

function udp4(payload: string, src = '198.51.100.7', dst = '192.0.2.1', srcPort = 5061, dstPort = 5060): Uint8Array {
  return ipv4Packet({ src, dst, protocol: UDP, payload: udpDatagram(srcPort, dstPort, ascii(payload)) });
}

function udp6(payload: string, extensions: { type: number; length8?: number }[] = []): Uint8Array {
  return ipv6Packet({
    src: '2001:db8:0:0:0:0:0:10',
    dst: '2001:db8:0:0:1:0:0:1',
    protocol: UDP,
    payload: udpDatagram(5062, 5060, ascii(payload)),
    extensions,
  });
}

const udpEvents = (r: CaptureResult) => r.events.filter((e): e is UdpDatagramEvent => e.kind === 'udp');
const payloadTexts = (r: CaptureResult) =>
  r.events.flatMap((e) => (e.kind === 'tcp-end' ? [] : [Buffer.from(e.payload).toString('latin1')]));

/** Single-interface little-endian pcapng around Ethernet frames, microsecond timestamps. */
function ethernetPcapng(frames: Uint8Array[]): Uint8Array {
  return concatBytes(
    sectionHeaderBlock(true),
    interfaceDescriptionBlock(true, LinkType.ETHERNET),
    ...frames.map((f, i) => enhancedPacketBlock(true, 0, 1_700_000_000_000_000n + BigInt(i), f)),
  );
}

function captureError(bytes: Uint8Array): GhostguardError {
  try {
    readCapture(bytes);
  } catch (err) {
    if (err instanceof GhostguardError) return err;
    throw new Error(`expected a GhostguardError, got ${String(err)}`);
  }
  throw new Error('expected readCapture to throw');
}

describe('readCapture: classic pcap', () => {
  it.each([
    ['little-endian', true],
    ['big-endian', false],
  ])('reads a %s microsecond file: time, endpoints, payload', (_name, littleEndian) => {
    const bytes = pcapFile({
      littleEndian,
      linkType: LinkType.ETHERNET,
      records: [{ seconds: 1_700_000_000, fraction: 123_456, data: ethernetFrame(udp4('OPTIONS sip:100@x SIP/2.0')) }],
    });
    const result = readCapture(bytes);
    expect(result.format).toBe('pcap');
    expect(result.events).toEqual([
      {
        kind: 'udp',
        time: 1_700_000_000_123.456,
        src: { ip: '198.51.100.7', port: 5061 },
        dst: { ip: '192.0.2.1', port: 5060 },
        payload: ascii('OPTIONS sip:100@x SIP/2.0'),
      },
    ]);
  });

  it.each([true, false])('reads nanosecond-magic files (little-endian %s)', (littleEndian) => {
    const bytes = pcapFile({
      littleEndian,
      nanoseconds: true,
      linkType: LinkType.RAW,
      records: [{ seconds: 10, fraction: 500_000_001, data: udp4('x') }],
    });
    expect(readCapture(bytes).events[0]?.time).toBeCloseTo(10_500.000001, 9);
  });

  it('reads a capture that sits at a non-zero offset inside a larger buffer', () => {
    const file = pcapFile({
      littleEndian: true,
      linkType: LinkType.RAW,
      records: [{ seconds: 1, fraction: 0, data: udp4('inner') }],
    });
    const outer = new Uint8Array(file.length + 7);
    outer.set(file, 3);
    expect(payloadTexts(readCapture(outer.subarray(3, 3 + file.length)))).toEqual(['inner']);
  });

  it('returns payloads as views of the input buffer, not copies', () => {
    const bytes = pcapFile({
      littleEndian: true,
      linkType: LinkType.RAW,
      records: [{ seconds: 1, fraction: 0, data: udp4('hello') }],
    });
    const [event] = udpEvents(readCapture(bytes));
    expect(event?.payload.buffer).toBe(bytes.buffer);
    expect(event?.payload.byteOffset).toBe(bytes.length - 5);
  });
});

describe('readCapture: pcapng', () => {
  it('reads two interfaces of different link types, one with nanosecond if_tsresol, in time order', () => {
    const bytes = concatBytes(
      sectionHeaderBlock(true),
      interfaceDescriptionBlock(true, LinkType.ETHERNET), // default: microseconds
      interfaceDescriptionBlock(true, LinkType.RAW, { tsresol: 9 }),
      enhancedPacketBlock(true, 0, 1_700_000_000_000_002n, ethernetFrame(udp4('eth at .000002'))),
      enhancedPacketBlock(true, 1, 1_700_000_000_000_001_500n, udp4('raw at .0000015')),
      enhancedPacketBlock(true, 1, 1_700_000_000_000_003_000n, udp4('raw at .000003')),
    );
    const result = readCapture(bytes);
    expect(payloadTexts(result)).toEqual(['raw at .0000015', 'eth at .000002', 'raw at .000003']);
    // Exact to the float64 nearest the true instant.
    expect(result.events.map((e) => e.time)).toEqual([
      1_700_000_000_000.0015, 1_700_000_000_000.002, 1_700_000_000_000.003,
    ]);
    expect(result.stats.packetsByLinkType).toEqual({ [LinkType.ETHERNET]: 1, [LinkType.RAW]: 2 });
  });

  it('honours a power-of-two if_tsresol and if_tsoffset', () => {
    const bytes = concatBytes(
      sectionHeaderBlock(true),
      interfaceDescriptionBlock(true, LinkType.RAW, { tsresol: 0x80 | 10, tsoffsetSeconds: 1_000n }), // 1/1024 s
      enhancedPacketBlock(true, 0, 2048n + 512n, udp4('x')),
    );
    expect(readCapture(bytes).events[0]?.time).toBe(1_002_500);
  });

  it('reads a big-endian section followed by a little-endian one, each with its own interfaces', () => {
    const bytes = concatBytes(
      sectionHeaderBlock(false),
      interfaceDescriptionBlock(false, LinkType.ETHERNET),
      enhancedPacketBlock(false, 0, 1_000_000n, ethernetFrame(udp4('big-endian section'))),
      sectionHeaderBlock(true),
      interfaceDescriptionBlock(true, LinkType.IPV4),
      enhancedPacketBlock(true, 0, 2_000_000n, udp4('little-endian section')),
      // A new section forgets earlier interfaces: this section describes only interface 0.
      enhancedPacketBlock(true, 1, 3_000_000n, udp4('unknown interface')),
    );
    const result = readCapture(bytes);
    expect(payloadTexts(result)).toEqual(['big-endian section', 'little-endian section']);
    expect(result.events.map((e) => e.time)).toEqual([1000, 2000]);
    expect(result.stats.skipped['unknown-interface']).toBe(1);
    expect(result.stats.packets).toBe(3);
  });

  it('reads Simple Packet Blocks (interface 0, time of the previous packet) and obsolete Packet Blocks', () => {
    const bytes = concatBytes(
      sectionHeaderBlock(true),
      interfaceDescriptionBlock(true, LinkType.ETHERNET),
      obsoletePacketBlock(true, 0, 5_000_000n, ethernetFrame(udp4('packet block'))),
      simplePacketBlock(true, ethernetFrame(udp4('simple packet block'))),
    );
    const result = readCapture(bytes);
    expect(payloadTexts(result)).toEqual(['packet block', 'simple packet block']);
    expect(result.events.map((e) => e.time)).toEqual([5000, 5000]);
  });

  it('skips unknown, statistics and name-resolution blocks by their length', () => {
    const bytes = concatBytes(
      sectionHeaderBlock(true),
      pcapngBlock(0x00000bad, ascii('custom-ish body'), true),
      interfaceDescriptionBlock(true, LinkType.RAW),
      pcapngBlock(0x00000004, new Uint8Array(4), true), // NRB with just nrb_record_end
      enhancedPacketBlock(true, 0, 1n, udp4('kept')),
      pcapngBlock(0x00000005, new Uint8Array(12), true), // ISB
    );
    expect(payloadTexts(readCapture(bytes))).toEqual(['kept']);
  });
});

describe('readCapture: link layers', () => {
  const frameCases: [string, number, Uint8Array][] = [
    ['Ethernet', LinkType.ETHERNET, ethernetFrame(udp4('m'))],
    ['Ethernet with an 802.1Q tag', LinkType.ETHERNET, ethernetFrame(udp4('m'), { vlanIds: [42] })],
    ['Ethernet with stacked 802.1Q tags', LinkType.ETHERNET, ethernetFrame(udp4('m'), { vlanIds: [100, 200] })],
    ['raw IP (101)', LinkType.RAW, udp4('m')],
    ['raw IPv4 (228)', LinkType.IPV4, udp4('m')],
    ['raw IPv6 (229)', LinkType.IPV6, udp6('m')],
    ['BSD loopback, little-endian host', LinkType.NULL, nullFrame(udp4('m'), 2, true)],
    ['BSD loopback, big-endian host', LinkType.NULL, nullFrame(udp4('m'), 2, false)],
    ['BSD loopback, IPv6 (AF_INET6 = 30)', LinkType.NULL, nullFrame(udp6('m'), 30, true)],
    ['OpenBSD loop (108)', LinkType.LOOP, loopFrame(udp4('m'), 2)],
    ['Linux cooked SLL', LinkType.LINUX_SLL, sllFrame(udp4('m'))],
    ['Linux cooked SLL2, IPv6', LinkType.LINUX_SLL2, sll2Frame(udp6('m'), 0x86dd)],
  ];

  it.each(frameCases)('finds the UDP datagram inside %s', (_name, linkType, frame) => {
    const bytes = pcapFile({ littleEndian: true, linkType, records: [{ seconds: 1, fraction: 0, data: frame }] });
    const result = readCapture(bytes);
    expect(payloadTexts(result)).toEqual(['m']);
    expect(result.stats.packetsByLinkType).toEqual({ [linkType]: 1 });
  });

  it('skips frames that carry no IP and link types it does not decode, counting why', () => {
    const arp = ethernetFrame(new Uint8Array(28), { ethertype: 0x0806 });
    const bytes = concatBytes(
      sectionHeaderBlock(true),
      interfaceDescriptionBlock(true, LinkType.ETHERNET),
      interfaceDescriptionBlock(true, 147), // LINKTYPE_USER0
      enhancedPacketBlock(true, 0, 1n, arp),
      enhancedPacketBlock(true, 1, 2n, udp4('user link type')),
      enhancedPacketBlock(true, 0, 3n, new Uint8Array(10)), // shorter than an Ethernet header
    );
    const result = readCapture(bytes);
    expect(result.events).toEqual([]);
    expect(result.stats.skipped).toMatchObject({ 'not-ip': 1, 'unsupported-link-type': 1, malformed: 1 });
  });
});

describe('readCapture: IP and transport', () => {
  function oneFrame(frame: Uint8Array): CaptureResult {
    return readCapture(ethernetPcapng([frame]));
  }

  it('reads IPv6 UDP with RFC 5952 addresses, past hop-by-hop, routing and destination-options headers', () => {
    const result = oneFrame(ethernetFrame(udp6('v6 payload', [{ type: 0 }, { type: 43, length8: 1 }, { type: 60 }])));
    expect(udpEvents(result)).toEqual([
      expect.objectContaining({
        src: { ip: '2001:db8::10', port: 5062 },
        dst: { ip: '2001:db8::1:0:0:1', port: 5060 },
        payload: ascii('v6 payload'),
      }),
    ]);
  });

  it('steps over an IPv6 Authentication Header (its length counts 4-octet units)', () => {
    expect(payloadTexts(oneFrame(ethernetFrame(udp6('after AH', [{ type: 51 }]))))).toEqual(['after AH']);
  });

  it('skips IPv6 packets with a fragment header as fragments', () => {
    const result = oneFrame(ethernetFrame(udp6('frag', [{ type: 0 }, { type: 44 }])));
    expect(result.events).toEqual([]);
    expect(result.stats.skipped['ip-fragment']).toBe(1);
  });

  it('reads IPv4 with header options (IHL > 5)', () => {
    const packet = ipv4Packet({
      src: '10.1.2.3',
      dst: '10.3.2.1',
      protocol: UDP,
      payload: udpDatagram(1, 2, ascii('opts')),
      options: Uint8Array.of(0x94, 0x04, 0, 0), // Router Alert
    });
    expect(payloadTexts(oneFrame(ethernetFrame(packet)))).toEqual(['opts']);
  });

  it('skips IPv4 fragments, the first one too (its datagram is incomplete), counting them', () => {
    const whole = udpDatagram(5061, 5060, ascii('a SIP message too big for one packet'));
    const first = ipv4Packet({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: UDP,
      payload: whole.subarray(0, 24),
      moreFragments: true,
    });
    const rest = ipv4Packet({
      src: '10.0.0.1',
      dst: '10.0.0.2',
      protocol: UDP,
      payload: whole.subarray(24),
      fragmentOffset8: 3,
    });
    const result = readCapture(
      ethernetPcapng([ethernetFrame(first), ethernetFrame(rest), ethernetFrame(udp4('whole'))]),
    );
    expect(payloadTexts(result)).toEqual(['whole']);
    expect(result.stats.skipped['ip-fragment']).toBe(2);
  });

  it('takes the captured length when IPv4 total length is 0 (segmentation offload captures)', () => {
    const packet = udp4('offloaded');
    packet[2] = 0;
    packet[3] = 0;
    expect(payloadTexts(oneFrame(ethernetFrame(packet)))).toEqual(['offloaded']);
  });

  it('trims Ethernet padding using the IP and UDP lengths', () => {
    const frame = concatBytes(ethernetFrame(udp4('hi')), new Uint8Array(16)); // padded to the 60-byte minimum
    expect(payloadTexts(oneFrame(frame))).toEqual(['hi']);
  });

  it('skips a datagram cut by the snapshot length as snapped', () => {
    const frame = ethernetFrame(udp4('a long enough payload'));
    const result = oneFrame(frame.subarray(0, frame.length - 5));
    expect(result.events).toEqual([]);
    expect(result.stats.skipped.snapped).toBe(1);
  });

  it('counts ICMP as an unsupported transport and a bad UDP length as malformed', () => {
    const icmp = ipv4Packet({ src: '10.0.0.1', dst: '10.0.0.2', protocol: 1, payload: new Uint8Array(8) });
    const badUdp = udp4('x');
    badUdp[20 + 5] = 200; // UDP length beyond the IP payload
    const result = readCapture(ethernetPcapng([ethernetFrame(icmp), ethernetFrame(badUdp)]));
    expect(result.stats.skipped).toMatchObject({ 'unsupported-transport': 1, malformed: 1 });
    expect(result.stats.udpDatagrams).toBe(0);
  });

  it('reassembles a SIP message split across TCP segments that arrive out of order', () => {
    const message = 'INVITE sip:100@192.0.2.1 SIP/2.0\r\nVia: SIP/2.0/TCP 198.51.100.7\r\nContent-Length: 0\r\n\r\n';
    const bytes = ascii(message);
    const tcp = (seq: number, flags: number, payload?: Uint8Array, fromServer = false) =>
      ethernetFrame(
        ipv4Packet({
          src: fromServer ? '192.0.2.1' : '198.51.100.7',
          dst: fromServer ? '198.51.100.7' : '192.0.2.1',
          protocol: TCP,
          payload: tcpSegment({
            srcPort: fromServer ? 5060 : 40123,
            dstPort: fromServer ? 40123 : 5060,
            seq,
            flags,
            payload,
            options: Uint8Array.of(1, 1, 1, 0), // NOPs + EOL: data offset 6
          }),
        }),
      );
    const isn = 0xffff_ffd0; // the message crosses the sequence wrap-around
    const at = (offset: number) => (isn + 1 + offset) >>> 0;
    const frames = [
      tcp(isn, TcpFlag.SYN),
      tcp(9000, TcpFlag.SYN | TcpFlag.ACK, undefined, true),
      tcp(at(0), TcpFlag.ACK | TcpFlag.PSH, bytes.subarray(0, 30)),
      tcp(at(60), TcpFlag.ACK | TcpFlag.PSH, bytes.subarray(60)),
      tcp(at(30), TcpFlag.ACK | TcpFlag.PSH, bytes.subarray(30, 60)),
      tcp(at(0), TcpFlag.ACK | TcpFlag.PSH, bytes.subarray(0, 30)), // retransmission
      tcp(at(bytes.length), TcpFlag.ACK | TcpFlag.FIN),
    ];
    const result = readCapture(ethernetPcapng(frames));
    const data = result.events.filter((e): e is TcpDataEvent => e.kind === 'tcp');
    expect(Buffer.concat(data.map((e) => e.payload)).toString('latin1')).toBe(message);
    expect(data.every((e) => e.src.port === 40123 && e.dst.ip === '192.0.2.1')).toBe(true);
    expect(result.events.at(-1)).toMatchObject({ kind: 'tcp-end', reason: 'fin' });
    expect(result.stats.tcpSegments).toBe(7);
  });
});

describe('readCapture: errors and truncation', () => {
  it('refuses a file that is not a capture with GG_CAPTURE_FORMAT at offset 0', () => {
    for (const bytes of [ascii('SIP/2.0 200 OK\r\n'), new Uint8Array(0), Uint8Array.of(0xd4, 0xc3)]) {
      const err = captureError(bytes);
      expect([err.code, err.offset]).toEqual(['GG_CAPTURE_FORMAT', 0]);
    }
  });

  it('reports a pcap file header cut short as GG_CAPTURE_TRUNCATED', () => {
    const bytes = pcapFile({ littleEndian: true, linkType: 1, records: [] }).subarray(0, 20);
    expect(captureError(bytes)).toMatchObject({ code: 'GG_CAPTURE_TRUNCATED', offset: 0 });
  });

  it('reports a pcap record whose captured length exceeds the file as GG_CAPTURE_TRUNCATED at the record', () => {
    const bytes = pcapFile({
      littleEndian: true,
      linkType: LinkType.RAW,
      records: [
        { seconds: 1, fraction: 0, data: udp4('a') },
        { seconds: 2, fraction: 0, data: udp4('b') },
      ],
    });
    const second = 24 + 16 + udp4('a').length;
    new DataView(bytes.buffer).setUint32(second + 8, 0x7fff_ffff, true);
    const err = captureError(bytes);
    expect([err.code, err.offset]).toEqual(['GG_CAPTURE_TRUNCATED', second]);
    expect(err.message).toMatch(/pcap record at file offset \d+: captured length 2147483647/);
  });

  it('keeps the records before a last record cut by the end of the file, with a warning (pcap)', () => {
    const whole = pcapFile({
      littleEndian: false,
      linkType: LinkType.RAW,
      records: [
        { seconds: 1, fraction: 0, data: udp4('first') },
        { seconds: 2, fraction: 0, data: udp4('second') },
      ],
    });
    for (const cut of [5, 20]) {
      const result = readCapture(whole.subarray(0, whole.length - cut));
      expect(payloadTexts(result)).toEqual(['first']);
      expect(result.warnings).toEqual([
        expect.objectContaining({ code: 'truncated-last-record', offset: 24 + 16 + udp4('first').length }),
      ]);
    }
  });

  it('keeps the blocks before a last block cut by the end of the file, with a warning (pcapng)', () => {
    const whole = ethernetPcapng([ethernetFrame(udp4('first')), ethernetFrame(udp4('second'))]);
    const lastBlock = whole.length - enhancedPacketBlock(true, 0, 0n, ethernetFrame(udp4('second'))).length;
    for (const keep of [lastBlock + 4, whole.length - 1]) {
      const result = readCapture(whole.subarray(0, keep));
      expect(payloadTexts(result)).toEqual(['first']);
      expect(result.warnings).toEqual([expect.objectContaining({ code: 'truncated-last-record', offset: lastBlock })]);
    }
  });

  describe('pcapng block lengths', () => {
    const shb = sectionHeaderBlock(true);
    const idb = interfaceDescriptionBlock(true, LinkType.RAW);
    const epb = enhancedPacketBlock(true, 0, 1n, udp4('payload'));
    const epbAt = shb.length + idb.length;
    const file = () => concatBytes(shb, idb, epb, enhancedPacketBlock(true, 0, 2n, udp4('next')));
    const setU32 = (bytes: Uint8Array, at: number, value: number) =>
      new DataView(bytes.buffer).setUint32(at, value, true);

    it('rejects a block length below the block type minimum, naming the block and offset', () => {
      const bytes = file();
      setU32(bytes, epbAt + 4, 20);
      const err = captureError(bytes);
      expect([err.code, err.offset]).toEqual(['GG_CAPTURE_TRUNCATED', epbAt]);
      expect(err.message).toContain('Enhanced Packet Block');
    });

    it('rejects a block length larger than the whole file', () => {
      const bytes = file();
      setU32(bytes, epbAt + 4, 0xffff_fff0);
      expect(captureError(bytes)).toMatchObject({ code: 'GG_CAPTURE_TRUNCATED', offset: epbAt });
    });

    it('rejects an EPB whose captured length runs past its block', () => {
      const bytes = file();
      setU32(bytes, epbAt + 20, 1000);
      const err = captureError(bytes);
      expect([err.code, err.offset]).toEqual(['GG_CAPTURE_TRUNCATED', epbAt]);
      expect(err.message).toContain('Enhanced Packet Block');
    });

    it('rejects a trailing block length that differs from the leading one', () => {
      const bytes = file();
      setU32(bytes, epbAt + epb.length - 4, epb.length + 4);
      expect(captureError(bytes)).toMatchObject({ code: 'GG_CAPTURE_FORMAT', offset: epbAt });
    });

    it('rejects an interface option whose length runs past its block', () => {
      const withOption = interfaceDescriptionBlock(true, LinkType.RAW, { tsresol: 9 });
      const bytes = concatBytes(shb, withOption);
      new DataView(bytes.buffer).setUint16(shb.length + 16 + 2, 200, true);
      expect(captureError(bytes)).toMatchObject({ code: 'GG_CAPTURE_TRUNCATED', offset: shb.length });
    });

    it('rejects an unknown byte-order magic and an unsupported major version', () => {
      const badMagic = file();
      setU32(badMagic, 8, 0x11223344);
      expect(captureError(badMagic)).toMatchObject({ code: 'GG_CAPTURE_FORMAT', offset: 0 });
      const badVersion = file();
      new DataView(badVersion.buffer).setUint16(12, 2, true);
      expect(captureError(badVersion)).toMatchObject({ code: 'GG_CAPTURE_FORMAT', offset: 0 });
    });

    it('rejects a section header cut inside the file header', () => {
      expect(captureError(shb.subarray(0, 10))).toMatchObject({ code: 'GG_CAPTURE_TRUNCATED', offset: 0 });
    });
  });
});
