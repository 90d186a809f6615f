import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureWarning, TcpDataEvent, TransportEndpoint } from './capture-types.js';
import {
  DEFAULT_TCP_REASSEMBLER_OPTIONS,
  seqDistance,
  TcpReassembler,
  type TcpReassemblerOptions,
} from './tcp-reassembler.js';

const CLIENT: TransportEndpoint = { ip: '192.0.2.10', port: 40000 };
const SERVER: TransportEndpoint = { ip: '192.0.2.20', port: 5060 };

interface SegmentSpec {
  seq: number;
  data?: string | Uint8Array;
  syn?: boolean;
  ack?: boolean;
  fin?: boolean;
  rst?: boolean;
  time?: number;
}

function harness(options: Partial<TcpReassemblerOptions> = {}) {
  const events: CaptureEvent[] = [];
  const warnings: CaptureWarning[] = [];
  const reassembler = new TcpReassembler(
    { ...DEFAULT_TCP_REASSEMBLER_OPTIONS, ...options },
    (event) => events.push(event),
    (warning) => warnings.push(warning),
  );
  let clock = 0;
  const send = (from: 'client' | 'server', spec: SegmentSpec) => {
    const [src, dst] = from === 'client' ? [CLIENT, SERVER] : [SERVER, CLIENT];
    const payload =
      typeof spec.data === 'string' ? new TextEncoder().encode(spec.data) : (spec.data ?? new Uint8Array());
    clock = spec.time ?? clock + 1;
    reassembler.push(
      clock,
      src,
      dst,
      {
        srcPort: src.port,
        dstPort: dst.port,
        seq: spec.seq >>> 0,
        syn: spec.syn ?? false,
        ack: spec.ack ?? !spec.syn,
        fin: spec.fin ?? false,
        rst: spec.rst ?? false,
        payload,
      },
      0,
    );
  };
  const data = (from: TransportEndpoint) =>
    events.filter((e): e is TcpDataEvent => e.kind === 'tcp' && e.src.port === from.port);
  const text = (from: TransportEndpoint) =>
    data(from)
      .map((e) => Buffer.from(e.payload).toString('latin1'))
      .join('');
  return { events, warnings, send, data, text, finish: (time: number) => reassembler.finish(time) };
}

/** Client SYN at isn, server SYN-ACK at serverIsn: data then starts at isn + 1. */
function handshake(h: ReturnType<typeof harness>, isn: number, serverIsn = 5000) {
  h.send('client', { seq: isn, syn: true });
  h.send('server', { seq: serverIsn, syn: true, ack: true });
}

