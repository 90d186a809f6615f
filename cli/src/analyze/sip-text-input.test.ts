import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { streamInputFile } from './input-file.js';
import type { InputRecord } from './records.js';
import { MAX_SIP_TEXT_HELD_CHARS, SipTextSplitter } from './sip-text-input.js';
import { wholeSipTextRecords } from './test-support/whole-sip-text.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const FIXTURES = ['test/fixtures/recorded', 'test/fixtures/ghost', 'test/fixtures/legit'].flatMap((dir) =>
  readdirSync(join(ROOT, dir))
    .filter((f) => f.endsWith('.sip.txt'))
    .map((f) => join(ROOT, dir, f)),
);

function streamed(bytes: Uint8Array, chunk: number): { records: InputRecord[]; maxHeldChars: number } {
  const splitter = new SipTextSplitter();
  const records: InputRecord[] = [];
  for (let i = 0; i < bytes.length; i += chunk) records.push(...splitter.push(bytes.subarray(i, i + chunk)));
  records.push(...splitter.end());
  return { records, maxHeldChars: splitter.maxHeldChars };
}

function request(i: number, eol = '\r\n'): string {
  const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
  return [
    `INVITE sip:${100 + (i % 50)}@203.0.113.10 SIP/2.0`,
    `Via: SIP/2.0/UDP ${ip}:5060;branch=z9hG4bK-${i}`,
    'Max-Forwards: 70',
    `From: "${i}" <sip:${i}@${ip}>;tag=${i}`,
    `To: <sip:${100 + (i % 50)}@203.0.113.10>`,
    `Call-ID: text-${i}@${ip}`,
    'CSeq: 1 INVITE',
    `User-Agent: ${i % 3 === 0 ? 'friendly-scanner' : 'Cisco/CE'}`,
    'Content-Length: 0',
    '',
    '',
  ].join(eol);
}

/** `n` request blocks in the recorded fixtures' format, each followed by a response block. */
function blockText(n: number): string {
  const parts = ['# generated: request and response blocks\n\n'];
  for (let i = 0; i < n; i++) {
    const ip = `198.51.${(i >> 8) & 255}.${i & 255}`;
    parts.push(`===== request t=${(i / 1000).toFixed(6)} ${ip}:5060 -> 203.0.113.10:5060 =====\n${request(i)}\n\n`);
    parts.push(
      `===== response t=${(i / 1000).toFixed(6)} 203.0.113.10:5060 -> ${ip}:5060 =====\nSIP/2.0 100 Trying\r\n\r\n\n`,
    );
  }
  return parts.join('');
}

/** `n` bare messages one after another, LF line ends (the reader makes them CRLF). */
function bareText(n: number): string {
  return Array.from({ length: n }, (_, i) => request(i, '\n')).join('');
}

const kinds = (records: InputRecord[]) => {
  const count: Record<string, number> = {};
  for (const r of records) {
    const k = r.kind === 'not-judged' ? r.reason : r.kind;
    count[k] = (count[k] ?? 0) + 1;
  }
  return count;
};

describe('SIP text read as a stream', () => {
  it('reads every SIP text fixture, in chunks of any size, into the same records as the whole-text reader', () => {
    expect(FIXTURES.length).toBeGreaterThan(10);
    for (const file of FIXTURES) {
      const bytes = readFileSync(file);
      const whole = [...wholeSipTextRecords(bytes.toString('utf8'))];
      expect(whole.length, file).toBeGreaterThan(0);
      for (const chunk of [1, 7, 997, bytes.length])
        expect(streamed(bytes, chunk).records, `${file} / ${chunk}`).toEqual(whole);
    }
  });

  it('reads bare messages (LF or CRLF, CR and LF split across chunks, a last message without its blank line) as before', () => {
    const texts = [
      bareText(40),
      bareText(40).replace(/\n/g, '\r\n'),
      `# a comment first\n${bareText(3)}`,
      bareText(3).replace(/\n\n$/, ''),
      'OPTIONS sip:100@203.0.113.10 SIP/2.0\nVia: SIP/2.0/UDP 198.51.100.7:5060;branch=z9hG4bK-x\nCall-ID: lone\nCSeq: 1 OPTIONS\nFrom: <sip:a@198.51.100.7>;tag=1\nTo: <sip:100@203.0.113.10>',
    ];
    for (const text of texts) {
      const bytes = Buffer.from(text, 'utf8');
      const whole = [...wholeSipTextRecords(text)];
      for (const chunk of [1, 2, 3, 64, 4096]) expect(streamed(bytes, chunk).records).toEqual(whole);
    }
  });

  it('streams 40,000 blocks (16 MB) holding one block at a time, with the counts of the whole-text reader', () => {
    const small = blockText(300);
    const smallBytes = Buffer.from(small, 'utf8');
    expect(streamed(smallBytes, 65_536).records).toEqual([...wholeSipTextRecords(small)]);

    const n = 40_000;
    const big = Buffer.from(blockText(n), 'utf8');
    expect(big.length).toBeGreaterThan(16_000_000);
    const { records, maxHeldChars } = streamed(big, 65_536);
    expect(kinds(records)).toEqual({ attempt: n, response: n });
    // One block (about 400 characters) and one unfinished line: not the input.
    expect(maxHeldChars).toBeLessThan(1024);
  });

  it('streams 20,000 bare messages with the counts of the whole-text reader', () => {
    const text = bareText(20_000);
    const { records } = streamed(Buffer.from(text, 'utf8'), 65_536);
    const whole = [...wholeSipTextRecords(text)];
    expect(records.length).toBe(whole.length);
    expect(kinds(records)).toEqual(kinds(whole));
    expect(kinds(records)).toEqual({ attempt: 20_000 });
  });

  it('reads a large SIP text file through the CLI reader, gzip or not, in the order of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-siptext-'));
    const file = join(dir, 'calls.sip.txt');
    writeFileSync(file, blockText(5_000));
    const seen: string[] = [];
    for await (const r of streamInputFile(file)) if (r.kind === 'attempt') seen.push(r.attempt.callId!);
    expect(seen).toHaveLength(5_000);
    expect(seen[0]).toBe('text-0@198.51.0.0');
    expect(seen.at(-1)).toBe('text-4999@198.51.19.135');
  });

  it('stops at a block too long to be one SIP message, naming its offset', () => {
    const head = '===== request t=0.000000 198.51.100.7:5060 -> 203.0.113.10:5060 =====\n';
    const text = `${blockText(1)}${head}${`${'y'.repeat(99)}\n`.repeat(MAX_SIP_TEXT_HELD_CHARS / 100 + 1)}`;
    const offset = Buffer.byteLength(blockText(1));
    expect(() => streamed(Buffer.from(text, 'utf8'), 65_536)).toThrow(
      expect.objectContaining({ code: 'GG_INPUT_FORMAT', offset }),
    );
  });
});
