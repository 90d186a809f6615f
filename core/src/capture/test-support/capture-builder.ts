/**
 * Builds capture files and packets byte by byte for tests. Kept deliberately literal (offsets as in
 * the specs) so it does not share code, or mistakes, with the reader under test; the
 * synthetic-captures-vs-tshark test checks these bytes against an independent decoder.
 */

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

export function ascii(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Fixed-size writer with explicit byte order. */
class ByteWriter {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  constructor(
    size: number,
    private readonly littleEndian = false,
  ) {
    this.bytes = new Uint8Array(size);
    this.view = new DataView(this.bytes.buffer);
  }
  u8(at: number, v: number): this {
    this.view.setUint8(at, v);
    return this;
  }
  u16(at: number, v: number): this {
    this.view.setUint16(at, v, this.littleEndian);
    return this;
  }
  u32(at: number, v: number): this {
    this.view.setUint32(at, v >>> 0, this.littleEndian);
    return this;
  }
  u64(at: number, v: bigint): this {
    this.view.setBigUint64(at, v, this.littleEndian);
    return this;
  }
  put(at: number, data: Uint8Array): this {
    this.bytes.set(data, at);
    return this;
  }
}

// ---------- addresses ----------

export function ipv4Bytes(text: string): Uint8Array {
  return Uint8Array.from(text.split('.').map(Number));
}

/** Parses full or `::`-compressed IPv6 text (no embedded IPv4). */
export function ipv6Bytes(text: string): Uint8Array {
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const w = new ByteWriter(16);
  for (const [i, g] of groups.entries()) w.u16(i * 2, Number.parseInt(g, 16));
  return w.bytes;
}

// ---------- transport ----------

export function udpDatagram(srcPort: number, dstPort: number, payload: Uint8Array): Uint8Array {
  // Checksum 0 = "not computed" (legal for UDP over IPv4; Wireshark does not verify by default).
  return new ByteWriter(8 + payload.length)
    .u16(0, srcPort)
    .u16(2, dstPort)
    .u16(4, 8 + payload.length)
    .put(8, payload).bytes;
}

export const TcpFlag = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10 } as const;

export interface TcpSpec {
  srcPort: number;
  dstPort: number;
  seq: number;
  ack?: number;
  flags: number;
  payload?: Uint8Array;
  /** TCP options bytes (padded by the caller to a multiple of 4). */
  options?: Uint8Array;
}

export function tcpSegment(spec: TcpSpec): Uint8Array {
  const payload = spec.payload ?? new Uint8Array(0);
  const options = spec.options ?? new Uint8Array(0);
  const headerLength = 20 + options.length;
  return new ByteWriter(headerLength + payload.length)
    .u16(0, spec.srcPort)
    .u16(2, spec.dstPort)
    .u32(4, spec.seq)
    .u32(8, spec.ack ?? 0)
    .u8(12, (headerLength / 4) << 4)
    .u8(13, spec.flags)
    .u16(14, 65535)
    .put(20, options)
    .put(headerLength, payload).bytes;
}

// ---------- network ----------

export interface Ipv4Spec {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  /** IP options (multiple of 4 bytes). */
  options?: Uint8Array;
  moreFragments?: boolean;
  fragmentOffset8?: number;
  identification?: number;
}

export function ipv4Packet(spec: Ipv4Spec): Uint8Array {
  const options = spec.options ?? new Uint8Array(0);
  const headerLength = 20 + options.length;
  const w = new ByteWriter(headerLength + spec.payload.length)
    .u8(0, 0x40 | (headerLength / 4))
    .u16(2, headerLength + spec.payload.length)
    .u16(4, spec.identification ?? 1)
    .u16(6, (spec.moreFragments ? 0x2000 : 0) | (spec.fragmentOffset8 ?? 0))
    .u8(8, 64)
    .u8(9, spec.protocol)
    .put(12, ipv4Bytes(spec.src))
    .put(16, ipv4Bytes(spec.dst))
    .put(20, options)
    .put(headerLength, spec.payload);
  w.u16(10, internetChecksum(w.bytes.subarray(0, headerLength)));
  return w.bytes;
}

