import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Verdict } from '@ghostguard/core';
import { CaptureStream, LinkType, readCapture } from '@ghostguard/core/capture';
import { sipAttempt } from '@ghostguard/core/testing';
import { describe, expect, it, vi } from 'vitest';
import {
  ethernetFrame,
  ipv4Packet,
  pcapFile,
  TcpFlag,
  tcpSegment,
} from '../../../core/src/capture/test-support/capture-builder.js';
import { main } from '../main.js';
import { bufferOutput } from '../output.js';
import { JsonLinesSplitter, jsonLinesRecords } from './jsonl-input.js';
import { ProgressLine } from './progress.js';
import { tallyTable } from './report.js';
import { SourceTally } from './source-tally.js';
import { renderTable } from './text-table.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const SVWAR = join(ROOT, 'test/fixtures/recorded/kamailio-svwar-register.pcap');
const CAPTURES = [
  SVWAR,
  join(ROOT, 'test/fixtures/recorded/baresip-legit-register-call.pcap'),
  join(ROOT, 'test/fixtures/recorded/kamailio-svmap-invite-ipv6.pcap'),
  join(ROOT, 'plugins/h323-gate/src/__fixtures__/ooh323-call-via-asterisk.pcap'),
  join(ROOT, 'stand-ins/src/drachtio-server/__fixtures__/drachtio-server-0.9.10/misc-unrouted-and-totag.pcapng'),
];

function tmp(name: string, content: string | Uint8Array): string {
  const p = join(mkdtempSync(join(tmpdir(), 'gg-analyze-')), name);
  writeFileSync(p, content);
  return p;
}

async function run(...argv: string[]) {
  const out = bufferOutput();
  const code = await main(argv, out);
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

describe('analyze streams its inputs', () => {
  it('reads a capture pushed in small chunks into the same events as the whole-file reader', () => {
    for (const file of CAPTURES) {
      const bytes = readFileSync(file);
      const whole = readCapture(bytes);
      const stream = new CaptureStream();
      const shape = (e: ReturnType<CaptureStream['push']>[number]) =>
        `${e.kind} ${e.src.ip}:${e.src.port}>${e.dst.ip}:${e.dst.port} ${'payload' in e ? Buffer.from(e.payload).toString('hex') : ''}`;
      // Payloads are views valid until the next push: read at once.
      const events: string[] = [];
      for (let i = 0; i < bytes.length; i += 997) events.push(...stream.push(bytes.subarray(i, i + 997)).map(shape));
      events.push(...stream.end().map(shape));
      expect(events, file).toEqual(whole.events.map(shape));
      expect(stream.stats.packets).toBe(whole.stats.packets);
    }
  });

  it('names the file offset of an absurd record length found mid-stream', () => {
    const bytes = Buffer.from(readFileSync(SVWAR));
    const second = 24 + 16 + bytes.readUInt32LE(24 + 8);
    bytes.writeUInt32LE(0x7fff_fff0, second + 8);
    const stream = new CaptureStream();
    expect(() => {
      for (let i = 0; i < bytes.length; i += 100) stream.push(bytes.subarray(i, i + 100));
    }).toThrow(new RegExp(`at file offset ${second}`));
  });

  it('reads JSON lines split anywhere, multi-byte characters included', () => {
    const line = (i: number) =>
      JSON.stringify(
        sipAttempt({ source: { ip: `198.51.100.${i}`, port: 5060, transport: 'udp' }, userAgent: 'Grüße ✓' }),
      );
    const text = `${[1, 2, 3].map(line).join('\n')}\n`;
    const bytes = Buffer.from(text, 'utf8');
    const splitter = new JsonLinesSplitter();
    const got = [];
    for (let i = 0; i < bytes.length; i += 5) got.push(...splitter.push(bytes.subarray(i, i + 5)));
    got.push(...splitter.end());
    expect(got).toEqual([...jsonLinesRecords(text)]);
    expect(got.map((r) => r.kind === 'attempt' && r.attempt.userAgent)).toEqual(['Grüße ✓', 'Grüße ✓', 'Grüße ✓']);
  });

  it('reads gzip input transparently, by its magic bytes whatever the name', async () => {
    const plain = await run('analyze', SVWAR);
    const gz = await run('analyze', tmp('capture.pcap.gz', gzipSync(readFileSync(SVWAR))));
    const renamed = await run('analyze', tmp('capture.bin', gzipSync(readFileSync(SVWAR))));
    expect(gz.code).toBe(0);
    expect(gz.stdout).toBe(plain.stdout);
    expect(renamed.stdout).toBe(plain.stdout);
  });

  it('exits 2 naming the file and offset for input of no known format, gzipped or not', async () => {
    const random = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
    const file = tmp('random.bin', random);
    const r = await run('analyze', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file} at offset 0: not a pcap, pcapng, JSON lines or SIP text input`);
    const gz = tmp('random.pcap.gz', gzipSync(random));
    const g = await run('analyze', gz);
    expect(g.code).toBe(2);
    expect(g.stderr).toContain(`${gz} at offset 0`);
    expect(g.stderr).toContain('(after gunzip)');
    const broken = tmp('broken.gz', gzipSync(readFileSync(SVWAR)).subarray(0, 200));
    const b = await run('analyze', broken);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(broken);
  });
});

describe('the per-source table at scale', () => {
  const verdict = (intended: Verdict['intended']): Verdict =>
    ({ action: intended, intended, score: 0, reasons: [], monitor: false }) as unknown as Verdict;

  it('shows the top N sources and sums the rest in one line', () => {
    const tally = new SourceTally();
    const counts = [5, 1, 3, 2, 4];
    counts.forEach((n, i) => {
      for (let k = 0; k < n; k++) {
        tally.add({
          file: 'f',
          attempt: sipAttempt({ source: { ip: `198.51.100.${i + 1}`, port: 5060, transport: 'udp' } }),
          verdict: verdict(k === 0 ? 'drop' : 'allow'),
        });
      }
    });
    const lines = tallyTable(tally, 2).split('\n');
    expect(lines[2]).toMatch(/^198\.51\.100\.1\s+5\s+4\s+0\s+1\s+0\s+INVITE/);
    expect(lines[3]).toMatch(/^198\.51\.100\.5\s+4\s+3\s+0\s+1\s+0/);
    expect(lines[4]).toMatch(/^\(3 other sources\)\s+6\s+3\s+0\s+3\s+0$/);
    expect(lines).toHaveLength(5);
  });

  it('renders a table of 300,000 rows (it overflowed the stack)', () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, i]);
    expect(renderTable(['source', 'n'], rows).split('\n')).toHaveLength(300_002);
  });

  it('judges 30,000 sources from JSON lines: a table of the top 50 and one line for the rest (bench analyzeScale runs 300,000)', async () => {
    const n = 30_000;
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      lines.push(
        JSON.stringify(
          sipAttempt({ source: { ip: `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, port: 5060, transport: 'udp' } }),
        ),
      );
    }
    const r = await run('analyze', tmp('many.jsonl', `${lines.join('\n')}\n`));
    expect(r.code).toBe(0);
    const out = r.stdout.split('\n');
    expect(out[2 + 50]).toMatch(/^\(29,950 other sources\)\s+29950\s/);
    expect(r.stdout).toContain(`attempts judged: ${n}`);
  });
});

