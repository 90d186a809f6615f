/**
 * Issue 13, "hostile input never buys a pass": padding that a real SIP stack (sofia-sip, PJSIP) still accepts must
 * never lower the verdict on a scanner request. For every SIPVicious request in the fixtures, random paddings are
 * applied and the result is parsed and judged the way the live guard does it (the core's parser, falling back to
 * judgeMalformed with the drachtio plugin's MalformedRequest), each by a fresh default guard: never `allow`,
 * never under the reject tier. A meta-test runs the same property against a guard without the
 * `input.undecodable` signal and requires fast-check to find a counterexample, so the property can fail.
 *
 * GG_PADDING_RUNS=20000 runs the property that many times and prints the counts and the cost of parse + judge
 * per padded INVITE.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  type ConfigInput,
  createGuard,
  createLogger,
  type Endpoint,
  type Guard,
  isGhostguardError,
  type MalformedRequest,
  type Verdict,
} from '@ghostguard/core';
import { readCapture } from '@ghostguard/core/capture';
import {
  parseSipMessage,
  parseSipRequestAttempt,
  parseVia,
  type SipAttemptContext,
  SipStreamFramer,
} from '@ghostguard/core/sip';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const REJECT_TIER = 50;
const RUNS = Number(process.env.GG_PADDING_RUNS ?? 300);
const REPORT = process.env.GG_PADDING_RUNS !== undefined;
const SILENT = createLogger({ log: { level: 'silent' } });

// ---------------------------------------------------------------------------------------------------------------
// The scanner requests of the fixtures, as the bytes on the wire

interface ScannerRequest {
  file: string;
  /** The message, one char per byte (latin1). */
  raw: string;
  method: string;
  source: Endpoint;
  time: number;
}

const BLOCK_HEADING = /^===== (request|response) t=(\d+(?:\.\d+)?) (\S+) -> (\S+) =====\r?$/gm;

function endpoint(text: string, transport: Endpoint['transport']): Endpoint {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`bad endpoint ${text}`);
  return { ip: m[1]!, port: Number(m[2]), transport };
}

/** Requests of a .sip.txt recording: the message text of each `request` block, cut at its Content-Length. */
function sipTextRequests(file: string): Array<Omit<ScannerRequest, 'method'>> {
  const text = readFileSync(join(ROOT, file), 'latin1');
  const headings = [...text.matchAll(BLOCK_HEADING)];
  return headings.flatMap((h, i) => {
    if (h[1] !== 'request') return [];
    const start = h.index + h[0].length + 1;
    const block = text.slice(start, i + 1 < headings.length ? headings[i + 1]!.index : text.length);
    const headEnd = block.indexOf('\r\n\r\n');
    const length = Number(/^content-length:\s*(\d+)/im.exec(block.slice(0, headEnd))?.[1] ?? 0);
    const raw = block.slice(0, headEnd + 4 + length);
    return [{ file, raw, source: endpoint(h[3]!, 'udp'), time: Number(h[2]) * 1000 }];
  });
}

/** Requests of a pcap: UDP datagrams and the messages of each TCP direction (framed by Content-Length). */
function captureRequests(file: string): Array<Omit<ScannerRequest, 'method'>> {
  const out: Array<Omit<ScannerRequest, 'method'>> = [];
  const framers = new Map<string, SipStreamFramer | null>();
  for (const ev of readCapture(readFileSync(join(ROOT, file))).events) {
    if (ev.kind === 'tcp-end') continue;
    const source: Endpoint = { ip: ev.src.ip, port: ev.src.port, transport: ev.kind === 'udp' ? 'udp' : 'tcp' };
    let messages: Uint8Array[] = [ev.payload];
    if (ev.kind === 'tcp') {
      const key = `${ev.connection}|${ev.src.ip}|${ev.src.port}`;
      let framer = framers.get(key);
      if (framer === null) continue;
      if (framer === undefined) {
        framer = new SipStreamFramer();
        framers.set(key, framer);
      }
      try {
        messages = framer.push(ev.payload);
      } catch {
        framers.set(key, null); // not SIP (ESL, AMI)
        continue;
      }
    }
    for (const m of messages) out.push({ file, raw: Buffer.from(m).toString('latin1'), source, time: ev.time });
  }
  return out;
}

