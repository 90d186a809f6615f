import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { CaptureEvent, CaptureResult, TcpDataEvent, UdpDatagramEvent } from './capture-types.js';
import { readCapture } from './read-capture.js';
import { allFixtureCaptures, fixturePath, parseFollowText, readFixture } from './test-support/shared-fixtures.js';
import { type FollowedChunk, type FollowedStream, tsharkFields, tsharkFollowTcp } from './test-support/tshark.js';

const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('latin1');
const udpEvents = (result: CaptureResult) => result.events.filter((e): e is UdpDatagramEvent => e.kind === 'udp');
const tcpEvents = (result: CaptureResult) => result.events.filter((e): e is TcpDataEvent => e.kind === 'tcp');

/** My chunks of one connection, labelled with tshark's node numbering. */
function chunksOfConnection(events: CaptureEvent[], connection: number, followed: FollowedStream): FollowedChunk[] {
  return events
    .filter((e): e is TcpDataEvent => e.kind === 'tcp' && e.connection === connection)
    .map((e) => {
      const src = `${e.src.ip}:${e.src.port}`;
      expect([followed.node0, followed.node1]).toContain(src);
      return { node: src === followed.node0 ? 0 : 1, bytes: e.payload };
    });
}

/** Compares as text so a mismatch shows readable protocol lines. */
function expectSameChunks(actual: FollowedChunk[], expected: FollowedChunk[]): void {
  const show = (chunks: FollowedChunk[]) => chunks.map((c) => `${c.node}|${text(c.bytes)}`);
  expect(show(actual)).toEqual(show(expected));
}

const captures = allFixtureCaptures();

