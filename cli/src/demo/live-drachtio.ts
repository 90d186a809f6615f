/**
 * The live drachtio part of `pnpm demo`: a real drachtio-srf app guarded by @ghostguard/drachtio, connected to the
 * drachtio-server stand-in (`@ghostguard/peers/drachtio-server`: drachtio-server itself is not installable here),
 * and the recorded scanner and legitimate SIP requests sent to the stand-in's UDP port from loopback addresses.
 * Counts what reached the app's handlers. Everything is closed before it returns; it takes a few seconds.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { createGuard, createLogger, loadConfigFile } from '@ghostguard/core';
import { parseNameAddr, parseSipMessage } from '@ghostguard/core/sip';
import { attachGuard, type GuardAttachment, withMethods } from '@ghostguard/drachtio';
import { connectApp, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import { startDrachtioServerPeer } from '@ghostguard/peers/drachtio-server';
import { renderTable } from '../analyze/text-table.js';
import { REPO_ROOT } from './repo-root.js';

const SECRET = 'ghostguard-demo';
/** Requests of one recording, at most this many (svwar's runs have hundreds; the first ones tell the story). */
const MAX_PER_RECORDING = 30;
/** Gap between two requests sent from one recording (the tools send 100+ per second). */
const SEND_GAP_MS = 2;
const SETTLE_MS = 5_000;

export interface LiveDrachtioDemoResult {
  title: string;
  lines: string[];
  scannerRequests: number;
  scannerReachedApp: number;
  legitRequests: number;
  legitReachedApp: number;
}

interface DemoRecording {
  label: string;
  kind: 'scanner' | 'legitimate';
  file: string;
}

const RECORDINGS: readonly DemoRecording[] = [
  { label: 'svmap OPTIONS', kind: 'scanner', file: 'test/fixtures/recorded/kamailio-svmap-options.sip.txt' },
  { label: 'svmap INVITE', kind: 'scanner', file: 'test/fixtures/recorded/kamailio-svmap-invite.sip.txt' },
  { label: 'svwar REGISTER', kind: 'scanner', file: 'test/fixtures/recorded/kamailio-svwar-register.sip.txt' },
  { label: 'svwar OPTIONS', kind: 'scanner', file: 'test/fixtures/recorded/kamailio-svwar-options.sip.txt' },
  { label: 'svwar INVITE', kind: 'scanner', file: 'test/fixtures/recorded/kamailio-svwar-invite.sip.txt' },
  { label: 'svcrack REGISTER', kind: 'scanner', file: 'test/fixtures/recorded/kamailio-svcrack.sip.txt' },
  { label: 'room calls and keepalives', kind: 'legitimate', file: 'test/fixtures/legit/room-calls.sip.txt' },
  {
    label: 'baresip REGISTER and call',
    kind: 'legitimate',
    file: 'test/fixtures/recorded/baresip-legit-register-call.sip.txt',
  },
  { label: 'bridge dialling 30 rooms', kind: 'legitimate', file: 'test/fixtures/legit/bridge-30-rooms.sip.txt' },
];

const BLOCK_HEADING = /^===== request t=\d+(?:\.\d+)? (\S+) -> \S+ =====\r?$/gm;

/** Out-of-dialog requests of a `.sip.txt` recording, as sent (ACK, BYE, CANCEL and To-tagged requests left out). */
function outOfDialogRequests(file: string): Array<{ source: string; bytes: Buffer }> {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const headings = [...text.matchAll(BLOCK_HEADING)];
  const out: Array<{ source: string; bytes: Buffer }> = [];
  for (const h of headings) {
    const start = h.index + h[0].length + 1;
    const next = text.indexOf('\n=====', start);
    const block = text.slice(start, next === -1 ? text.length : next + 1).replace(/^\r?\n/, '');
    const headEnd = block.indexOf('\r\n\r\n');
    if (headEnd === -1) continue;
    const length = Number(/^content-length:\s*(\d+)/im.exec(block.slice(0, headEnd))?.[1] ?? 0);
    const bytes = Buffer.from(block.slice(0, headEnd + 4 + length), 'utf8');
    try {
      const msg = parseSipMessage(bytes);
      if (msg.kind !== 'request' || ['ACK', 'BYE', 'CANCEL'].includes(msg.method)) continue;
      if (parseNameAddr(msg.headers.get('to') ?? '')?.tag !== undefined) continue;
    } catch {
      continue;
    }
    out.push({ source: h[1]!.replace(/:\d+$/, '').replace(/^\[|\]$/g, ''), bytes });
    if (out.length >= MAX_PER_RECORDING) break;
  }
  return out;
}

