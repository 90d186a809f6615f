/**
 * drachtio plugin benchmarks, in process with real drachtio-srf Request/Response objects (drachtio-srf's own
 * classes and SIP parser; responses recorded instead of going to a server):
 * 1. added latency of the guard middleware for a legitimate INVITE (toAttempt + judge + enforce → next());
 * 2. 10,000 held tarpitted INVITE transactions: extra heap, and the legitimate INVITE's latency with them held
 *    against without.
 * 3. examples/drachtio-room-proxy run as its README says (its own process, against the drachtio-server stand-in)
 *    getting SIGTERM while a call is held in the tarpit: time to the held call's final answer and to the exit.
 *
 * The plugin is imported by relative path: the root package does not depend on `@ghostguard/drachtio`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createGuard, createLogger, type Guard } from '@ghostguard/core';
import { attachDrachtio, type DrachtioAttachment, type GuardMiddleware } from '../plugins/drachtio/src/index.js';
import { buildRequest, type DetachedRequest, sdpOffer, srfRequestPair } from '../plugins/drachtio/src/testing.js';
import { startDrachtioServerPeer } from '../stand-ins/src/drachtio-server/index.js';
import { SipUdpAgent, waitUntil } from '../stand-ins/src/sip-agent/index.js';
import { fmt, gc, median, percentile, type Row, sink } from './harness.js';

const MB = 1e6;
const LAT_WARM = 5_000;
const LAT_CALLS = 50_000;
const TARPITS = 10_000;
const TEMPLATES = 1_000;

interface Attached {
  guard: Guard;
  attachment: DrachtioAttachment;
  layer: GuardMiddleware;
}

function attach(): Attached {
  const guard = createGuard(
    {
      log: { level: 'silent' },
      dialShape: { domains: ['video.example.com'], knownTargets: ['room-*'] },
      tarpit: { maxConcurrent: TARPITS * 2, holdFor: 60_000 },
      policy: {
        methods: {
          INVITE: [
            { minScore: 80, action: 'tarpit' },
            { minScore: 50, action: 'reject' },
          ],
        },
      },
    },
    { logger: createLogger({ log: { level: 'silent' } }) },
  );
  let layer: GuardMiddleware | undefined;
  const attachment = attachDrachtio(
    guard,
    { use: (_m: string, h: GuardMiddleware) => (layer = h) },
    { tarpit: { holdFor: 60_000 } },
  );
  return { guard, attachment, layer: layer! };
}

/** A legitimate room call from one of many partner addresses (rates per source and per /24 stay low). */
function legitRaw(i: number): { raw: string; ip: string } {
  const ip = `198.51.${(i >> 8) & 255}.${i & 255 || 1}`;
  const raw = buildRequest({
    method: 'INVITE',
    uri: `sip:room-${i % 40}@video.example.com`,
    from: { address: ip, port: 5060 },
    fromUri: `sip:partner-${i}@partner.example.net`,
    fromDisplay: 'Partner Room',
    callId: `legit-${i}@partner.example.net`,
    sdp: sdpOffer(ip),
  });
  return { raw, ip };
}