describe('progress line', () => {
  it('is written once a second for a large input, and cleared at the end; never for a small one', () => {
    vi.useFakeTimers();
    try {
      const writes: string[] = [];
      const large = new ProgressLine(
        (t) => writes.push(t),
        'big.pcap',
        { read: 50 << 20, size: 100 << 20 },
        () => 7,
      );
      large.start();
      vi.advanceTimersByTime(2_100);
      large.stop();
      expect(writes).toHaveLength(3);
      expect(writes[0]).toContain('big.pcap: 50 of 100 MB (50%), 7 attempts judged');
      expect(writes[2]).toBe('\r\u001b[K');
      const quiet: string[] = [];
      const small = new ProgressLine(
        (t) => quiet.push(t),
        'small.pcap',
        { read: 1, size: 1000 },
        () => 1,
      );
      small.start();
      vi.advanceTimersByTime(5_000);
      small.stop();
      expect(quiet).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('source tally', () => {
  it('counts up to six rules per source exactly, the rest under other, and methods per source', () => {
    const tally = new SourceTally();
    const source = { ip: '198.51.100.9', port: 5060, transport: 'udp' as const };
    const rules = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8'];
    for (const [k, rule] of rules.entries()) {
      tally.add({
        file: 'f',
        attempt: sipAttempt({ source, method: k % 2 ? 'OPTIONS' : 'INVITE' }),
        verdict: {
          action: 'drop',
          intended: 'drop',
          score: 10,
          reasons: [
            { rule: 'r1', weight: 5, detail: '' },
            { rule, weight: 5, detail: '' },
          ],
          monitor: false,
        } as unknown as Verdict,
      });
    }
    const [row] = tally.top(1).rows;
    expect(row!.methods).toEqual(['INVITE', 'OPTIONS']);
    expect(row!.topRules[0]).toEqual({ rule: 'r1', count: 9 });
    expect(row!.topRules.map((r) => r.rule).sort()).toEqual(['other', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(row!.topRules.find((r) => r.rule === 'other')!.count).toBe(3);
  });
});

describe('streamed TCP reassembly', () => {
  it('delivers a segment held behind a gap intact although the reader’s window moved on', () => {
    const sip = Buffer.from(
      'OPTIONS sip:100@203.0.113.10 SIP/2.0\r\nVia: SIP/2.0/TCP 198.51.100.7:40000;branch=z9hG4bK-1\r\nFrom: <sip:a@198.51.100.7>;tag=1\r\nTo: <sip:100@203.0.113.10>\r\nCall-ID: gap-1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
    );
    const seg = (seq: number, flags: number, payload?: Uint8Array) =>
      ethernetFrame(
        ipv4Packet({
          src: '198.51.100.7',
          dst: '203.0.113.10',
          protocol: 6,
          payload: tcpSegment({ srcPort: 40000, dstPort: 5060, seq, flags, ...(payload ? { payload } : {}) }),
        }),
      );
    const cut = 60;
    // The second half arrives first (held behind the gap), then the first half.
    const frames = [
      seg(99, TcpFlag.SYN),
      seg(100 + cut, TcpFlag.ACK | TcpFlag.PSH, sip.subarray(cut)),
      seg(100, TcpFlag.ACK | TcpFlag.PSH, sip.subarray(0, cut)),
    ];
    const bytes = pcapFile({
      littleEndian: true,
      linkType: LinkType.ETHERNET,
      records: frames.map((data, i) => ({ seconds: 1_700_000_000 + i, fraction: 0, data })),
    });
    const stream = new CaptureStream();
    let text = '';
    // One byte at a time: every record's bytes are in the window only while its push runs.
    for (let i = 0; i < bytes.length; i++) {
      for (const e of stream.push(bytes.subarray(i, i + 1))) if (e.kind === 'tcp') text += Buffer.from(e.payload);
    }
    for (const e of stream.end()) if (e.kind === 'tcp') text += Buffer.from(e.payload);
    expect(text).toBe(sip.toString());
  });
});
