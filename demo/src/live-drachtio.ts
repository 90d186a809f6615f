/**
 * The live drachtio part of `pnpm demo`: a real drachtio-srf app guarded by @ghostguard/drachtio, connected to the
 * drachtio-server stand-in (`@ghostguard/stand-ins/drachtio-server`: drachtio-server itself is not installable here),
 * and the recorded scanner and legitimate SIP requests sent to the stand-in's UDP port from loopback addresses.
 * Counts what reached the app's handlers. Then the room registry: room systems register through the room proxy
 * example's registrar (examples/drachtio-room-proxy), a recorded svwar REGISTER sweep and a hijack attempt try to
 * move them, calls are placed, and what `guard.rooms` holds is printed. Everything is closed before it returns; it
 * takes a few seconds.
 */
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { renderTable } from '@ghostguard/cli';
import {
  type ConfigInput,
  createGuard,
  createLogger,
  type GhostguardConfig,
  type Guard,
  loadConfigFile,
  type RoomEntry,
} from '@ghostguard/core';
import { parseNameAddr, parseSipMessage } from '@ghostguard/core/sip';
import { attachDrachtio, type DrachtioAttachment, withMethods } from '@ghostguard/drachtio';
import {
  type ConnectedApp,
  connectApp,
  type DrachtioServerPeer,
  startDrachtioServerPeer,
} from '@ghostguard/stand-ins/drachtio-server';
import {
  buildRequest,
  digestAuthorization,
  headerValue,
  type ReceivedSip,
  SipUdpAgent,
  waitUntil,
} from '@ghostguard/stand-ins/sip-agent';
import type Srf from 'drachtio-srf';
import { readdressed } from './readdress.js';
import { recordingPath } from './recordings.js';
import { roomsText } from './rooms-text.js';

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
  /** The room registry part; undefined where it cannot run (a system that binds only 127.0.0.1). */
  registry?: RegistryDemoResult;
}

/** What the room registry part saw (its requests are not part of the counts above). */
export interface RegistryDemoResult {
  /** `guard.rooms` after everything: the rooms that registered, at the contacts they registered. */
  rooms: RoomEntry[];
  /** Rooms whose REGISTER (digest) the registrar accepted. */
  registered: number;
  sweepRequests: number;
  /** Registered rooms the sweep named. */
  sweepHitRooms: string[];
  /** Rooms the sweep and the hijack attempt added or moved (goal: 0). */
  roomsAdded: number;
  roomsMoved: number;
  /** The hijack attempt's source, banned for it. */
  hijackBanned: boolean;
  /** The trusted partner's call to a registered room was answered by that room (goal: true). */
  partnerCallReachedRoom: boolean;
  /** Final answer to the unknown caller's call to a name that is no room (the proxy: 404). */
  strangerCallAnswer: number | undefined;
  /** Calls that reached a room system other than the partner's (goal: 0). */
  otherCallsReachedRoom: number;
}

/**
 * The part of examples/drachtio-room-proxy (`@ghostguard/example-drachtio-room-proxy`) the demo uses. The example
 * is an optional dependency, loaded when the registry part runs (a private workspace package: an installed demo
 * without it, or without the TypeScript loader, skips that part); live-drachtio.test.ts checks this shape.
 */
export interface RoomProxyExample {
  accountsFrom(record: Record<string, unknown>): ReadonlyMap<string, string>;
  installRoomProxy(
    srf: Srf,
    o: { guard: Guard; accounts: ReadonlyMap<string, string>; realm: string },
  ): { attachment: DrachtioAttachment };
}

export const ROOM_PROXY_EXAMPLE = '@ghostguard/example-drachtio-room-proxy';

interface DemoRecording {
  label: string;
  kind: 'scanner' | 'legitimate';
  /** Under the package's recordings/. */
  file: string;
}

const RECORDINGS: readonly DemoRecording[] = [
  { label: 'svmap OPTIONS', kind: 'scanner', file: 'recorded/kamailio-svmap-options.sip.txt' },
  { label: 'svmap INVITE', kind: 'scanner', file: 'recorded/kamailio-svmap-invite.sip.txt' },
  { label: 'svwar REGISTER', kind: 'scanner', file: 'recorded/kamailio-svwar-register.sip.txt' },
  { label: 'svwar OPTIONS', kind: 'scanner', file: 'recorded/kamailio-svwar-options.sip.txt' },
  { label: 'svwar INVITE', kind: 'scanner', file: 'recorded/kamailio-svwar-invite.sip.txt' },
  { label: 'svcrack REGISTER', kind: 'scanner', file: 'recorded/kamailio-svcrack.sip.txt' },
  { label: 'room calls and keepalives', kind: 'legitimate', file: 'legit/room-calls.sip.txt' },
  {
    label: 'baresip REGISTER and call',
    kind: 'legitimate',
    file: 'recorded/baresip-legit-register-call.sip.txt',
  },
  { label: 'bridge dialling 30 rooms', kind: 'legitimate', file: 'legit/bridge-30-rooms.sip.txt' },
];

