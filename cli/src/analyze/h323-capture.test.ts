import { readFileSync } from 'node:fs';
import { type CallAttempt, createGuard, type Verdict } from '@ghostguard/core';
import { LinkType } from '@ghostguard/core/capture';
import { encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import { attachH323Gate } from '@ghostguard/h323-gate';
import { dial, startStandInRoom, waitUntil } from '@ghostguard/h323-gate/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  concatBytes,
  ethernetFrame,
  ipv4Packet,
  pcapFile,
  TcpFlag,
  tcpSegment,
  udpDatagram,
} from '../../../core/src/capture/test-support/capture-builder.js';
import { tsharkFields, withTempFile } from '../../../core/src/capture/test-support/tshark.js';
import { captureRecords } from './capture-input.js';
import type { InputRecord } from './records.js';

/** The recorded chan_ooh323 call: the shared fixture and the copies the repo keeps of it. */
const RECORDINGS = [
  '/work/shared/fixtures/h323/ooh323-call-via-asterisk.pcap',
  new URL('../../../plugins/h323-gate/src/__fixtures__/ooh323-call-via-asterisk.pcap', import.meta.url).pathname,
  new URL('../../../demo/recordings/h323/ooh323-call-via-asterisk.pcap', import.meta.url).pathname,
];

const CONFIG = { log: { level: 'silent' as const }, dataDir: null };
const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function tpkt(payload: Uint8Array): Uint8Array {
  const n = payload.length + 4;
  return concatBytes(Uint8Array.from([3, 0, n >> 8, n & 0xff]), payload);
}

/** SETUPs a live gate sees: the scanners' shapes, one with a clipped UUIE, one whose Q.931 header does not decode. */
function setupFrames(): Uint8Array[] {
  const shapes = [
    encodeSetup(setupShapeSpec({ shape: 'metasploit-h323-version', seed: 1 })),
    encodeSetup(setupShapeSpec({ shape: 'toll-fraud', dialledDigits: '900441224000000' })),
    encodeSetup(setupShapeSpec({ shape: 'ip-only-destination' })),
    encodeSetup(setupShapeSpec({ shape: 'cisco-openh323' })),
  ];
  const clipped = tpkt(shapes[0]!.subarray(4, shapes[0]!.length - 12));
  // The gate's own test case of a SETUP whose Q.931 header does not decode (plugins/h323-gate/src/attempt.test.ts).
  const unreadable = tpkt(Uint8Array.from([0x08, 0x03, 0x00, 0x00, 0x2b, 0x05, 0x00]));
  return [...shapes, clipped, unreadable];
}

/** A capture of `frames`, each a connection of its own from 127.0.0.1 to 1720, answered by a ReleaseComplete-free FIN. */
function h323Capture(frames: Uint8Array[]): Uint8Array {
  const records: Uint8Array[] = [];
  const tcp = (sport: number, dport: number, seq: number, flags: number, payload?: Uint8Array, src = '127.0.0.1') =>
    ethernetFrame(
      ipv4Packet({
        src,
        dst: '127.0.0.1',
        protocol: 6,
        payload: tcpSegment({ srcPort: sport, dstPort: dport, seq, flags, ...(payload ? { payload } : {}) }),
      }),
    );
  frames.forEach((f, i) => {
    const port = 41000 + i;
    records.push(tcp(port, 1720, 999, TcpFlag.SYN));
    // Split in two segments: the reader reassembles TPKT across them.
    const cut = Math.min(7, f.length);
    records.push(tcp(port, 1720, 1000, TcpFlag.ACK | TcpFlag.PSH, f.subarray(0, cut)));
    records.push(tcp(port, 1720, 1000 + cut, TcpFlag.ACK | TcpFlag.PSH, f.subarray(cut)));
    records.push(tcp(port, 1720, 1000 + f.length, TcpFlag.ACK | TcpFlag.FIN));
  });
  // A RAS request on UDP 1719 (a gatekeeper discovery sweep): recognised, not judged.
  records.push(
    ethernetFrame(
      ipv4Packet({
        src: '127.0.0.1',
        dst: '127.0.0.1',
        protocol: 17,
        payload: udpDatagram(1719, 1719, Uint8Array.from([0x00, 0x00, 0x01, 0x06])),
      }),
    ),
  );
  return pcapFile({
    littleEndian: true,
    linkType: LinkType.ETHERNET,
    records: records.map((data, i) => ({ seconds: 1_700_000_000 + i, fraction: 0, data })),
  });
}

interface Judged {
  source: string;
  action: string;
  score: number;
  reasons: string[];
}

function summary(attempt: CallAttempt, verdict: Verdict): Judged {
  return {
    source: attempt.source.ip,
    action: verdict.intended,
    score: verdict.score,
    reasons: verdict.reasons.map((r) => `${r.rule}:${r.weight}`).sort(),
  };
}

