/**
 * The live H.323 part of `pnpm demo`: a real H.323 gate and a stand-in room system on loopback sockets
 * (ephemeral ports), scanner SETUPs and a recorded legitimate call sent through the gate, and a count of
 * what reached the room. Everything is closed before it returns; it takes a few seconds.
 */
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { relative } from 'node:path';
import { renderTable } from '@ghostguard/cli';
import { createGuard, createLogger, loadConfigFile, type Verdict } from '@ghostguard/core';
import { readCapture } from '@ghostguard/core/capture';
import { decodeQ931, encodeSetup, type H323SetupShape, setupShapeSpec } from '@ghostguard/core/h323';
import { attachH323Gate } from '@ghostguard/h323-gate';
import { type Caller, dial, startStandInRoom, waitUntil } from '@ghostguard/stand-ins/h323';
import { recordingPath } from './recordings.js';
import { roomsText } from './rooms-text.js';

/** The real chan_ooh323 call (see recordings/README.md). */
const OOH323_PCAP = recordingPath('h323/ooh323-call-via-asterisk.pcap');
/** The number the recorded call dials: the room behind the gate. */
const ROOM_NUMBER = '5551234';
/** How long a scanner waits for an answer before it hangs up (a tarpit holds it that long). */
const SCANNER_PATIENCE_MS = 900;
const LEGIT_PATIENCE_MS = 2_000;
/** How often the waits look again (a held scanner's wait is timed to a few ms). */
const POLL_MS = 2;

export interface LiveH323DemoResult {
  title: string;
  lines: string[];
  scannerSetups: number;
  scannerReachedRoom: number;
  legitSetups: number;
  legitReachedRoom: number;
}

interface DemoCall {
  label: string;
  kind: 'scanner' | 'legitimate';
  /** Loopback source address it comes from. */
  source: string;
  bytes: Uint8Array;
}

/** The recorded call: the caller's SETUP, and what the real called side answered (replayed by the stand-in room). */
function recordedCall(): { setup: Uint8Array; roomAnswer: Uint8Array[] } {
  const events = readCapture(readFileSync(OOH323_PCAP)).events;
  const toRoom = events.filter((e) => e.kind === 'tcp' && e.dst.port === 1720);
  const fromRoom = events.filter((e) => e.kind === 'tcp' && e.src.port === 1720);
  const first = toRoom[0];
  if (first?.kind !== 'tcp') throw new Error(`${OOH323_PCAP}: no SETUP to port 1720`);
  // CallProceeding, Alerting, Facility, Connect: the answer up to the call being connected.
  const answer = fromRoom.slice(0, 4).flatMap((e) => (e.kind === 'tcp' ? [Uint8Array.from(e.payload)] : []));
  return { setup: Uint8Array.from(first.payload), roomAnswer: answer };
}

/** Scanner SETUPs as the tools send them, built by the core's encoder from its ready-made shapes. */
function scannerCalls(source: (i: number) => string): DemoCall[] {
  const shapes: Array<[string, H323SetupShape]> = [
    ['Metasploit h323_version', { shape: 'metasploit-h323-version', seed: 1 }],
    ['Metasploit h323_version (other run)', { shape: 'metasploit-h323-version', seed: 2 }],
    ['toll fraud: dials 900441224000000', { shape: 'toll-fraud', dialledDigits: '900441224000000' }],
    ['toll fraud: dials 011972599000000', { shape: 'toll-fraud', dialledDigits: '011972599000000', seed: 3 }],
    ['destination only an IP address', { shape: 'ip-only-destination' }],
    ['OpenH323 tool calling itself Cisco', { shape: 'cisco-openh323' }],
  ];
  return shapes.map(([label, shape], i) => ({
    label,
    kind: 'scanner',
    source: source(i + 1),
    bytes: encodeSetup(setupShapeSpec(shape)),
  }));
}

/** Whether this system lets a socket bind any 127.x.y.z (Linux does; macOS has only 127.0.0.1 by default). */
async function canBindLoopbackRange(): Promise<boolean> {
  const server = createServer((s) => s.destroy());
  await new Promise<void>((done) => server.listen({ host: '127.0.0.1', port: 0 }, done));
  const { port } = server.address() as AddressInfo;
  try {
    const c = await dial({ host: '127.0.0.1', port, localAddress: '127.1.0.1' });
    c.socket.destroy();
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((done) => server.close(done));
  }
}

/** What the caller saw, in words. */
function answerText(c: Caller, waitedMs: number): string {
  if (c.frames.length === 0) return c.isClosed ? 'closed without a word' : 'no answer';
  const names = c.frames.map((f) => {
    try {
      return decodeQ931(f).messageName ?? 'Q.931 message';
    } catch {
      return 'undecodable';
    }
  });
  const last = names.at(-1);
  const end = c.isClosed
    ? ', closed'
    : last === 'Alerting'
      ? `, then held until it hung up (${(waitedMs / 1000).toFixed(1)} s)`
      : '';
  return `${names.join(', ')}${end}`;
}

/** The heaviest rules of a verdict (at most 3). */
function rulesText(v: Verdict | undefined): string {
  if (!v) return '-';
  const rules = v.reasons
    .filter((r) => r.weight > 0)
    .sort((a, b) => b.weight - a.weight)
    .map((r) => r.rule);
  if (rules.length === 0) return '-';
  return rules.length > 3 ? `${rules.slice(0, 3).join(', ')} (+${rules.length - 3})` : rules.join(', ');
}