/** Whether this system lets a UDP socket bind any 127.x.y.z (Linux does; macOS has only 127.0.0.1). */
async function canBindLoopbackRange(): Promise<boolean> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, '127.3.0.1', () => resolve());
    });
    return true;
  } catch {
    return false;
  } finally {
    await new Promise<void>((resolve) => {
      try {
        s.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }
}

function delta(after: ReturnType<GuardAttachment['stats']>, before: ReturnType<GuardAttachment['stats']>) {
  return {
    judged: after.judged - before.judged,
    allowed: after.allowed - before.allowed,
    rejected: after.rejected - before.rejected,
    dropped: after.dropped - before.dropped,
    tarpitted: after.tarpitted - before.tarpitted,
  };
}

/** `configPath`: the demo's configuration (examples/demo/ghostguard.yaml, or the user's --config). */
export async function runLiveDrachtioDemo(configPath: string): Promise<LiveDrachtioDemoResult> {
  const title =
    'Live drachtio: a real drachtio-srf app with @ghostguard/drachtio, over loopback UDP through the drachtio-server stand-in (test/peers; not a real drachtio-server)';
  const config = loadConfigFile(configPath);
  const guard = createGuard({ ...config, dataDir: null }, { logger: createLogger({ log: { level: 'silent' } }) });
  const peer = await startDrachtioServerPeer({ secret: SECRET });
  let attachment: GuardAttachment | undefined;
  // Requests that passed the guard and reached the app's handlers, by Call-ID.
  const reachedApp = new Set<string>();
  const lines: string[] = [title];
  const rows: Array<Array<string | number>> = [];
  const agents: SipUdpAgent[] = [];
  let scannerRequests = 0;
  let scannerReachedApp = 0;
  let legitRequests = 0;
  let legitReachedApp = 0;
  const app = await connectApp({ host: peer.host, port: peer.adminPort, secret: SECRET }, (plain) => {
    attachment = attachGuard(plain, guard);
    const srf = withMethods(plain);
    // The app stands in for a room proxy: it counts what reaches it and answers without ringing anything.
    srf.invite((req, res) => {
      reachedApp.add(req.get('call-id'));
      res.send(480);
    });
    for (const method of ['register', 'options', 'subscribe', 'message'] as const) {
      srf[method]((req, res) => {
        reachedApp.add(req.get('call-id'));
        res.send(200);
      });
    }
  });
  try {
    await peer.waitForRoutes(['invite', 'register', 'options']);
    const manySources = await canBindLoopbackRange();
    lines.push(
      `  drachtio-server stand-in: SIP udp/${peer.host}:${peer.sipPort}, admin ${peer.host}:${peer.adminPort}; app methods routed by the plugin: ${attachment!.methods.join(', ')}`,
    );
    lines.push(`  config: ${relative(process.cwd(), configPath) || configPath}`);
    if (!manySources) lines.push('  (this system binds only 127.0.0.1: every request comes from that one address)');
    const ordered = manySources
      ? RECORDINGS
      : [...RECORDINGS.filter((r) => r.kind === 'legitimate'), ...RECORDINGS.filter((r) => r.kind === 'scanner')];
    for (const [index, rec] of ordered.entries()) {
      const requests = outOfDialogRequests(rec.file);
      // Each recorded source address gets its own loopback address, one /24 per recording.
      const sources = new Map<string, SipUdpAgent>();
      for (const r of requests) {
        if (sources.has(r.source)) continue;
        const address = manySources
          ? `127.${rec.kind === 'scanner' ? 1 : 2}.${index}.${sources.size + 1}`
          : '127.0.0.1';
        const agent = await SipUdpAgent.open(address);
        agents.push(agent);
        sources.set(r.source, agent);
      }
      const before = attachment!.stats();
      const callIds = requests.map((r) => parseSipMessage(r.bytes).headers.get('call-id') ?? '');
      for (const r of requests) {
        sources.get(r.source)!.send(r.bytes, peer.sipPort, peer.host);
        await new Promise((resolve) => setTimeout(resolve, SEND_GAP_MS));
      }
      await waitUntil(() => delta(attachment!.stats(), before).judged >= requests.length, SETTLE_MS).catch(
        () => undefined,
      );
      const d = delta(attachment!.stats(), before);
      const reached = callIds.filter((c) => reachedApp.has(c)).length;
      const replies = new Set<number>();
      for (const agent of sources.values()) for (const m of agent.received) if (m.status) replies.add(m.status);
      if (rec.kind === 'scanner') {
        scannerRequests += requests.length;
        scannerReachedApp += reached;
      } else {
        legitRequests += requests.length;
        legitReachedApp += reached;
      }
      rows.push([
        rec.kind,
        rec.label,
        requests.length,
        d.allowed,
        d.rejected,
        d.dropped,
        d.tarpitted,
        reached,
        [...replies].sort((a, b) => a - b).join(' ') || '-',
      ]);
    }
    lines.push(
      ...renderTable(
        [
          'traffic',
          'recording',
          'requests',
          'allow',
          'reject',
          'drop',
          'tarpit',
          'reached app',
          'answers the sender got',
        ],
        rows,
      ).split('\n'),
    );
    lines.push(
      '  (100 comes from drachtio-server itself for every INVITE before an app decides; 180 then silence is a held tarpit)',
    );
    lines.push(
      `  scanner requests: ${scannerRequests}; reached the app: ${scannerReachedApp}${scannerReachedApp === 0 ? ' (goal: 0)' : '  <-- goal is 0'}`,
    );
    lines.push(
      `  legitimate requests: ${legitRequests}; reached the app: ${legitReachedApp}${legitReachedApp === legitRequests ? ' (goal: all)' : '  <-- goal is all'}`,
    );
  } finally {
    attachment?.releaseTarpits();
    app.close();
    for (const a of agents) await a.close();
    await peer.close();
    guard.close();
  }
  return { title, lines, scannerRequests, scannerReachedApp, legitRequests, legitReachedApp };
}