/** The recorded svmap INVITE shape, one Call-ID and branch each, from scanner addresses. */
function scannerRaw(i: number): { raw: string; ip: string } {
  const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255 || 1}`;
  const raw = [
    'INVITE sip:100@203.0.113.10 SIP/2.0',
    `Via: SIP/2.0/UDP ${ip}:5060;branch=z9hG4bK-${1_000_000 + i};rport=5060`,
    'Max-Forwards: 70',
    'To: "sipvicious"<sip:100@1.1.1.1>',
    `From: "sipvicious"<sip:100@1.1.1.1>;tag=37663030303030303131336438013${i}`,
    'User-Agent: friendly-scanner',
    `Call-ID: ${9_000_000_000 + i}`,
    `Contact: sip:100@${ip}:5060`,
    'CSeq: 1 INVITE',
    'Accept: application/sdp',
    'Content-Length: 0',
    '',
    '',
  ].join('\r\n');
  return { raw, ip };
}

/** Times `count` legitimate INVITEs through the layer; the request objects are built outside the timed part. */
function legitLatencies(a: Attached, count: number, offset: number): number[] {
  const templates = Array.from({ length: TEMPLATES }, (_, i) => legitRaw(offset + i));
  const out: number[] = new Array(count);
  let nexts = 0;
  const next = () => {
    nexts++;
  };
  for (let i = 0; i < count; i++) {
    const t = templates[i % TEMPLATES]!;
    const { req, res } = srfRequestPair(t.raw, { address: t.ip, port: 5060 });
    const t0 = performance.now();
    a.layer(req, res, next);
    out[i] = performance.now() - t0;
  }
  if (nexts !== count) throw new Error(`only ${nexts} of ${count} legitimate INVITEs were allowed`);
  sink.n += nexts;
  return out;
}

const us = (ms: number) => ms * 1000;

export async function drachtio(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const rows: Row[] = [];

  // 1. Added latency of the middleware on a legitimate INVITE.
  const a = attach();
  legitLatencies(a, LAT_WARM, 0);
  const lat = legitLatencies(a, LAT_CALLS, 0);
  const sorted = Float64Array.from(lat).sort();
  rows.push(
    {
      name: 'middleware, legitimate INVITE, median',
      value: us(median(lat)),
      unit: 'µs',
      goal: { kind: 'max', value: 20, label: '<= 20 µs' },
      note: `p99 ${fmt(us(percentile(sorted, 99)))} µs`,
    },
    { name: 'middleware, legitimate INVITE, p99', value: us(percentile(sorted, 99)), unit: 'µs' },
  );
  const s1 = a.attachment.stats();
  notes.push(
    `${s1.allowed === s1.judged ? 'check ok' : 'CHECK FAILED'} (latency): ${s1.judged} judged, ${s1.allowed} allowed; ` +
      `${LAT_CALLS.toLocaleString('en-US')} INVITEs with SDP from ${TEMPLATES} partner addresses to 40 rooms after ${LAT_WARM} warm-up; ` +
      'the time is the layer call (drachtio-srf request → CallAttempt → judge → next()), request objects built by drachtio-srf beforehand',
  );
  a.guard.close();

  // 2. 10,000 held tarpits. Two guards see the same scanner traffic (so both hold the same bans and source
  // state); one keeps the 10,000 calls held, the other's calls are cancelled at once (closing it would also stop
  // it judging). Legitimate INVITEs then alternate between the two, so the ratio measures holding the calls and
  // nothing else.
  const held = attach();
  const free = attach();
  gc();
  const heapBase = process.memoryUsage().heapUsed;
  const scanners: Array<{ req: DetachedRequest; res: DetachedRequest['res'] }> = [];
  for (let i = 0; i < TARPITS; i++) {
    const s = scannerRaw(i);
    scanners.push(srfRequestPair(s.raw, { address: s.ip, port: 5060 }));
  }
  for (let i = 0; i < TARPITS; i++) {
    const s = scannerRaw(i);
    const { req, res, cancel } = srfRequestPair(s.raw, { address: s.ip, port: 5060 });
    free.layer(req, res, () => {});
    cancel();
  }
  if (free.attachment.stats().tarpitsHeld !== 0) notes.push('CHECK FAILED (cancel): the other guard still holds calls');
  gc();
  const heapObjects = process.memoryUsage().heapUsed;
  for (const { req, res } of scanners) held.layer(req, res, () => {});
  gc();
  const heapHeld = process.memoryUsage().heapUsed;
  const inUse = held.guard.tarpits.inUse;

  const withHolds: number[] = [];
  const without: number[] = [];
  legitLatencies(held, LAT_WARM, 10_000);
  legitLatencies(free, LAT_WARM, 10_000);
  for (let round = 0; round < 20; round++) {
    withHolds.push(...legitLatencies(held, LAT_CALLS / 20, 10_000 + round * 7));
    without.push(...legitLatencies(free, LAT_CALLS / 20, 10_000 + round * 7));
  }
  const ratio = median(withHolds) / median(without);
  rows.push(
    {
      name: `${TARPITS.toLocaleString('en-US')} held tarpits, extra heap`,
      value: (heapHeld - heapObjects) / MB,
      unit: 'MB',
      goal: { kind: 'max', value: 64, label: '<= 64 MB' },
      note: 'heap with the calls held minus heap with the same drachtio-srf request objects not yet judged (guard state of 10,000 banned scanner sources included)',
    },
    {
      name: 'legitimate INVITE with tarpits held / without, median',
      value: ratio,
      unit: 'x',
      goal: { kind: 'max', value: 1.1, label: '<= 1.1' },
      note: `median ${fmt(us(median(without)))} µs without, ${fmt(us(median(withHolds)))} µs with`,
    },
  );
  const s2 = held.attachment.stats();
  const ok = inUse === TARPITS && s2.tarpitted === TARPITS && s2.tarpitsHeld === TARPITS;
  const rang = scanners.filter((s) => (s.res as unknown as { status?: number }).status === 180).length;
  notes.push(
    `${ok && rang === TARPITS ? 'check ok' : 'CHECK FAILED'} (tarpits): ${inUse} slots held, ${s2.tarpitted} tarpitted, ${s2.tarpitNoSlot} cap drops, ${rang} answered 180; ` +
      `the recorded svmap INVITE shape from ${TARPITS.toLocaleString('en-US')} addresses; drachtio-srf's own request/response objects for them take ` +
      `${fmt((heapObjects - heapBase) / MB)} MB (with the other guard's state) and are not counted; legitimate INVITEs alternate between the two guards in 20 rounds`,
  );
  await held.attachment.close();
  if (held.guard.tarpits.inUse !== 0)
    notes.push(`CHECK FAILED (release): ${held.guard.tarpits.inUse} slots still held`);
  held.guard.close();
  free.guard.close();
  scanners.length = 0;
  rows.push(...(await shutdownWithHeldCall(notes)));
  return { rows, notes };
}