function internetChecksum(header: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < header.length; i += 2) sum += ((header[i] ?? 0) << 8) | (header[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

export interface Ipv6ExtensionHeader {
  /** 0 hop-by-hop, 43 routing, 44 fragment, 51 authentication, 60 destination options. */
  type: number;
  /** Length in 8-octet units beyond the first 8 (ignored for the fragment header). */
  length8?: number;
}

export interface Ipv6Spec {
  src: string;
  dst: string;
  protocol: number;
  payload: Uint8Array;
  extensions?: Ipv6ExtensionHeader[];
}

export function ipv6Packet(spec: Ipv6Spec): Uint8Array {
  const extensions = spec.extensions ?? [];
  const chain = [...extensions.map((e) => e.type), spec.protocol];
  const extensionBytes = extensions.map((e, i) => {
    const next = chain[i + 1] ?? 59;
    if (e.type === 44) return new ByteWriter(8).u8(0, next).u32(4, 0x1234).bytes;
    if (e.type === 51) {
      // Authentication Header: length in 4-octet units minus 2; here SPI, sequence and a 4-byte ICV.
      return new ByteWriter(12).u8(0, next).u8(1, 1).u32(4, 0x100).u32(8, 1).bytes;
    }
    const size = ((e.length8 ?? 0) + 1) * 8;
    const w = new ByteWriter(size).u8(0, next).u8(1, e.length8 ?? 0);
    // PadN option filling the rest, so Wireshark sees well-formed options.
    if (e.type !== 43) w.u8(2, 1).u8(3, size - 4);
    return w.bytes;
  });
  const body = concatBytes(...extensionBytes, spec.payload);
  return new ByteWriter(40 + body.length)
    .u32(0, 0x60000000)
    .u16(4, body.length)
    .u8(6, chain[0] ?? 59)
    .u8(7, 64)
    .put(8, ipv6Bytes(spec.src))
    .put(24, ipv6Bytes(spec.dst))
    .put(40, body).bytes;
}

// ---------- link layer ----------

export function ethernetFrame(ipPacket: Uint8Array, opts: { vlanIds?: number[]; ethertype?: number } = {}): Uint8Array {
  const vlanIds = opts.vlanIds ?? [];
  const ethertype = opts.ethertype ?? ((ipPacket[0] ?? 0) >> 4 === 6 ? 0x86dd : 0x0800);
  const w = new ByteWriter(14 + 4 * vlanIds.length)
    .put(0, Uint8Array.of(0x02, 0, 0, 0, 0, 1))
    .put(6, Uint8Array.of(0x02, 0, 0, 0, 0, 2));
  let at = 12;
  for (const id of vlanIds) {
    w.u16(at, 0x8100).u16(at + 2, id);
    at += 4;
  }
  w.u16(at, ethertype);
  return concatBytes(w.bytes, ipPacket);
}

/** LINKTYPE_NULL: 4-byte address family in the capturing host's byte order. */
export function nullFrame(ipPacket: Uint8Array, family: number, littleEndian: boolean): Uint8Array {
  return concatBytes(new ByteWriter(4, littleEndian).u32(0, family).bytes, ipPacket);
}

/** LINKTYPE_LOOP: like NULL but always big-endian. */
export function loopFrame(ipPacket: Uint8Array, family: number): Uint8Array {
  return concatBytes(new ByteWriter(4).u32(0, family).bytes, ipPacket);
}

export function sllFrame(ipPacket: Uint8Array, protocol = 0x0800): Uint8Array {
  const w = new ByteWriter(16)
    .u16(0, 0) // packet sent to us
    .u16(2, 772) // ARPHRD_LOOPBACK
    .u16(4, 6)
    .u16(14, protocol);
  return concatBytes(w.bytes, ipPacket);
}

export function sll2Frame(ipPacket: Uint8Array, protocol = 0x0800): Uint8Array {
  const w = new ByteWriter(20)
    .u16(0, protocol)
    .u32(4, 1) // interface index
    .u16(8, 772)
    .u8(10, 0)
    .u8(11, 6);
  return concatBytes(w.bytes, ipPacket);
}

// ---------- classic pcap ----------

export interface PcapRecordSpec {
  seconds: number;
  /** Microseconds, or nanoseconds when the file is nanosecond-resolution. */
  fraction: number;
  data: Uint8Array;
  originalLength?: number;
}

export function pcapFile(opts: {
  littleEndian: boolean;
  nanoseconds?: boolean;
  linkType: number;
  records: PcapRecordSpec[];
}): Uint8Array {
  const header = new ByteWriter(24, opts.littleEndian)
    .u32(0, opts.nanoseconds ? 0xa1b23c4d : 0xa1b2c3d4)
    .u16(4, 2)
    .u16(6, 4)
    .u32(16, 262144)
    .u32(20, opts.linkType).bytes;
  const records = opts.records.map((r) =>
    concatBytes(
      new ByteWriter(16, opts.littleEndian)
        .u32(0, r.seconds)
        .u32(4, r.fraction)
        .u32(8, r.data.length)
        .u32(12, r.originalLength ?? r.data.length).bytes,
      r.data,
    ),
  );
  return concatBytes(header, ...records);
}

// ---------- pcapng ----------

function padded4(length: number): number {
  return (length + 3) & ~3;
}

export interface PcapngOption {
  code: number;
  value: Uint8Array;
}

function optionsBytes(options: PcapngOption[], littleEndian: boolean): Uint8Array {
  if (options.length === 0) return new Uint8Array(0);
  const parts = options.map(
    (o) =>
      new ByteWriter(4 + padded4(o.value.length), littleEndian).u16(0, o.code).u16(2, o.value.length).put(4, o.value)
        .bytes,
  );
  return concatBytes(...parts, new Uint8Array(4)); // opt_endofopt
}

/** Any block: type, total length, body (padded), options, total length. */
export function pcapngBlock(
  type: number,
  body: Uint8Array,
  littleEndian: boolean,
  options: PcapngOption[] = [],
): Uint8Array {
  const opts = optionsBytes(options, littleEndian);
  const total = 12 + padded4(body.length) + opts.length;
  return new ByteWriter(total, littleEndian)
    .u32(0, type)
    .u32(4, total)
    .put(8, body)
    .put(8 + padded4(body.length), opts)
    .u32(total - 4, total).bytes;
}

export function sectionHeaderBlock(littleEndian: boolean): Uint8Array {
  const body = new ByteWriter(16, littleEndian)
    .u32(0, 0x1a2b3c4d)
    .u16(4, 1)
    .u16(6, 0)
    .u64(8, 0xffffffffffffffffn).bytes; // section length unknown
  return pcapngBlock(0x0a0d0d0a, body, littleEndian);
}

export function interfaceDescriptionBlock(
  littleEndian: boolean,
  linkType: number,
  opts: { tsresol?: number; tsoffsetSeconds?: bigint; snapLength?: number } = {},
): Uint8Array {
  const body = new ByteWriter(8, littleEndian).u16(0, linkType).u32(4, opts.snapLength ?? 0).bytes;
  const options: PcapngOption[] = [];
  if (opts.tsresol !== undefined) options.push({ code: 9, value: Uint8Array.of(opts.tsresol) });
  if (opts.tsoffsetSeconds !== undefined) {
    options.push({ code: 14, value: new ByteWriter(8, littleEndian).u64(0, opts.tsoffsetSeconds).bytes });
  }
  return pcapngBlock(0x00000001, body, littleEndian, options);
}

export function enhancedPacketBlock(
  littleEndian: boolean,
  interfaceId: number,
  timestampUnits: bigint,
  data: Uint8Array,
): Uint8Array {
  const header = new ByteWriter(20, littleEndian)
    .u32(0, interfaceId)
    .u32(4, Number(timestampUnits >> 32n))
    .u32(8, Number(timestampUnits & 0xffffffffn))
    .u32(12, data.length)
    .u32(16, data.length).bytes;
  return pcapngBlock(0x00000006, concatBytes(header, data), littleEndian);
}

export function simplePacketBlock(littleEndian: boolean, data: Uint8Array): Uint8Array {
  return pcapngBlock(
    0x00000003,
    concatBytes(new ByteWriter(4, littleEndian).u32(0, data.length).bytes, data),
    littleEndian,
  );
}

/** The obsolete Packet Block (type 2): 16-bit interface id and drop count. */
export function obsoletePacketBlock(
  littleEndian: boolean,
  interfaceId: number,
  timestampUnits: bigint,
  data: Uint8Array,
): Uint8Array {
  const header = new ByteWriter(20, littleEndian)
    .u16(0, interfaceId)
    .u16(2, 0)
    .u32(4, Number(timestampUnits >> 32n))
    .u32(8, Number(timestampUnits & 0xffffffffn))
    .u32(12, data.length)
    .u32(16, data.length).bytes;
  return pcapngBlock(0x00000002, concatBytes(header, data), littleEndian);
}