/** `configPath`: the demo's configuration (demo/ghostguard.yaml, or the user's --config). */
export async function runLiveH323Demo(configPath: string): Promise<LiveH323DemoResult> {
  const title = 'Live H.323: real sockets over loopback, through the H.323 gate to a stand-in room system';
  const recorded = recordedCall();
  const config = loadConfigFile(configPath);
  const guard = createGuard({ ...config, dataDir: null }, { logger: createLogger({ log: { level: 'silent' } }) });
  // The guard's verdict for the SETUP under way (the gate judges it synchronously on arrival).
  let verdict: Verdict | undefined;
  guard.on('verdict', (_a, v) => {
    verdict = v;
  });
  const lastVerdict = (): Verdict | undefined => verdict;
  const room = await startStandInRoom({
    answer: (_frame, call) => (call.frames.length === 1 ? recorded.roomAnswer : undefined),
  });
  const gate = attachH323Gate(
    guard,
    { host: '127.0.0.1', port: 0 },
    {
      // Every call the guard allows reaches the room, whatever it dials: "reached the room" is the verdict's doing.
      upstreams: {
        byAlias: { [ROOM_NUMBER]: { host: room.host, port: room.port } },
        default: { host: room.host, port: room.port },
      },
      tarpit: { alertAfter: 300 },
    },
  );
  const lines: string[] = [];
  const rows: Array<Array<string | number>> = [];
  let scannerSetups = 0;
  let scannerReachedRoom = 0;
  let legitSetups = 0;
  let legitReachedRoom = 0;
  try {
    await gate.ready;
    const addr = gate.address()!;
    const manySources = await canBindLoopbackRange();
    const source = (i: number) => (manySources ? `127.1.0.${i}` : '127.0.0.1');
    // Without separate source addresses, the legitimate call goes first (a scanner's ban would cover 127.0.0.1).
    const legit: DemoCall = {
      label: `ooh323 call to ${ROOM_NUMBER} (recorded)`,
      kind: 'legitimate',
      source: manySources ? '127.0.0.2' : '127.0.0.1',
      bytes: recorded.setup,
    };
    const calls = manySources ? [...scannerCalls(source), legit] : [legit, ...scannerCalls(source)];
    lines.push(title);
    lines.push(
      `  gate ${addr.address}:${addr.port} -> stand-in room ${room.host}:${room.port} (answers with the recorded ooh323 called side)`,
    );
    lines.push(
      `  config: ${relative(process.cwd(), configPath) || configPath} (the demo config knows room number ${ROOM_NUMBER})`,
    );
    if (!manySources) lines.push('  (this system binds only 127.0.0.1: every call comes from that one address)');
    for (const call of calls) {
      const before = room.frameCount();
      verdict = undefined;
      const started = performance.now();
      const caller = await dial({ host: addr.address, port: addr.port, localAddress: call.source, send: call.bytes });
      const patience = call.kind === 'scanner' ? SCANNER_PATIENCE_MS : LEGIT_PATIENCE_MS;
      // Scanners wait for an answer and give up; the legitimate caller waits for the room's Connect.
      await waitUntil(
        () => caller.isClosed || (call.kind === 'legitimate' && caller.frames.length >= recorded.roomAnswer.length),
        patience,
        'an answer',
        POLL_MS,
      ).catch(() => undefined);
      const reached = room.frameCount() > before;
      const answer = answerText(caller, performance.now() - started);
      caller.socket.destroy();
      await caller.closed;
      if (call.kind === 'scanner') {
        scannerSetups++;
        if (reached) scannerReachedRoom++;
      } else {
        legitSetups++;
        if (reached) legitReachedRoom++;
      }
      rows.push([
        call.kind,
        call.label,
        call.source,
        lastVerdict() ? `${lastVerdict()!.action} (${lastVerdict()!.score})` : '-',
        answer,
        reached ? 'yes' : 'no',
        rulesText(lastVerdict()),
      ]);
    }
    lines.push(
      ...renderTable(
        ['caller', 'SETUP', 'from', 'verdict (score)', 'what the caller got', 'reached room', 'top rules'],
        rows,
      ).split('\n'),
    );
    await waitUntil(() => gate.stats().active === 0, 2_000, 'the gate idle', POLL_MS).catch(() => undefined);
    const s = gate.stats();
    lines.push(
      `  gate: ${s.connections} connections; allowed ${s.allowed}, rejected ${s.rejected}, dropped ${s.dropped}, tarpitted ${s.tarpitted}; ` +
        `relayed ${s.relayedBytes.toUpstream} bytes to the room, ${s.relayedBytes.toCaller} back`,
    );
    lines.push(...roomsText(guard));
    lines.push(
      `  scanner SETUPs: ${scannerSetups}; reached the room: ${scannerReachedRoom}${scannerReachedRoom === 0 ? ' (goal: 0)' : '  <-- goal is 0'}`,
    );
    lines.push(
      `  legitimate SETUPs: ${legitSetups}; reached the room: ${legitReachedRoom}${legitReachedRoom === legitSetups ? ' (goal: all)' : '  <-- goal is all'}`,
    );
  } finally {
    await gate.close();
    await room.close();
    guard.close();
  }
  return { title, lines, scannerSetups, scannerReachedRoom, legitSetups, legitReachedRoom };
}