const EXAMPLE_DIR = fileURLToPath(new URL('../examples/drachtio-room-proxy/', import.meta.url));
const SHUTDOWN_RUNS = 3;

/** One run: the example's process holds a VaxSIP INVITE in the tarpit, gets SIGTERM; ms to the final and to exit. */
async function oneShutdown(dir: string): Promise<{ finalMs: number; exitMs: number; status: number | undefined }> {
  const peer = await startDrachtioServerPeer({ secret: 'bench' });
  const child = spawn(
    process.execPath,
    ['--conditions=@ghostguard/source', '--import', 'tsx', 'src/main.ts', join(dir, 'g.yaml'), join(dir, 'a.json')],
    {
      cwd: EXAMPLE_DIR,
      env: {
        ...process.env,
        DRACHTIO_SECRET: 'bench',
        DRACHTIO_HOST: peer.host,
        DRACHTIO_PORT: String(peer.adminPort),
      },
      stdio: 'ignore',
    },
  );
  let exitedAt: number | undefined;
  child.once('exit', () => {
    exitedAt = performance.now();
  });
  const agent = await SipUdpAgent.open('127.0.0.70');
  try {
    await peer.waitForRoutes(['invite'], 30_000);
    const callId = `bench-held-${Date.now()}`;
    agent.send(
      [
        'INVITE sip:room-a@video.example.com SIP/2.0',
        `Via: SIP/2.0/UDP ${agent.address}:${agent.port};branch=z9hG4bK-bench${Date.now()};rport`,
        'Max-Forwards: 70',
        `From: <sip:caller@${agent.address}>;tag=b1`,
        'To: <sip:room-a@video.example.com>',
        `Call-ID: ${callId}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:caller@${agent.address}:${agent.port}>`,
        'User-Agent: VaxSIPUserAgent/3.1',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
      peer.sipPort,
    );
    await waitUntil(() => agent.responsesFor(callId).some((r) => r.status === 180), 10_000, 'the 180');
    const t0 = performance.now();
    child.kill('SIGTERM');
    let finalAt: number | undefined;
    await waitUntil(
      () => {
        if (finalAt === undefined && agent.responsesFor(callId).some((r) => (r.status ?? 0) >= 200))
          finalAt = performance.now();
        return finalAt !== undefined && exitedAt !== undefined;
      },
      40_000,
      'the final answer and the exit',
      1,
    );
    const status = agent.responsesFor(callId).find((r) => (r.status ?? 0) >= 200)?.status;
    return { finalMs: finalAt! - t0, exitMs: exitedAt! - t0, status };
  } finally {
    if (exitedAt === undefined) child.kill('SIGKILL');
    await agent.close();
    await peer.close();
  }
}

async function shutdownWithHeldCall(notes: string[]): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'gg-bench-shutdown-'));
  try {
    writeFileSync(
      join(dir, 'g.yaml'),
      `${readFileSync(join(EXAMPLE_DIR, 'ghostguard.yaml'), 'utf8')}\nlog: { level: silent }\ndataDir: null\n`,
    );
    writeFileSync(join(dir, 'a.json'), JSON.stringify({ 'room-a': 'a long random secret' }));
    const runs: Array<{ finalMs: number; exitMs: number; status: number | undefined }> = [];
    for (let i = 0; i < SHUTDOWN_RUNS; i++) runs.push(await oneShutdown(dir));
    const finals = runs.map((r) => r.finalMs);
    const exits = runs.map((r) => r.exitMs);
    notes.push(
      `${runs.every((r) => r.status === 486) ? 'check ok' : 'CHECK FAILED'} (shutdown): finals ${runs.map((r) => r.status).join(', ')}; ` +
        `${SHUTDOWN_RUNS} runs of the example's own process (node --import tsx src/main.ts) against the drachtio-server stand-in, ` +
        'a VaxSIP INVITE held (hold 30 s), SIGTERM; recorded on the real server before the fix: exit 28.2 s after SIGTERM, no final answer',
    );
    return [
      {
        name: 'SIGTERM with a held call: its final answer, median',
        value: median(finals),
        unit: 'ms',
        note: `runs ${finals.map((v) => fmt(v)).join(', ')} ms`,
      },
      {
        name: 'SIGTERM with a held call: process exit, median',
        value: median(exits),
        unit: 'ms',
        goal: { kind: 'max', value: 1000, label: '< 1 s' },
        note: `runs ${exits.map((v) => fmt(v)).join(', ')} ms`,
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