const BLOCK_HEADING = /^===== request t=\d+(?:\.\d+)? (\S+) -> \S+ =====\r?$/gm;

/** Out-of-dialog requests of a `.sip.txt` recording, as sent (ACK, BYE, CANCEL and To-tagged requests left out). */
function outOfDialogRequests(file: string): Array<{ source: string; bytes: Buffer }> {
  const text = readFileSync(recordingPath(file), 'utf8');
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

function delta(after: ReturnType<DrachtioAttachment['stats']>, before: ReturnType<DrachtioAttachment['stats']>) {
  return {
    judged: after.judged - before.judged,
    allowed: after.allowed - before.allowed,
    rejected: after.rejected - before.rejected,
    dropped: after.dropped - before.dropped,
    tarpitted: after.tarpitted - before.tarpitted,
  };
}

/** `configPath`: the demo's configuration (demo/ghostguard.yaml, or the user's --config). */
export async function runLiveDrachtioDemo(configPath: string): Promise<LiveDrachtioDemoResult> {
  const title =
    'Live drachtio: a real drachtio-srf app with @ghostguard/drachtio, over loopback UDP through the drachtio-server stand-in (@ghostguard/stand-ins; not a real drachtio-server)';
  const config = loadConfigFile(configPath);
  const guard = createGuard({ ...config, dataDir: null }, { logger: createLogger({ log: { level: 'silent' } }) });
  const peer = await startDrachtioServerPeer({ secret: SECRET });
  let attachment: DrachtioAttachment | undefined;
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
    attachment = attachDrachtio(guard, plain);
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
        // The recording's own proxy (127.0.0.1, one of the demo config's local addresses) stays itself.
        const address =
          manySources && r.source !== '127.0.0.1'
            ? `127.${rec.kind === 'scanner' ? 1 : 2}.${index}.${sources.size + 1}`
            : '127.0.0.1';
        const agent = await SipUdpAgent.open(address);
        agents.push(agent);
        sources.set(r.source, agent);
      }
      const before = attachment!.stats();
      const sent = requests.map((r) => {
        const agent = sources.get(r.source)!;
        return { agent, bytes: readdressed(r.bytes, r.source, agent.address) };
      });
      const callIds = sent.map((r) => parseSipMessage(r.bytes).headers.get('call-id') ?? '');
      for (const r of sent) {
        r.agent.send(r.bytes, peer.sipPort, peer.host);
        await new Promise((resolve) => setTimeout(resolve, SEND_GAP_MS));
      }
      await waitUntil(() => delta(attachment!.stats(), before).judged >= requests.length, SETTLE_MS).catch(
        () => undefined,
      );
      const d = delta(attachment!.stats(), before);
      // A held tarpit's 180 travels back through drachtio-server after the verdict is counted: wait for it.
      const rang = () => [...sources.values()].some((a) => a.received.some((m) => m.status === 180));
      if (d.tarpitted > 0) await waitUntil(rang, SETTLE_MS).catch(() => undefined);
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
    await attachment?.close();
    app.close();
    for (const a of agents) await a.close();
    await peer.close();
    guard.close();
  }
  const result: LiveDrachtioDemoResult = {
    title,
    lines,
    scannerRequests,
    scannerReachedApp,
    legitRequests,
    legitReachedApp,
  };
  if (!(await canBindLoopbackRange())) {
    lines.push('  room registry part skipped: it needs several loopback addresses (127.x.y.z)');
    return result;
  }
  const example = await loadRoomProxyExample();
  if (example instanceof Error) {
    // Without the example installed, or from the build without the TypeScript loader (the example ships sources only).
    lines.push(`  room registry part skipped: could not load ${ROOM_PROXY_EXAMPLE} (${example.message})`);
    return result;
  }
  result.registry = await runRegistryPart(example, config, lines);
  return result;
}

