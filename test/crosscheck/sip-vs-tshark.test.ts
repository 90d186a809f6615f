import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readCapture } from '@ghostguard/core/capture';
import { parseSipMessage, sipRequestToAttempt } from '@ghostguard/core/sip';
import { describe, expect, it } from 'vitest';
import { tsharkFields } from '../../core/src/capture/test-support/tshark.js';

/**
 * Cross-check of the whole read path (capture reader + SIP parser + SIP→CallAttempt) against a decoder
 * nobody here wrote: Debian's tshark, field by field, for every SIP request over UDP in the recordings.
 */
const ROOT = resolve(import.meta.dirname, '../..');
const DIRS = ['test/fixtures/recorded', 'test/fixtures/shared-recordings'];
const FILES = DIRS.flatMap((d) =>
  readdirSync(join(ROOT, d))
    .filter((f) => f.endsWith('.pcap'))
    .map((f) => join(d, f)),
);

/** The recordings use SIP ports tshark does not dissect as SIP by default (5070, 5080, 5090, 5091). */
const DECODE_AS_SIP = [5060, 5061, 5070, 5080, 5090, 5091].flatMap((p) => ['-d', `udp.port==${p},sip`]);

const FIELDS = [
  'sip.Method',
  'sip.r-uri',
  'sip.r-uri.user',
  'sip.from.user',
  'sip.from.tag',
  'sip.Via.branch',
  'sip.User-Agent',
  'sip.Call-ID',
  'sip.CSeq.seq',
  'sip.Max-Forwards',
  'sip.auth.username',
];

function ours(file: string): string[][] {
  const rows: string[][] = [];
  for (const ev of readCapture(readFileSync(join(ROOT, file))).events) {
    if (ev.kind !== 'udp') continue;
    let msg: ReturnType<typeof parseSipMessage>;
    try {
      msg = parseSipMessage(ev.payload);
    } catch {
      continue;
    }
    if (msg.kind !== 'request') continue;
    const a = sipRequestToAttempt(msg, {
      source: { ip: ev.src.ip, port: ev.src.port, transport: 'udp' },
      time: ev.time,
    });
    rows.push([
      a.method,
      a.sip.requestUri,
      a.target.user ?? '',
      a.caller.user ?? '',
      a.sip.fromTag ?? '',
      a.sip.viaBranch ?? '',
      a.userAgent ?? '',
      a.callId ?? '',
      a.sip.cseq === undefined ? '' : String(a.sip.cseq.seq),
      a.sip.maxForwards === undefined ? '' : String(a.sip.maxForwards),
      a.sip.authUser ?? '',
    ]);
  }
  return rows;
}

describe('SIP requests decoded here agree with tshark', () => {
  for (const file of FILES) {
    it(file, () => {
      // tshark reports every Via branch of a request (the attempt keeps the topmost one) and keeps the
      // quotes of the digest username (the attempt holds its value).
      const reference = tsharkFields(join(ROOT, file), FIELDS, 'udp && sip.Request-Line', DECODE_AS_SIP).map((row) =>
        row.map((v, i) => {
          if (FIELDS[i] === 'sip.Via.branch') return v.split(',')[0] ?? '';
          if (FIELDS[i] === 'sip.auth.username') return v.replace(/^"(.*)"$/, '$1');
          return v;
        }),
      );
      const mine = ours(file);
      expect(mine.length).toBe(reference.length);
      expect(mine).toEqual(reference);
    });
  }

  it('covers a meaningful number of requests', () => {
    expect(FILES.reduce((n, f) => n + ours(f).length, 0)).toBeGreaterThan(1200);
  });
});