/** Out-of-dialog requests, once each (no responses, ACK/CANCEL, To-tagged requests or retransmissions). */
function scannerRequests(): ScannerRequest[] {
  const files = [
    ...readdirSync(join(ROOT, 'test/fixtures/recorded'))
      .filter((f) => f.endsWith('.sip.txt') && !f.includes('legit'))
      .map((f) => `test/fixtures/recorded/${f}`),
    ...readdirSync(join(ROOT, 'test/fixtures/shared-recordings'))
      .filter((f) => f.endsWith('.pcap') && !f.includes('originate'))
      .map((f) => `test/fixtures/shared-recordings/${f}`),
  ];
  const seen = new Set<string>();
  const out: ScannerRequest[] = [];
  for (const file of files) {
    for (const r of file.endsWith('.pcap') ? captureRequests(file) : sipTextRequests(file)) {
      let msg: ReturnType<typeof parseSipMessage>;
      try {
        msg = parseSipMessage(Buffer.from(r.raw, 'latin1'));
      } catch {
        continue;
      }
      if (msg.kind !== 'request' || msg.method === 'ACK' || msg.method === 'CANCEL') continue;
      if (/;\s*tag=/i.test(msg.headers.get('to') ?? '')) continue;
      const key = `${r.source.ip}|${r.source.port}|${msg.headers.get('call-id')}|${msg.headers.get('cseq')}|${parseVia(msg.headers.get('via') ?? '')?.branch}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ ...r, method: msg.method });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Paddings a real SIP stack still accepts

interface Field {
  name: string;
  /** LWS between the name and the colon, and after the colon. */
  before: string;
  after: string;
  /** The value as sent: may hold folds (CRLF + LWS), a NUL byte. */
  value: string;
}

interface Message {
  startLine: string;
  fields: Field[];
  body: string;
  trailing: string;
}

function messageOf(raw: string): Message {
  const headEnd = raw.indexOf('\r\n\r\n');
  const [startLine, ...lines] = raw.slice(0, headEnd).split('\r\n');
  const fields = lines.map((line) => {
    const colon = line.indexOf(':');
    return { name: line.slice(0, colon).trimEnd(), before: '', after: ' ', value: line.slice(colon + 1).trim() };
  });
  return { startLine: startLine!, fields, body: raw.slice(headEnd + 4), trailing: '' };
}

function render(m: Message): string {
  const head = [m.startLine, ...m.fields.map((f) => `${f.name}${f.before}:${f.after}${f.value}`)].join('\r\n');
  return `${head}\r\n\r\n${m.body}${m.trailing}`;
}

const COMPACT: Readonly<Record<string, string>> = {
  via: 'v',
  from: 'f',
  to: 't',
  'call-id': 'i',
  contact: 'm',
  'content-length': 'l',
  'content-type': 'c',
};

const BENIGN_USER_AGENTS = [
  'Cisco/CE9.15.3',
  'TANDBERG/529 (ce9.15)',
  'Polycom/6.4.0',
  'LifeSize Icon_600/3.9',
  'Zoiper rv2.10',
];

type Padding =
  | { kind: 'unknown-headers'; count: number; length: number; at: number; name: string }
  | { kind: 'long-header'; length: number; at: number }
  | { kind: 'fold'; field: number; afterColon: boolean; lws: string }
  | { kind: 'compact'; mask: boolean[] }
  | { kind: 'name-case'; mask: boolean[] }
  | { kind: 'colon-space'; field: number; all: boolean; before: string; after: string }
  | { kind: 'second-user-agent'; value: string; before: boolean; spelling: string }
  | { kind: 'nul'; at: number; offset: number }
  | { kind: 'trailing'; bytes: Uint8Array };

const at = fc.nat({ max: 400 });
const padding: fc.Arbitrary<Padding> = fc.oneof(
  fc.record({
    kind: fc.constant('unknown-headers' as const),
    count: fc.integer({ min: 1, max: 300 }),
    length: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 20_480 })),
    at,
    name: fc.stringMatching(/^X-[A-Za-z0-9-]{1,16}$/),
  }),
  fc.record({ kind: fc.constant('long-header' as const), length: fc.integer({ min: 1, max: 20_480 }), at }),
  fc.record({
    kind: fc.constant('fold' as const),
    field: at,
    afterColon: fc.boolean(),
    lws: fc.constantFrom(' ', '\t', '   ', ' \t'),
  }),
  fc.record({ kind: fc.constant('compact' as const), mask: fc.array(fc.boolean(), { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('name-case' as const), mask: fc.array(fc.boolean(), { minLength: 1, maxLength: 31 }) }),
  fc.record({
    kind: fc.constant('colon-space' as const),
    field: at,
    all: fc.boolean(),
    before: fc.constantFrom('', ' ', '\t', '  '),
    after: fc.constantFrom('', ' ', '\t', '   ', ' \t '),
  }),
  fc.record({
    kind: fc.constant('second-user-agent' as const),
    value: fc.constantFrom(...BENIGN_USER_AGENTS),
    before: fc.boolean(),
    spelling: fc.constantFrom('User-Agent', 'user-agent', 'USER-AGENT'),
  }),
  fc.record({ kind: fc.constant('nul' as const), at, offset: fc.nat({ max: 8 }) }),
  fc.record({ kind: fc.constant('trailing' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 2000 }) }),
);

function pad(m: Message, p: Padding): void {
  const n = m.fields.length;
  switch (p.kind) {
    case 'unknown-headers': {
      const value = 'p'.repeat(p.length);
      const extra = Array.from({ length: p.count }, (_, i) => ({
        name: `${p.name}-${i}`,
        before: '',
        after: ' ',
        value,
      }));
      m.fields.splice(p.at % (n + 1), 0, ...extra);
      return;
    }
    case 'long-header':
      m.fields.splice(p.at % (n + 1), 0, { name: 'X-Long', before: '', after: ' ', value: 'L'.repeat(p.length) });
      return;
    case 'fold': {
      if (n === 0) return;
      const f = m.fields[p.field % n]!;
      // At LWS only (after the colon, or at a lone space of the value), never where a fold already is: unfolded,
      // the value is what it was. (Folding a fold again would put an empty line in the head: the end of it.)
      if (p.afterColon) {
        if (!f.value.startsWith('\r\n')) f.value = `\r\n${p.lws}${f.value}`;
      } else {
        f.value = f.value.replace(/(?<=[^\s]) (?=[^\s])/g, `\r\n${p.lws}`);
      }
      return;
    }
    case 'compact':
      m.fields.forEach((f, i) => {
        const short = COMPACT[f.name.toLowerCase()];
        if (short !== undefined && p.mask[i % p.mask.length]) f.name = short;
      });
      return;
    case 'name-case':
      for (const f of m.fields) {
        f.name = [...f.name].map((c, i) => (p.mask[i % p.mask.length] ? c.toUpperCase() : c.toLowerCase())).join('');
      }
      return;
    case 'colon-space':
      m.fields.forEach((f, i) => {
        if (p.all || i === p.field % Math.max(n, 1)) {
          f.before = p.before;
          f.after = p.after;
        }
      });
      return;
    case 'second-user-agent': {
      const ua = m.fields.findIndex((f) => f.name.toLowerCase() === 'user-agent');
      const where = ua === -1 ? n : p.before ? ua : ua + 1;
      m.fields.splice(where, 0, { name: p.spelling, before: '', after: ' ', value: p.value });
      return;
    }
    case 'nul': {
      const value = 'abcdefgh';
      const nul = `${value.slice(0, p.offset)}\0${value.slice(p.offset)}`;
      m.fields.splice(p.at % (n + 1), 0, { name: 'X-Nul', before: '', after: ' ', value: nul });
      return;
    }
    case 'trailing':
      m.trailing += Buffer.from(p.bytes).toString('latin1');
      return;
  }
}

function padded(r: ScannerRequest, paddings: readonly Padding[]): Buffer {
  const m = messageOf(r.raw);
  for (const p of paddings) pad(m, p);
  return Buffer.from(render(m), 'latin1');
}

// ---------------------------------------------------------------------------------------------------------------
// Parse and judge as the live guard does

/** The core's parser and mapping; when the request does not decode, the drachtio plugin's MalformedRequest. */
function judgeBytes(guard: Guard, bytes: Uint8Array, r: ScannerRequest): Verdict {
  const ctx: SipAttemptContext = { source: r.source, time: r.time, adapter: 'drachtio' };
  try {
    return guard.judge(parseSipRequestAttempt(bytes, ctx));
  } catch (err) {
    if (!isGhostguardError(err)) throw err;
    const malformed: MalformedRequest = {
      protocol: 'sip',
      method: r.method,
      source: r.source,
      time: r.time,
      detail: err.message,
      adapter: 'drachtio',
    };
    return guard.judgeMalformed(malformed);
  }
}

function freshGuard(config: ConfigInput): Guard {
  return createGuard({ ...config, log: { level: 'silent' } }, { logger: SILENT });
}

interface Tally {
  tried: number;
  allowed: number;
  underTier: number;
  withAnomalies: number;
  bytes: number[];
}

function paddingProperty(requests: readonly ScannerRequest[], config: ConfigInput, tally?: Tally) {
  return fc.property(fc.constantFrom(...requests), fc.array(padding, { minLength: 1, maxLength: 5 }), (r, paddings) => {
    const bytes = padded(r, paddings);
    const guard = freshGuard(config);
    let v: Verdict;
    try {
      v = judgeBytes(guard, bytes, r);
    } finally {
      guard.close();
    }
    if (tally !== undefined) {
      tally.tried++;
      if (v.action === 'allow') tally.allowed++;
      if (v.score < REJECT_TIER) tally.underTier++;
      if (v.reasons.some((x) => x.rule === 'input.undecodable')) tally.withAnomalies++;
      tally.bytes.push(bytes.length);
    }
    const why = `${r.file} ${r.method} (${bytes.length} bytes): ${JSON.stringify(v.reasons).slice(0, 600)}`;
    expect(v.action, why).not.toBe('allow');
    expect(v.score, why).toBeGreaterThanOrEqual(REJECT_TIER);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? Number.NaN;

describe('a scanner request padded the way a real SIP stack still accepts is never allowed (issue 13)', () => {
  const requests = scannerRequests();

  it('reads every SIPVicious request of the fixtures, each refused unpadded', () => {
    expect(requests.length).toBeGreaterThan(1200);
    expect(new Set(requests.map((r) => r.method))).toEqual(new Set(['INVITE', 'OPTIONS', 'REGISTER']));
    for (const r of requests) {
      const guard = freshGuard({});
      const v = judgeBytes(guard, Buffer.from(r.raw, 'latin1'), r);
      guard.close();
      expect(v.score, `${r.file}: ${JSON.stringify(v.reasons)}`).toBeGreaterThanOrEqual(REJECT_TIER);
    }
    // The model round-trips: unpadded, the bytes are the recorded ones.
    for (const r of requests) expect(render(messageOf(r.raw))).toBe(r.raw);
  });

  it(`padded: never allow, never under the reject tier (${RUNS} runs, default config)`, () => {
    const tally: Tally = { tried: 0, allowed: 0, underTier: 0, withAnomalies: 0, bytes: [] };
    fc.assert(paddingProperty(requests, {}, tally), { numRuns: RUNS });
    expect(tally).toMatchObject({ tried: RUNS, allowed: 0, underTier: 0 });
    // The paddings reach past the parser's caps often enough to matter, and stay under them often enough too.
    expect(tally.withAnomalies).toBeGreaterThan(RUNS / 5);
    expect(tally.withAnomalies).toBeLessThan(RUNS);
    if (REPORT) {
      console.log(
        `padding property: ${tally.tried} padded requests tried, ${tally.allowed} allowed, ${tally.underTier} under ` +
          `the reject tier, ${tally.withAnomalies} with input.undecodable; padded size median ${median(tally.bytes)} ` +
          `bytes, max ${Math.max(...tally.bytes)}`,
      );
    }
  }, 600_000);

  it('fails against a guard without the input.undecodable signal (the property can fail)', () => {
    const weakened: ConfigInput = { rules: { weights: { 'input.undecodable': 0 } } };
    // Unpadded, the weakened guard still refuses every request: only the padding can get one through.
    for (const r of requests.filter((_, i) => i % 20 === 0)) {
      const guard = freshGuard(weakened);
      expect(judgeBytes(guard, Buffer.from(r.raw, 'latin1'), r).score).toBeGreaterThanOrEqual(REJECT_TIER);
      guard.close();
    }
    const result = fc.check(paddingProperty(requests, weakened), { numRuns: 5000 });
    expect(result.failed, 'fast-check found no padding that gets past the weakened guard').toBe(true);
    if (REPORT) {
      const [r, paddings] = result.counterexample ?? [];
      console.log(
        `weakened guard: counterexample after ${result.numRuns} runs (seed ${result.seed}): ${r?.file} ${r?.method}, ` +
          JSON.stringify(paddings, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)),
      );
    }
  }, 120_000);

  it.runIf(REPORT)('cost of parse + judge per padded INVITE', () => {
    const invites = requests.filter((r) => r.method === 'INVITE');
    const samples = fc.sample(
      fc.tuple(fc.constantFrom(...invites), fc.array(padding, { minLength: 1, maxLength: 5 })),
      {
        numRuns: 300,
        seed: 13,
      },
    );
    const guard = freshGuard({});
    let ip = 0;
    /** Median µs of `loops` parse + judge runs of one message, each from a new source (a ban would short-cut). */
    const cost = (r: ScannerRequest, bytes: Uint8Array, loops: number): number => {
      const times: number[] = [];
      for (let i = 0; i < loops; i++) {
        ip++;
        const source = { ip: `10.${(ip >> 16) & 255}.${(ip >> 8) & 255}.${ip & 255}`, port: 5060 };
        const t0 = performance.now();
        judgeBytes(guard, bytes, { ...r, source });
        times.push((performance.now() - t0) * 1000);
      }
      return median(times);
    };
    const paddedCosts = samples.map(([r, paddings]) => {
      const bytes = padded(r, paddings);
      return { us: cost(r, bytes, 40), bytes: bytes.length };
    });
    const clean = invites.slice(0, 20).map((r) => cost(r, Buffer.from(r.raw, 'latin1'), 200));
    guard.close();
    const us = paddedCosts.map((p) => p.us);
    const big = paddedCosts.filter((p) => p.bytes > 60_000).map((p) => p.us);
    console.log(
      `parse+judge per padded INVITE: median ${median(us).toFixed(1)} µs over ${us.length} paddings ` +
        `(median of 40 runs each), max ${Math.max(...us).toFixed(1)} µs; over 60 KB (${big.length}): median ` +
        `${median(big).toFixed(1)} µs; unpadded recorded INVITE: median ${median(clean).toFixed(1)} µs`,
    );
  });
});