// ---------------------------------------------------------------------------------------------------------------
// The room registry, fed by the room proxy example's registrar

/** Loopback addresses of the registry part (their own /16, apart from the recordings' 127.1/127.2). */
const ADDR = {
  boardroom: '127.4.0.5',
  room101: '127.4.0.6',
  partner: '127.4.0.20',
  scanner: '127.4.1.1',
  hijacker: '127.4.2.1',
  stranger: '127.4.3.1',
} as const;
const ACCOUNTS = { 'room-boardroom': 'demo-boardroom-secret', '101': 'demo-101-secret' } as const;

/** Final answers (>= 200) the agent got for one Call-ID. */
function finals(agent: SipUdpAgent, callId: string): ReceivedSip[] {
  return agent.responsesFor(callId).filter((r) => (r.status ?? 0) >= 200);
}

/** Waits (bounded) for a condition; false when it did not come true in time. */
async function settled(predicate: () => boolean): Promise<boolean> {
  return waitUntil(predicate, SETTLE_MS).then(
    () => true,
    () => false,
  );
}

/** A room system's REGISTER through the proxy, answering the digest challenge; the final status, if any. */
async function registerRoom(
  agent: SipUdpAgent,
  o: { user: string; password: string; domain: string; sipPort: number; host: string },
): Promise<number | undefined> {
  const callId = `demo-reg-${o.user}-${Date.now()}@${agent.address}`;
  const aor = `sip:${o.user}@${o.domain}`;
  const base = {
    method: 'REGISTER',
    uri: `sip:${o.domain}`,
    from: { address: agent.address, port: agent.port },
    fromUri: aor,
    toUri: aor,
    callId,
    headers: [['Expires', '600']] as Array<[string, string]>,
  };
  agent.send(buildRequest({ ...base, cseq: 1 }), o.sipPort, o.host);
  if (!(await settled(() => finals(agent, callId).length >= 1))) return undefined;
  const first = finals(agent, callId)[0]!;
  const challenge = headerValue(first.text, 'www-authenticate');
  if (first.status !== 401 || challenge === undefined) return first.status;
  const authorization = digestAuthorization({
    challenge,
    username: o.user,
    password: o.password,
    method: 'REGISTER',
    uri: base.uri,
  });
  agent.send(
    buildRequest({ ...base, cseq: 2, headers: [...base.headers, ['Authorization', authorization]] }),
    o.sipPort,
    o.host,
  );
  if (!(await settled(() => finals(agent, callId).length >= 2))) return undefined;
  return finals(agent, callId)[1]!.status;
}

/** A room system answering every INVITE that reaches it with 200 OK; returns how to stop it. */
function answerCalls(agent: SipUdpAgent): () => void {
  let seen = 0;
  const timer = setInterval(() => {
    for (; seen < agent.received.length; seen++) {
      const m = agent.received[seen]!;
      if (!m.firstLine.startsWith('INVITE ')) continue;
      const head = m.text.split('\r\n\r\n', 1)[0]!.split('\r\n').slice(1);
      const lines = [
        'SIP/2.0 200 OK',
        ...head.filter((l) => /^(via|from|call-id|cseq)\s*:/i.test(l)),
        `To: ${headerValue(m.text, 'to')};tag=room${agent.port}`,
        `Contact: <sip:room@${agent.address}:${agent.port}>`,
        'Content-Length: 0',
      ];
      agent.send(`${lines.join('\r\n')}\r\n\r\n`, m.from.port, m.from.address);
    }
  }, 5);
  timer.unref();
  return () => clearInterval(timer);
}

function invitesAt(agent: SipUdpAgent): number {
  return agent.received.filter((m) => m.firstLine.startsWith('INVITE ')).length;
}

/** Rooms added and moved between two listings of `guard.rooms`. */
function roomChanges(before: readonly RoomEntry[], after: readonly RoomEntry[]): { added: number; moved: number } {
  const contactOf = new Map(before.map((r) => [r.aor, r.contact]));
  return {
    added: after.filter((r) => !contactOf.has(r.aor)).length,
    moved: after.filter((r) => contactOf.has(r.aor) && contactOf.get(r.aor) !== r.contact).length,
  };
}

const goalZero = (n: number): string => (n === 0 ? ' (goal: 0)' : '  <-- goal is 0');