describe('TcpReassembler', () => {
  it('delivers in-order data of both directions under one connection number', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1001, data: 'INVITE ' });
    h.send('client', { seq: 1008, data: 'sip:100' });
    h.send('server', { seq: 5001, data: 'SIP/2.0 100' });
    expect(h.text(CLIENT)).toBe('INVITE sip:100');
    expect(h.text(SERVER)).toBe('SIP/2.0 100');
    expect(new Set(h.events.map((e) => e.kind === 'tcp' && e.connection))).toEqual(new Set([0]));
  });

  it('holds a segment that arrives before its predecessor and releases both, in order, when the gap fills', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1001, data: 'one ', time: 10 });
    h.send('client', { seq: 1009, data: 'three', time: 11 });
    expect(h.text(CLIENT)).toBe('one ');
    h.send('client', { seq: 1005, data: 'two ', time: 12 });
    expect(h.text(CLIENT)).toBe('one two three');
    // Released data carries the time of the packet that filled the gap.
    expect(h.data(CLIENT).map((e) => e.time)).toEqual([10, 12, 12]);
  });

  it('drops retransmitted and duplicated segments', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1001, data: 'REGISTER' });
    h.send('client', { seq: 1001, data: 'REGISTER' });
    h.send('client', { seq: 1009, data: ' sip' });
    h.send('client', { seq: 1009, data: ' sip' });
    h.send('client', { seq: 1001, data: 'REGISTER sip' });
    expect(h.text(CLIENT)).toBe('REGISTER sip');
    expect(h.data(CLIENT)).toHaveLength(2);
  });

  it('trims overlapping segments to the bytes not yet delivered, in order and held', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1001, data: 'abcdef' });
    h.send('client', { seq: 1004, data: 'defghi' }); // overlaps 3 delivered bytes
    h.send('client', { seq: 1013, data: 'mnop' }); // held
    h.send('client', { seq: 1011, data: 'klmn' }); // held, overlapping the held one
    h.send('client', { seq: 1009, data: 'ijkl' }); // fills the gap, overlaps on both sides
    expect(h.text(CLIENT)).toBe('abcdefghijklmnop');
  });

  it('on conflicting overlapping copies keeps the bytes seen first', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1003, data: 'XY' });
    h.send('client', { seq: 1003, data: 'zz' });
    h.send('client', { seq: 1001, data: 'ab' });
    expect(h.text(CLIENT)).toBe('abXY');
  });

  it('follows the sequence space across the 2^32 wrap-around, also out of order', () => {
    const h = harness();
    const isn = 0xffff_fffa; // data starts 5 bytes before the wrap
    handshake(h, isn);
    h.send('client', { seq: isn + 1, data: 'wrap' }); // 0xfffffffb..0xfffffffe
    h.send('client', { seq: 2, data: 'after' }); // past the wrap, out of order: held
    h.send('client', { seq: 0xffff_ffff, data: 'ing' }); // 0xffffffff, 0, 1 ... covers the gap up to 2
    h.send('client', { seq: isn + 1, data: 'wrap' }); // an old retransmission from before the wrap
    expect(h.text(CLIENT)).toBe('wrapingafter');
  });

  it('ends a direction at its FIN once all data before it arrived, and ignores data after it', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1006, data: 'world', fin: true }); // FIN and data before the gap fills
    expect(h.events.some((e) => e.kind === 'tcp-end')).toBe(false);
    h.send('client', { seq: 1001, data: 'hello' });
    h.send('client', { seq: 1012, data: 'late' });
    expect(h.text(CLIENT)).toBe('helloworld');
    const ends = h.events.filter((e) => e.kind === 'tcp-end');
    expect(ends).toEqual([expect.objectContaining({ src: CLIENT, reason: 'fin', connection: 0 })]);
    expect(h.events.at(-1)?.kind).toBe('tcp-end'); // nothing delivered after the FIN
  });

  it('ends both directions at an RST, dropping held data with a warning', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('server', { seq: 5001, data: 'banner' });
    h.send('client', { seq: 1010, data: 'held' });
    h.send('client', { seq: 1001, rst: true });
    h.send('client', { seq: 1001, data: 'after reset' });
    expect(h.text(CLIENT)).toBe('');
    const ends = h.events.filter((e) => e.kind === 'tcp-end');
    expect(ends.map((e) => [e.src.port, e.kind === 'tcp-end' && e.reason])).toEqual([
      [CLIENT.port, 'rst'],
      [SERVER.port, 'rst'],
    ]);
    expect(h.warnings.map((w) => w.code)).toEqual(['tcp-held-data-dropped']);
  });

  it('starts a new connection number when a new SYN reuses the 4-tuple, but not for a retransmitted SYN', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1000, syn: true }); // retransmitted SYN: same connection
    h.send('client', { seq: 1001, data: 'first' });
    h.send('client', { seq: 1006, fin: true });
    handshake(h, 90_000, 7000);
    h.send('client', { seq: 90_001, data: 'second' });
    h.send('server', { seq: 7001, data: 'reply' });
    const byConnection = h.data(CLIENT).map((e) => [e.connection, Buffer.from(e.payload).toString()]);
    expect(byConnection).toEqual([
      [0, 'first'],
      [1, 'second'],
    ]);
    expect(h.data(SERVER).map((e) => e.connection)).toEqual([1]);
  });

  it('keeps an ended direction as a bounded tombstone: its retransmissions stay ignored, the oldest is forgotten', () => {
    const events: CaptureEvent[] = [];
    const r = new TcpReassembler(
      { ...DEFAULT_TCP_REASSEMBLER_OPTIONS, maxDirections: 2 },
      (e) => events.push(e),
      () => {},
    );
    const client = (port: number): TransportEndpoint => ({ ip: '192.0.2.10', port });
    const seg = (seq: number, flags: { syn?: boolean; fin?: boolean }, data = '') => ({
      srcPort: 0,
      dstPort: 0,
      seq,
      syn: flags.syn ?? false,
      ack: !flags.syn,
      fin: flags.fin ?? false,
      rst: false,
      payload: new TextEncoder().encode(data),
    });
    // Three short connections from three ports, each SYN, data, FIN (one direction, as a scanner's SETUP).
    for (const port of [40001, 40002, 40003]) {
      r.push(1, client(port), SERVER, seg(100, { syn: true }), 0);
      r.push(2, client(port), SERVER, seg(101, {}, `setup ${port}`), 0);
      r.push(3, client(port), SERVER, seg(101 + 11, { fin: true }), 0);
    }
    const delivered = () => events.filter((e) => e.kind === 'tcp').length;
    expect(delivered()).toBe(3);
    // The newest ended directions are remembered: their retransmitted data delivers nothing.
    r.push(4, client(40003), SERVER, seg(101, {}, 'setup 40003'), 0);
    r.push(4, client(40002), SERVER, seg(101, {}, 'setup 40002'), 0);
    expect(delivered()).toBe(3);
    // The server's late reply on an ended connection keeps its connection number.
    r.push(5, SERVER, client(40003), seg(7000, {}, 'release'), 0);
    const data = events.filter((e): e is TcpDataEvent => e.kind === 'tcp');
    expect(data.at(-1)!.connection).toBe(data.find((e) => e.src.port === 40003)!.connection);
    // Past maxDirections ended ones the oldest is forgotten: its retransmission reads as a stream picked up midway.
    r.push(6, client(40001), SERVER, seg(101, {}, 'setup 40001'), 0);
    expect(events.filter((e) => e.kind === 'tcp' && e.src.port === 40001)).toHaveLength(2);
  });

  it('picks up a connection whose handshake was not captured at its first data segment', () => {
    const h = harness();
    h.send('server', { seq: 123_456, data: 'Event: Newchannel\r\n' });
    h.send('server', { seq: 123_456 + 19, data: '\r\n' });
    h.send('client', { seq: 77, data: 'Action: Ping\r\n' });
    expect(h.text(SERVER)).toBe('Event: Newchannel\r\n\r\n');
    expect(h.text(CLIENT)).toBe('Action: Ping\r\n');
    expect(new Set(h.events.map((e) => e.kind === 'tcp' && e.connection))).toEqual(new Set([0]));
  });

  it('delivers data carried on the SYN itself (TCP Fast Open) after the SYN sequence number', () => {
    const h = harness();
    h.send('client', { seq: 1000, syn: true, data: 'early' });
    h.send('client', { seq: 1006, data: ' data' });
    expect(h.text(CLIENT)).toBe('early data');
  });

  it('skips a gap it cannot bridge within the held-bytes budget, with a warning, and keeps going', () => {
    const h = harness({ maxHeldBytes: 10 });
    handshake(h, 1000);
    h.send('client', { seq: 1001, data: 'start' });
    // bytes 1006..1009 are never captured
    h.send('client', { seq: 1010, data: 'after-gap' }); // 9 bytes: held
    h.send('client', { seq: 1019, data: '+more' }); // 14 held > 10: resync
    expect(h.text(CLIENT)).toBe('startafter-gap+more');
    expect(h.warnings).toEqual([
      expect.objectContaining({ code: 'tcp-resync', message: expect.stringContaining('skipped 4') }),
    ]);
    h.send('client', { seq: 1024, data: '!' });
    expect(h.text(CLIENT)).toBe('startafter-gap+more!');
  });

  it('bounds the number of held segments, not only their bytes', () => {
    const h = harness({ maxHeldSegments: 3 });
    handshake(h, 1000);
    for (let i = 0; i < 4; i++) h.send('client', { seq: 1002 + 2 * i, data: 'x' }); // four 1-byte islands
    expect(h.warnings.map((w) => w.code)).toContain('tcp-resync');
    expect(h.text(CLIENT)).toContain('x');
  });

  it('at the end of the capture delivers data still held behind a gap, with a warning', () => {
    const h = harness();
    handshake(h, 1000);
    h.send('client', { seq: 1001, data: 'head' });
    h.send('client', { seq: 1010, data: 'tail', fin: true });
    h.finish(99);
    expect(h.text(CLIENT)).toBe('headtail');
    expect(h.data(CLIENT).at(-1)?.time).toBe(99);
    expect(h.warnings.map((w) => w.code)).toEqual(['tcp-gap-at-end']);
    expect(h.events.at(-1)).toEqual(expect.objectContaining({ kind: 'tcp-end', reason: 'fin' }));
  });

  it('reassembles any segmentation, reordering, duplication and overlap back into the original stream', () => {
    const scenario = fc
      .record({
        stream: fc.uint8Array({ minLength: 1, maxLength: 400 }),
        isn: fc.oneof(fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0xffff_fe00, max: 0xffff_ffff })),
        cuts: fc.array(fc.nat(400), { maxLength: 30 }),
        extra: fc.array(fc.record({ start: fc.nat(400), length: fc.integer({ min: 1, max: 50 }) }), { maxLength: 10 }),
        order: fc.array(fc.nat(), { maxLength: 60 }),
      })
      .map(({ stream, isn, cuts, extra, order }) => {
        // Pieces at random cut points, plus overlapping retransmissions of random ranges.
        const points = [...new Set([0, stream.length, ...cuts.filter((c) => c < stream.length)])].sort((a, b) => a - b);
        const pieces = points.slice(1).map((end, i) => ({ start: points[i] ?? 0, end }));
        for (const e of extra) {
          const start = e.start % stream.length;
          pieces.push({ start, end: Math.min(stream.length, start + e.length) });
        }
        // Shuffle by the random keys.
        const keyed = pieces.map((p, i) => ({ p, key: order[i] ?? i }));
        keyed.sort((a, b) => a.key - b.key);
        return { stream, isn, pieces: keyed.map((k) => k.p) };
      });

    fc.assert(
      fc.property(scenario, ({ stream, isn, pieces }) => {
        const h = harness();
        handshake(h, isn);
        for (const { start, end } of pieces) {
          h.send('client', { seq: (isn + 1 + start) >>> 0, data: stream.subarray(start, end) });
        }
        const delivered = Buffer.concat(h.data(CLIENT).map((e) => e.payload));
        expect(Buffer.from(delivered).equals(Buffer.from(stream))).toBe(true);
        expect(h.warnings).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });
});

describe('seqDistance', () => {
  it('measures across the wrap-around as a small signed distance', () => {
    expect(seqDistance(2, 0xffff_fffe)).toBe(4);
    expect(seqDistance(0xffff_fffe, 2)).toBe(-4);
    expect(seqDistance(100, 100)).toBe(0);
  });
});