/** Each SETUP record of a capture judged by a fresh guard, as analyze judges it. */
function analyzed(records: InputRecord[]): Judged[] {
  const out: Judged[] = [];
  for (const r of records) {
    if (r.kind === 'not-judged') continue;
    const guard = createGuard(CONFIG);
    try {
      const v = r.kind === 'attempt' ? guard.judge(r.attempt) : guard.judgeMalformed(r.malformed);
      out.push(summary(r.attempt, v));
    } finally {
      guard.close();
    }
  }
  return out;
}

/** The verdict a live gate (fresh guard) gives the first frame of each caller's stream, sent from `from`. */
async function judgedLive(streams: Array<{ bytes: Uint8Array; from: string }>): Promise<Judged[]> {
  const room = await startStandInRoom();
  cleanups.push(() => room.close());
  const out: Judged[] = [];
  for (const { bytes, from } of streams) {
    const guard = createGuard(CONFIG);
    const seen: Judged[] = [];
    guard.on('verdict', (a: CallAttempt, v: Verdict) => seen.push(summary(a, v)));
    const gate = attachH323Gate(
      guard,
      { host: '127.0.0.1', port: 0 },
      {
        upstreams: { default: { host: room.host, port: room.port } },
      },
    );
    try {
      await gate.ready;
      const addr = gate.address()!;
      const caller = await dial({ host: addr.address, port: addr.port, send: bytes, localAddress: from });
      await waitUntil(() => seen.length > 0, 2_000, 'the gate judged the SETUP');
      caller.socket.destroy();
      out.push(seen[0]!);
    } finally {
      await gate.close();
      guard.close();
    }
  }
  return out;
}

describe('analyze reads H.323 call signalling from captures', () => {
  it('judges the SETUP of the recorded chan_ooh323 call, and counts the rest of the call as not judged', () => {
    for (const file of RECORDINGS) {
      const records = [...captureRecords(readFileSync(file))];
      const setups = records.filter((r) => r.kind === 'attempt');
      // tshark's Q.931 dissector finds the same SETUPs, from the same sources.
      const tshark = tsharkFields(file, ['ip.src', 'tcp.srcport'], 'q931.message_type == 0x05');
      expect(
        setups.map((r) => (r.kind === 'attempt' ? `${r.attempt.source.ip}:${r.attempt.source.port}` : '')),
      ).toEqual(tshark.map(([ip, port]) => `${ip}:${port}`));
      const a = setups[0]!;
      if (a.kind !== 'attempt') throw new Error('expected an attempt');
      expect(a.attempt).toMatchObject({ protocol: 'h323', method: 'SETUP', target: { user: '5551234' } });
      // Every other Q.931 message tshark sees is counted as h323-other.
      const others = tsharkFields(file, ['q931.message_type'], 'q931 && q931.message_type != 0x05');
      expect(records.filter((r) => r.kind === 'not-judged' && r.reason === 'h323-other')).toHaveLength(others.length);
    }
  });

  it('finds every SETUP tshark finds in a generated capture, and counts RAS on 1719', () => {
    const frames = setupFrames();
    const bytes = h323Capture(frames);
    const records = [...captureRecords(bytes)];
    const judged = records.filter((r) => r.kind !== 'not-judged');
    expect(judged).toHaveLength(frames.length);
    expect(judged.map((r) => r.kind)).toEqual(['attempt', 'attempt', 'attempt', 'attempt', 'attempt', 'undecodable']);
    expect(records.filter((r) => r.kind === 'not-judged').map((r) => r.kind === 'not-judged' && r.reason)).toEqual([
      'h323-ras',
    ]);
    const tshark = withTempFile('h323.pcap', bytes, (path) =>
      tsharkFields(path, ['tcp.srcport'], 'q931.message_type == 0x05'),
    );
    // tshark calls the frame whose Q.931 header is broken a SETUP too (message type 0x05): six.
    expect(tshark.map(([port]) => Number(port))).toEqual(judged.map((r) => r.attempt.source.port));
  });

  it('gives every SETUP of the recordings and the generated capture the verdict the live gate gives it', async () => {
    const frames = setupFrames();
    const generated = analyzed([...captureRecords(h323Capture(frames))]);
    const live = await judgedLive(frames.map((bytes) => ({ bytes, from: '127.0.0.1' })));
    expect(generated).toEqual(live);
    expect(new Set(generated.map((j) => j.action)).size).toBeGreaterThan(1);

    const recorded = readFileSync(RECORDINGS[0]!);
    const records = [...captureRecords(recorded)];
    // The caller's whole stream as recorded, from its own address (127.0.0.2).
    const { recordedOoh323Call } = await import('../../../plugins/h323-gate/src/test-support/ooh323-call.js');
    const call = recordedOoh323Call();
    expect(analyzed(records)).toEqual(await judgedLive([{ bytes: call.callerStream, from: '127.0.0.2' }]));
  });
});