async function loadRoomProxyExample(): Promise<RoomProxyExample | Error> {
  try {
    return (await import(ROOM_PROXY_EXAMPLE)) as RoomProxyExample;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

/** What the steps of the registry part share: the stand-in, the guard and the example app on it, open agents. */
interface RegistryStage {
  guard: Guard;
  peer: DrachtioServerPeer;
  attachment: DrachtioAttachment;
  realm: string;
  open(address: string): Promise<SipUdpAgent>;
  send(agent: SipUdpAgent, message: string | Uint8Array): void;
}

/** Room systems register with their credentials and answer the calls that reach them. */
async function registerRooms(
  stage: RegistryStage,
  lines: string[],
  stoppers: Array<() => void>,
): Promise<{ boardroom: SipUdpAgent; room101: SipUdpAgent; registered: number }> {
  const boardroom = await stage.open(ADDR.boardroom);
  const room101 = await stage.open(ADDR.room101);
  stoppers.push(answerCalls(boardroom), answerCalls(room101));
  let registered = 0;
  for (const [agent, user] of [
    [boardroom, 'room-boardroom'],
    [room101, '101'],
  ] as const) {
    const status = await registerRoom(agent, {
      user,
      password: ACCOUNTS[user],
      domain: stage.realm,
      sipPort: stage.peer.sipPort,
      host: stage.peer.host,
    });
    if (status === 200) registered++;
    lines.push(`  ${user} registers from ${agent.address} with digest credentials: ${status ?? 'no answer'}`);
  }
  return { boardroom, room101, registered };
}

/** The recorded svwar REGISTER sweep from a scanner address; the registered rooms it named. */
async function replaySweep(stage: RegistryStage): Promise<{ requests: number; hitRooms: string[] }> {
  const sweep = outOfDialogRequests('recorded/kamailio-svwar-register.sip.txt');
  const scanner = await stage.open(ADDR.scanner);
  const judgedBefore = stage.attachment.stats().judged;
  for (const r of sweep) {
    stage.send(scanner, r.bytes);
    await new Promise((resolve) => setTimeout(resolve, SEND_GAP_MS));
  }
  await settled(() => stage.attachment.stats().judged - judgedBefore >= sweep.length);
  const users = sweep.map((r) => parseNameAddr(parseSipMessage(r.bytes).headers.get('to') ?? '')?.sipUri?.user ?? '');
  return { requests: sweep.length, hitRooms: [...new Set(users.filter((u) => stage.guard.rooms.isRoom(u)))] };
}

/** A clean-looking REGISTER without credentials binding room-boardroom to the proxy's address (svwar's Contact). */
async function tryHijack(stage: RegistryStage): Promise<{ answer: number | undefined; ban: string | undefined }> {
  const hijacker = await stage.open(ADDR.hijacker);
  const callId = `demo-hijack-${Date.now()}`;
  const aor = `sip:room-boardroom@${stage.realm}`;
  const request = buildRequest({
    method: 'REGISTER',
    uri: `sip:${stage.realm}`,
    from: { address: hijacker.address, port: hijacker.port },
    fromUri: aor,
    toUri: aor,
    callId,
  }).replace(/^Contact: .*$/m, `Contact: <sip:room-boardroom@${stage.peer.host}:${stage.peer.sipPort}>`);
  stage.send(hijacker, request);
  await settled(() => finals(hijacker, callId).length >= 1);
  return { answer: finals(hijacker, callId)[0]?.status, ban: stage.guard.bans.get(ADDR.hijacker)?.reason };
}

/** An INVITE from `caller` to `target`; the first final answer, if any. */
async function call(stage: RegistryStage, caller: SipUdpAgent, target: string): Promise<number | undefined> {
  const callId = `demo-call-${target}-${caller.address}-${Date.now()}`;
  stage.send(
    caller,
    buildRequest({
      method: 'INVITE',
      uri: `sip:${target}@${stage.realm}`,
      from: { address: caller.address, port: caller.port },
      fromUri: `sip:bridge@${caller.address}`,
      fromDisplay: 'Bridge',
      callId,
    }),
  );
  await settled(() => finals(caller, callId).length >= 1);
  return finals(caller, callId)[0]?.status;
}

/**
 * Rooms register through the example's registrar, a recorded svwar sweep and a hijack attempt try to add or move
 * rooms, a trusted partner calls a room and an unknown caller a name that is no room. A fresh guard (the same
 * config, plus the partner in `trust.cidrs`) on its own stand-in; everything is closed before it returns.
 */
async function runRegistryPart(
  example: RoomProxyExample,
  config: GhostguardConfig,
  lines: string[],
): Promise<RegistryDemoResult> {
  const realm = config.dialShape.domains[0] ?? 'video.example.com';
  const guard = createGuard(
    {
      ...config,
      dataDir: null,
      trust: { ...config.trust, cidrs: [...config.trust.cidrs, { name: 'demo partner', address: ADDR.partner }] },
    } as ConfigInput,
    { logger: createLogger({ log: { level: 'silent' } }) },
  );
  const agents: SipUdpAgent[] = [];
  const stoppers: Array<() => void> = [];
  let peer: DrachtioServerPeer | undefined;
  let app: ConnectedApp | undefined;
  let attachment: DrachtioAttachment | undefined;
  try {
    peer = await startDrachtioServerPeer({ secret: SECRET });
    app = await connectApp({ host: peer.host, port: peer.adminPort, secret: SECRET }, (srf) => {
      attachment = example.installRoomProxy(srf, {
        guard,
        accounts: example.accountsFrom({ ...ACCOUNTS }),
        realm,
      }).attachment;
    });
    await peer.waitForRoutes(['invite', 'register']);
    const on = peer;
    const stage: RegistryStage = {
      guard,
      peer: on,
      attachment: attachment!,
      realm,
      open: async (address) => {
        const a = await SipUdpAgent.open(address);
        agents.push(a);
        return a;
      },
      send: (agent, message) => agent.send(message, on.sipPort, on.host),
    };
    lines.push('');
    lines.push(
      'Live drachtio, room registry: rooms register through the room proxy example (examples/drachtio-room-proxy: digest registrar + proxy), which feeds guard.rooms',
    );

    const { boardroom, room101, registered } = await registerRooms(stage, lines, stoppers);
    const registeredRooms = guard.rooms.list();

    const sweep = await replaySweep(stage);
    const afterSweep = roomChanges(registeredRooms, guard.rooms.list());
    lines.push(
      `  recorded svwar REGISTER sweep from ${ADDR.scanner} (${sweep.requests} requests; registered rooms among its targets: ${sweep.hitRooms.join(', ') || 'none'}): rooms added ${afterSweep.added}, moved ${afterSweep.moved}${goalZero(afterSweep.added + afterSweep.moved)}`,
    );

    const hijack = await tryHijack(stage);
    const total = roomChanges(registeredRooms, guard.rooms.list());
    lines.push(
      `  REGISTER binding room-boardroom to the proxy's address, no credentials, from ${ADDR.hijacker}: answered ${hijack.answer ?? 'nothing'}; ${hijack.ban ? `banned (${hijack.ban})` : 'not banned'}; rooms moved ${total.moved}${goalZero(total.moved)}`,
    );

    const boardroomInvites = invitesAt(boardroom);
    const partnerAnswer = await call(stage, await stage.open(ADDR.partner), 'room-boardroom');
    const partnerCallReachedRoom = partnerAnswer === 200 && invitesAt(boardroom) > boardroomInvites;
    lines.push(
      `  call from the trusted partner ${ADDR.partner} to room-boardroom: ${partnerCallReachedRoom ? 'reached the room (200 OK)' : `did not reach the room (${partnerAnswer ?? 'no answer'})  <-- goal is reached`}`,
    );
    const roomInvites = () => invitesAt(boardroom) + invitesAt(room101);
    const invitesBefore = roomInvites();
    const strangerCallAnswer = await call(stage, await stage.open(ADDR.stranger), '4711');
    const otherCallsReachedRoom = roomInvites() - invitesBefore;
    lines.push(
      `  call from an unknown caller ${ADDR.stranger} to 4711 (no such room): answered ${strangerCallAnswer ?? 'nothing'}, reached a room ${otherCallsReachedRoom} times${goalZero(otherCallsReachedRoom)}`,
    );
    lines.push(...roomsText(guard));
    return {
      rooms: guard.rooms.list(),
      registered,
      sweepRequests: sweep.requests,
      sweepHitRooms: sweep.hitRooms,
      roomsAdded: total.added,
      roomsMoved: total.moved,
      hijackBanned: hijack.ban !== undefined,
      partnerCallReachedRoom,
      strangerCallAnswer,
      otherCallsReachedRoom,
    };
  } finally {
    for (const stop of stoppers) stop();
    await attachment?.close();
    app?.close();
    for (const a of agents) await a.close();
    await peer?.close();
    guard.close();
  }
}