describe('readCapture on the shared recorded captures', () => {
  it('finds the recorded captures: all pcapng, every packet on Ethernet (Linux loopback)', () => {
    expect(captures.length).toBeGreaterThanOrEqual(18);
    for (const capture of captures) {
      const result = readCapture(readFixture(capture));
      expect(result.format, capture).toBe('pcapng');
      expect(result.stats.packetsByLinkType, capture).toEqual({ 1: result.stats.packets });
    }
  });

  describe.each(captures.filter((c) => c.startsWith('sipvicious-0.3.3/')))('%s', (capture) => {
    const summary = readFileSync(fixturePath(capture.replace(/\.pcap$/, '.sip.txt')), 'latin1');
    const result = readCapture(readFixture(capture));
    const udp = udpEvents(result);
    const requests = udp.filter((e) => !text(e.payload).startsWith('SIP/2.0 '));
    const responses = udp.filter((e) => text(e.payload).startsWith('SIP/2.0 '));

    it('yields as many SIP requests and responses as its .sip.txt counts, and nothing else', () => {
      const counts = /: (\d+) requests, (\d+) responses/.exec(summary);
      expect(counts).not.toBeNull();
      expect(requests.length).toBe(Number(counts?.[1]));
      expect(responses.length).toBe(Number(counts?.[2]));
      expect(result.events.length).toBe(udp.length);
      expect(Object.values(result.stats.skipped).every((n) => n === 0)).toBe(true);
      expect(result.warnings).toEqual([]);
    });

    const methodsLine = /^# methods: (.*)$/m.exec(summary)?.[1];
    const responsesLine = /^# responses: (.*)$/m.exec(summary)?.[1];

    it('tallies request methods and response status lines as its .sip.txt does (single-message files quote all)', () => {
      if (methodsLine === undefined) {
        // Summaries of one-request captures carry no tallies: their messages are all quoted below.
        expect(summary).toMatch(/: 1 requests, 1 responses/);
        return;
      }
      const tally = (line: string | undefined) =>
        Object.fromEntries([...(line ?? '').matchAll(/'([^']+)': (\d+)/g)].map((m) => [m[1], Number(m[2])]));
      const count = (firstWords: string[]) => {
        const out: Record<string, number> = {};
        for (const w of firstWords) out[w] = (out[w] ?? 0) + 1;
        return out;
      };
      expect(count(requests.map((e) => text(e.payload).split(' ')[0] ?? ''))).toEqual(tally(methodsLine));
      expect(count(responses.map((e) => text(e.payload).split('\r\n')[0] ?? ''))).toEqual(tally(responsesLine));
    });

    it('gives the quoted first messages byte for byte, with their endpoints and relative times', () => {
      const blocks = [
        ...summary.matchAll(
          /^===== (request|response) t=([\d.]+) (\S+):(\d+) -> (\S+):(\d+) =====\n([\s\S]*?)(?:\n\n(?=={5} )|\n(?![\s\S]))/gm,
        ),
      ];
      expect(blocks.length).toBeGreaterThan(0);
      const start = udp[0]?.time ?? 0;
      const seen = { request: 0, response: 0 };
      for (const [, kind, t, srcIp, srcPort, dstIp, dstPort, body] of blocks) {
        const list = kind === 'request' ? requests : responses;
        const event = list[seen[kind as 'request' | 'response']++];
        expect(event).toBeDefined();
        expect(text(event?.payload ?? new Uint8Array())).toBe(body);
        expect(event?.src).toEqual({ ip: srcIp, port: Number(srcPort) });
        expect(event?.dst).toEqual({ ip: dstIp, port: Number(dstPort) });
        // The summary prints times cut (not rounded) to microseconds.
        expect(Math.abs(((event?.time ?? 0) - start) / 1000 - Number(t))).toBeLessThan(1e-6);
      }
    });
  });

  it('reassembles the AMI session exactly as its follow.txt shows, the Ping reply in its three segments', () => {
    const result = readCapture(readFixture('asterisk-20.20.1/ami-login-and-actions.pcap'));
    const followed = parseFollowText(readFileSync(fixturePath('asterisk-20.20.1/ami-login-and-actions.follow.txt')));
    expect([...followed.keys()]).toEqual([0, 1]);
    for (const [stream, expected] of followed) {
      expectSameChunks(chunksOfConnection(result.events, stream, expected), expected.chunks);
    }
    const pingReply = tcpEvents(result)
      .filter((e) => e.src.port === 5038)
      .map((e) => text(e.payload))
      .slice(-4, -1);
    expect(pingReply).toEqual(['Response: Success\r\n', 'ActionID: 8\r\n', expect.stringMatching(/^Ping: Pong\r\n/)]);
    // The failed login ends with the server closing (FIN), both connections end in order.
    const ends = result.events.filter((e) => e.kind === 'tcp-end');
    expect(ends.map((e) => [e.connection, e.src.port === 5038 ? 'server' : 'client', e.reason])).toEqual(
      expect.arrayContaining([
        [0, 'server', 'fin'],
        [0, 'client', 'fin'],
        [1, 'server', 'fin'],
        [1, 'client', 'fin'],
      ]),
    );
  });

  it('reassembles the drachtio admin session exactly as its follow.txt shows', () => {
    const result = readCapture(readFixture('drachtio-server-1.0.0/wire-session.pcap'));
    const followed = parseFollowText(readFileSync(fixturePath('drachtio-server-1.0.0/wire-session.follow.txt')));
    const expected = followed.get(0);
    expect(expected?.chunks.length).toBeGreaterThan(10);
    if (expected) expectSameChunks(chunksOfConnection(result.events, 0, expected), expected.chunks);
  });

  it('picks up the AMI connection of the H.323 capture mid-stream (no SYN) as ami-events-h323-call.follow.txt', () => {
    const result = readCapture(readFixture('h323/ooh323-call-via-asterisk.pcap'));
    const followed = parseFollowText(readFileSync(fixturePath('asterisk-20.20.1/ami-events-h323-call.follow.txt')));
    const expected = followed.get(1);
    expect(expected?.chunks.length).toBeGreaterThan(3);
    if (expected) expectSameChunks(chunksOfConnection(result.events, 1, expected), expected.chunks);
    // The H.225 call signalling on 1720 starts with a TPKT header (version 3).
    const setup = tcpEvents(result).find((e) => e.dst.port === 1720);
    expect(setup?.payload[0]).toBe(3);
  });

  describe('agrees with tshark', () => {
    // One tshark run per capture serves both checks (tshark start-up dominates the test time).
    const packetFields = new Map<string, string[][]>();
    const tsharkPackets = (capture: string) => {
      let rows = packetFields.get(capture);
      if (!rows) {
        rows = tsharkFields(fixturePath(capture), [
          'frame.time_epoch',
          'ip.src',
          'udp.srcport',
          'ip.dst',
          'udp.dstport',
          'udp.payload',
          'tcp.stream',
        ]);
        packetFields.set(capture, rows);
      }
      return rows;
    };

    it.each(captures)('%s: every UDP datagram (time, addresses, ports, payload bytes)', (capture) => {
      const result = readCapture(readFixture(capture));
      const expected = tsharkPackets(capture).filter((row) => row[2] !== '');
      const actual = udpEvents(result);
      expect(actual.length).toBe(expected.length);
      actual.forEach((event, i) => {
        const [time, srcIp, srcPort, dstIp, dstPort, payloadHex] = expected[i] ?? [];
        expect([event.src.ip, event.src.port, event.dst.ip, event.dst.port]).toEqual([
          srcIp,
          Number(srcPort),
          dstIp,
          Number(dstPort),
        ]);
        expect(Buffer.from(event.payload).toString('hex')).toBe(payloadHex);
        expect(Math.abs(event.time - Number(time) * 1000)).toBeLessThan(0.001);
      });
    });

    const tcpCaptures = captures.filter((c) => !c.startsWith('sipvicious-0.3.3/'));
    it.each(tcpCaptures)('%s: every TCP connection equals tshark follow, chunk by chunk', (capture) => {
      const result = readCapture(readFixture(capture));
      const streams = [
        ...new Set(
          tsharkPackets(capture)
            .filter((row) => row[6] !== '')
            .map((row) => Number(row[6])),
        ),
      ];
      expect(streams.length).toBeGreaterThan(0);
      const followed = tsharkFollowTcp(fixturePath(capture), streams);
      expect([...followed.keys()].sort((a, b) => a - b)).toEqual(streams.sort((a, b) => a - b));
      for (const [stream, expected] of followed) {
        expectSameChunks(chunksOfConnection(result.events, stream, expected), expected.chunks);
      }
      expect(result.warnings).toEqual([]);
    });
  });
});
