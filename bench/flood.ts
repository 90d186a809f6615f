/**
 * Flood bench (issue 22, "Must hold", first and last bullets): how much scanner traffic a stack holds while
 * legitimate calls still get through, measured side by side with Kamailio as the anchor.
 *
 * Everything runs inside two network namespaces the bench creates and removes (bench/flood-net.ts; needs root).
 * A scanner process (bench/flood-sender.ts) sends the recorded svmap INVITE (User-Agent friendly-scanner) from 100
 * rotating source addresses at stepped rates (GG_FLOOD_RATES, default 1k … 100k/s, GG_FLOOD_SECONDS each, default 10),
 * while a caller (bench/flood-legit.ts) places one legitimate call a second to a registered room system
 * (INVITE/200/ACK/BYE). Per step and per stack it prints: legitimate calls kept (goal ≥ 99 %), p99 setup (goal
 * ≤ 500 ms), CPU per scanner INVITE of the guard process and of the SIP server process (utime+stime deltas from
 * /proc/<pid>/stat over the step and its settling), memory (Pss, start → end) and log lines per second; then the
 * highest rate that held and its ratio to Kamailio's.
 *
 * Stacks (GG_FLOOD_STACKS, default all):
 * - `drachtio`: examples/drachtio-room-proxy (the drachtio plugin, its own process) in front of the drachtio-server
 *   stand-in (stand-ins/src/drachtio-server, its own process). The stand-in is Node, not sofia-sip: expect it to be
 *   the bottleneck of this stack long before the guard is. The example runs on its own ghostguard.yaml with only the
 *   proxy's address changed; when that has a `shared:` section (bans in Redis and drachtio-server's blacklist set), a
 *   redis-server is started for it in the server namespace, as the example's README has it beside the app.
 * - `drachtio+nft`: the same with the kernel bouncer (`attachFirewall` of `@ghostguard/nftables`, plugins/nftables)
 *   attached to the app's guard inside the server namespace; when the package is missing the stack says so and runs
 *   without it (its figures are then those of `drachtio`).
 * - `kamailio`: Debian's Kamailio (/usr/sbin/kamailio) with its stock /etc/kamailio/kamailio.cfg and
 *   `-A WITH_ANTIFLOOD` (pike, 16 requests per 2 s per address, and the htable `ipban`, 300 s), in the server
 *   namespace with its own runtime directory and pid file under a temporary directory, in the foreground (`-DD -E`,
 *   logging to stderr, which the bench counts). What the stock config needs, nothing changed: it listens on every
 *   address of the namespace (10.77.0.1:5060); without WITH_AUTH it is an open registrar (`save("location")`), so
 *   the room registers without credentials as `room@10.77.0.1` and the caller calls `sip:room@10.77.0.1` (the
 *   Request-URI host must be "myself", or it answers 403 Not relaying); it record-routes INVITEs, so ACK and BYE go
 *   through it (`loose_route`). The stock REQINIT also drops `friendly-scanner` silently after the pike check.
 *
 * Last bullet (GG_FLOOD_WIDE=0 skips it): 10,000 scanner sources (a /18 made local in the client namespace with a
 * `local` route, so each source is a socket bound to its own address) each send one INVITE (the guard bans each on
 * its fingerprint), then all of them flood at the most the sender can send; the guard process's CPU, as % of one
 * core, with the bouncer against without.
 *
 * The machine is shared: figures are noisy; the sender itself needs up to one of the two cores at its top rate.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { LegitReply, LegitRequest } from './flood-legit.js';
import {
  createFloodNet,
  type FloodNet,
  SCANNER_IPS,
  SERVER_IP,
  sampleTree,
  type TreeSample,
  udpRcvbufErrors,
  WIDE_PREFIX,
} from './flood-net.js';
import type { SenderReply, SenderRequest } from './flood-sender.js';
import type { ServerReply, ServerRequest } from './flood-servers.js';
import { fmt, percentile, type Row } from './harness.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXAMPLE_DIR = join(ROOT, 'examples/drachtio-room-proxy');
const NODE_ARGS = ['--conditions=@ghostguard/source', '--import', 'tsx'];

const DEFAULT_RATES = [1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000];
const KEEP_GOAL = 0.99;
const P99_GOAL_MS = 500;
const GOAL_RATE = 50_000;
const WIDE_SOURCES = 10_000;
const WIDE_CPU_GOAL = 5;
const ROOM_USER = 'room';
const ROOM_PASSWORD = 'a long random room secret';
const DOMAIN = 'video.example.com';
const KAMAILIO = '/usr/sbin/kamailio';
const BOUNCER_NOTE = 'kernel bouncer (@ghostguard/nftables)';
const KAMAILIO_CFG = '/etc/kamailio/kamailio.cfg';

type StackName = 'drachtio' | 'drachtio+nft' | 'kamailio';
const STACKS: readonly StackName[] = ['drachtio', 'drachtio+nft', 'kamailio'];

function envList(name: string): string[] | undefined {
  const v = process.env[name];
  return v ? v.split(',').map((s) => s.trim()) : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Child processes

class Child<Req, Rep extends { type: string }> {
  private readonly queue: Rep[] = [];
  private waiters: Array<() => void> = [];
  private exit: string | undefined;

  constructor(
    readonly name: string,
    readonly proc: ChildProcess,
  ) {
    proc.on('message', (m) => {
      this.queue.push(m as Rep);
      for (const w of this.waiters) w();
    });
    proc.on('exit', (code, signal) => {
      this.exit = `${name} exited (${signal ?? code})`;
      for (const w of this.waiters) w();
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  send(m: Req): void {
    if (this.proc.connected) this.proc.send(m as object);
  }

  /** The next message of `type` (an `error` message or the child's exit fails the wait). */
  async next<T extends Rep['type']>(type: T, timeoutMs: number): Promise<Extract<Rep, { type: T }>> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const i = this.queue.findIndex((m) => m.type === type || m.type === 'error');
      if (i !== -1) {
        const m = this.queue.splice(i, 1)[0]!;
        if (m.type === 'error') throw new Error(`${this.name}: ${(m as unknown as { message: string }).message}`);
        return m as Extract<Rep, { type: T }>;
      }
      if (this.exit) throw new Error(this.exit);
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`${this.name}: no ${type} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 1000));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
      this.waiters = [];
    }
  }

  kill(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill('SIGKILL');
  }
}

function nodeChild<Req, Rep extends { type: string }>(
  net: FloodNet,
  ns: string,
  name: string,
  file: string,
  args: readonly string[],
  stdout: 'ignore' | 'inherit' | number = 'ignore',
  env?: NodeJS.ProcessEnv,
): Child<Req, Rep> {
  const proc = net.spawnIn(
    ns,
    process.execPath,
    [...NODE_ARGS, join(HERE, file), ...args],
    ['ignore', stdout, 'inherit', 'ipc'],
    env,
  );
  return new Child<Req, Rep>(name, proc);
}

/** Lines in a log file so far (counted by newline bytes, read incrementally). */
class LineCounter {
  private offset = 0;
  lines = 0;
  constructor(readonly path: string) {}
  read(): number {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return this.lines;
    }
    if (size <= this.offset) return this.lines;
    const fd = openSync(this.path, 'r');
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      while (this.offset < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - this.offset), this.offset);
        if (n <= 0) break;
        for (let i = 0; i < n; i++) if (buf[i] === 10) this.lines++;
        this.offset += n;
      }
    } finally {
      closeSync(fd);
    }
    return this.lines;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Stacks

interface RunningStack {
  name: StackName;
  /** The guard's process (none for Kamailio). */
  guard?: { pid: number; log: LineCounter };
  /** The SIP server's process (tree). */
  server: { pid: number; log?: LineCounter; label: string };
  /** Where the legitimate caller sends and what it dials. */
  call: { server: string; domain: string };
  register: Extract<LegitRequest, { type: 'register' }>;
  notes: string[];
  stats(): Promise<string>;
  /** Datagrams the SIP server took in, bans the guard holds and bouncer work still pending (drachtio stacks). */
  counters(): Promise<{ datagramsIn: number; judged: number; bans: number; pending: number; elements?: number }>;
  close(): Promise<void>;
}

/** redis-server in the server namespace on 127.0.0.1:6379 (the example's `shared.url`), no persistence. */
async function startRedis(
  net: FloodNet,
  dir: string,
): Promise<{ child: Child<never, { type: string }>; version: string }> {
  const redisDir = mkdtempSync(join(dir, 'redis-'));
  const proc = net.spawnIn(
    net.server,
    'redis-server',
    ['--bind', '127.0.0.1', '--port', '6379', '--save', '', '--appendonly', 'no', '--dir', redisDir],
    ['ignore', 'ignore', 'ignore'],
  );
  const child = new Child<never, { type: string }>('redis-server', proc);
  const t0 = performance.now();
  for (;;) {
    try {
      if (net.execIn(net.server, 'redis-cli', ['-h', '127.0.0.1', '-p', '6379', 'ping']).trim() === 'PONG') break;
    } catch {
      // not up yet
    }
    if (proc.exitCode !== null) throw new Error('redis-server exited at start');
    if (performance.now() - t0 > 10_000) throw new Error('redis-server not answering after 10 s');
    await new Promise((r) => setTimeout(r, 100));
  }
  const version = execFileSync('redis-server', ['--version'], { encoding: 'utf8' }).split(' sha=')[0]!.trim();
  return { child, version };
}

async function startDrachtioStack(net: FloodNet, dir: string, name: StackName): Promise<RunningStack> {
  const notes: string[] = [];
  const config = join(dir, `${name.replace('+', '-')}.yaml`);
  // The example's configuration, site values changed only: the proxy's own address (Request-URI hosts that are this
  // address are not an "IP literal" signal). The domain stays video.example.com.
  const yaml = readFileSync(join(EXAMPLE_DIR, 'ghostguard.yaml'), 'utf8').replace(
    'localAddresses: [203.0.113.10, 127.0.0.1]',
    `localAddresses: [${SERVER_IP}, 127.0.0.1]`,
  );
  if (!yaml.includes(SERVER_IP))
    throw new Error('examples/drachtio-room-proxy/ghostguard.yaml changed: localAddresses not found');
  writeFileSync(config, yaml);
  // The example keeps its bans in Redis when its config has a `shared:` section (its README starts Redis beside it):
  // started here inside the server namespace on the address the config names, without persistence.
  const redis = /^shared:/m.test(yaml) ? await startRedis(net, dir) : undefined;
  if (redis) notes.push(`redis-server for the example's shared: section, ${redis.version}`);
  const accounts = join(dir, 'accounts.json');
  writeFileSync(accounts, JSON.stringify({ [ROOM_USER]: ROOM_PASSWORD }));
  const server = nodeChild<ServerRequest, ServerReply>(
    net,
    net.server,
    'drachtio-server stand-in',
    'flood-servers.ts',
    ['drachtio-server', SERVER_IP],
  );
  await server.next('ready', 30_000);
  const logPath = join(dir, `${name.replace('+', '-')}-guard.log`);
  const logFd = openSync(logPath, 'w');
  const firewall = name === 'drachtio+nft';
  const app = nodeChild<ServerRequest, ServerReply>(
    net,
    net.server,
    'room proxy app',
    'flood-servers.ts',
    ['app', config, accounts, SERVER_IP],
    logFd,
    { ...process.env, GG_FLOOD_FIREWALL: firewall ? '1' : '0' },
  );
  closeSync(logFd);
  const ready = await app.next('ready', 60_000);
  // The app is attached once drachtio-server has its routes (until then the server answers 503 itself).
  server.send({ type: 'waitRoutes', methods: ['invite', 'register', 'options'] });
  await server.next('routed', 40_000);
  if (firewall) notes.push(`${BOUNCER_NOTE}: ${ready.firewall ?? 'no answer'}`);
  const statsOf = async (c: Child<ServerRequest, ServerReply>): Promise<Record<string, unknown>> => {
    c.send({ type: 'stats' });
    return (await c.next('stats', 30_000)).stats;
  };
  return {
    name,
    guard: { pid: app.pid, log: new LineCounter(logPath) },
    server: { pid: server.pid, label: 'drachtio-server stand-in' },
    call: { server: SERVER_IP, domain: DOMAIN },
    register: { type: 'register', server: SERVER_IP, domain: DOMAIN, user: ROOM_USER, password: ROOM_PASSWORD },
    notes,
    counters: async () => {
      const a = await statsOf(app);
      const s = await statsOf(server);
      const fw = a.firewall as { pending?: number; elements?: number } | undefined;
      return {
        datagramsIn: Number(s.datagramsIn),
        judged: Number(a.judged),
        bans: Number(a.bans),
        pending: fw?.pending ?? 0,
        ...(fw?.elements === undefined ? {} : { elements: fw.elements }),
      };
    },
    stats: async () => {
      const a = await statsOf(app).catch((e: Error) => ({ error: e.message }));
      const s = await statsOf(server).catch((e: Error) => ({ error: e.message }));
      return `app ${JSON.stringify(a)}; stand-in ${JSON.stringify(s)}`;
    },
    close: async () => {
      for (const c of [app, server]) {
        c.send({ type: 'close' });
        const exited = new Promise<void>((r) => c.proc.once('exit', () => r()));
        await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
        c.kill();
      }
      redis?.child.kill();
    },
  };
}

async function startKamailio(net: FloodNet, dir: string): Promise<RunningStack> {
  const runDir = mkdtempSync(join(dir, 'kamailio-'));
  const logPath = join(dir, 'kamailio.log');
  const logFd = openSync(logPath, 'w');
  const proc = net.spawnIn(
    net.server,
    KAMAILIO,
    ['-f', KAMAILIO_CFG, '-A', 'WITH_ANTIFLOOD', '-DD', '-E', '-Y', runDir, '-P', join(runDir, 'kamailio.pid')],
    ['ignore', logFd, logFd],
  );
  closeSync(logFd);
  const child = new Child<never, { type: string }>('kamailio', proc);
  // Ready once it says where it listens and its workers are up (the log's first lines); bounded.
  const t0 = performance.now();
  for (;;) {
    const text = readFileSync(logPath, 'utf8');
    if (text.includes(`${SERVER_IP}:5060`) && /jsonrpc_dgram_process|io_listen_loop/.test(text)) break;
    if (proc.exitCode !== null) throw new Error(`kamailio exited: ${text.slice(-2000)}`);
    if (performance.now() - t0 > 20_000) throw new Error(`kamailio not ready after 20 s: ${text.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const version = execFileSync(KAMAILIO, ['-v'], { encoding: 'utf8' }).split('\n')[0];
  return {
    name: 'kamailio',
    server: { pid: proc.pid!, log: new LineCounter(logPath), label: 'kamailio (all its processes)' },
    call: { server: SERVER_IP, domain: SERVER_IP },
    register: { type: 'register', server: SERVER_IP, domain: SERVER_IP, user: ROOM_USER, password: ROOM_PASSWORD },
    notes: [`${version}, ${KAMAILIO_CFG} -A WITH_ANTIFLOOD, ${sampleTree(proc.pid!).processes} processes`],
    stats: async () => {
      const text = readFileSync(logPath, 'utf8');
      return `pike blocks logged: ${(text.match(/pike blocking/g) ?? []).length}`;
    },
    counters: async () => {
      throw new Error('no counters for kamailio');
    },
    close: async () => {
      proc.kill('SIGTERM');
      await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      child.kill();
    },
  };
}

/**
 * Every stack starts on an empty ruleset in the server namespace: the bouncer's table outlives its process by design
 * (it is removed on request, not on exit), and a table left by stack (b) would drop the scanners before the next
 * stack saw them. The ruleset flushed is the bench's own namespace's, never the root namespace's.
 */
function clearRuleset(net: FloodNet): void {
  net.execIn(net.server, 'nft', ['flush', 'ruleset']);
}

function startStack(net: FloodNet, dir: string, name: StackName): Promise<RunningStack> {
  clearRuleset(net);
  return name === 'kamailio' ? startKamailio(net, dir) : startDrachtioStack(net, dir, name);
}

// ---------------------------------------------------------------------------------------------------------------
// Steps

interface StepResult {
  stack: StackName;
  rate: number;
  sentRate: number;
  calls: number;
  kept: number;
  p50: number;
  p99: number;
  failures: Record<string, number>;
  /** Datagrams dropped at the server's full socket buffer during the step. */
  socketDrops: number;
  /** Kept calls whose BYE got its 200 (the dialog ended as it should). */
  byes: number;
  held: boolean;
  /** µs of CPU per scanner INVITE sent. */
  guardUs?: number;
  serverUs: number;
  guardMem?: [number, number];
  serverMem: [number, number];
  /** Lines per second written by the guard (the SIP server's for Kamailio). */
  logRate: number;
  guardCpuPct?: number;
  serverCpuPct: number;
  senderCpuPct: number;
}

interface Samples {
  t: number;
  guard?: TreeSample;
  server: TreeSample;
  sender: TreeSample;
  guardLines: number;
  serverLines: number;
  /** UDP datagrams dropped at a full socket buffer in the server namespace. */
  rcvbufErrors: number;
}

function sample(stack: RunningStack, senderPid: number): Samples {
  return {
    t: performance.now(),
    ...(stack.guard ? { guard: sampleTree(stack.guard.pid) } : {}),
    server: sampleTree(stack.server.pid),
    sender: sampleTree(senderPid),
    guardLines: stack.guard?.log.read() ?? 0,
    serverLines: stack.server.log?.read() ?? 0,
    rcvbufErrors: udpRcvbufErrors(stack.server.pid),
  };
}

const MB = 1024 * 1024;
const mb = (b: number) => `${(b / MB).toFixed(0)} MB`;

function describeStep(r: StepResult): string {
  const fail = Object.entries(r.failures)
    .map(([k, v]) => `${v}×${k === '0' ? 'no answer' : k}`)
    .join(' ');
  const guard =
    r.guardUs === undefined
      ? ''
      : `guard ${fmt(r.guardUs, 1)} µs/INVITE (${fmt(r.guardCpuPct!, 0)} % of a core), mem ${mb(r.guardMem![0])} → ${mb(r.guardMem![1])}; `;
  return (
    `${r.stack.padEnd(12)} ${String(r.rate).padStart(6)}/s (sent ${fmt(r.sentRate, 0)}/s): ${r.held ? 'HELD' : 'FAILED'} ` +
    `kept ${r.kept}/${r.calls}${fail ? ` (${fail})` : ''} (BYE answered ${r.byes}), setup p50 ${fmt(r.p50, 1)} ms p99 ${fmt(r.p99, 1)} ms; ${guard}` +
    `server ${fmt(r.serverUs, 1)} µs/INVITE (${fmt(r.serverCpuPct, 0)} %), mem ${mb(r.serverMem[0])} → ${mb(r.serverMem[1])}; ` +
    `${r.socketDrops > 0 ? `${r.socketDrops} dropped at the server's socket; ` : ''}log ${fmt(r.logRate, 1)} lines/s; sender ${fmt(r.senderCpuPct, 0)} %`
  );
}

async function runStep(
  stack: RunningStack,
  sender: Child<SenderRequest, SenderReply>,
  legit: Child<LegitRequest, LegitReply>,
  rate: number,
  seconds: number,
): Promise<StepResult> {
  const s0 = sample(stack, sender.pid);
  legit.send({ type: 'start', server: stack.call.server, domain: stack.call.domain, user: ROOM_USER });
  sender.send({ type: 'run', rate, seconds, host: SERVER_IP, port: 5060 });
  const sent = await sender.next('done', seconds * 1000 + 30_000);
  legit.send({ type: 'stop' });
  const result = await legit.next('stopped', 60_000);
  const s1 = sample(stack, sender.pid);
  const wall = (s1.t - s0.t) / 1000;
  const setups = Float64Array.from(result.setups).sort();
  // p99 over every call placed; a call never answered counts as infinitely slow.
  const all = new Float64Array(result.calls);
  all.set(setups);
  all.fill(Number.POSITIVE_INFINITY, setups.length);
  const p99 = percentile(all, 99);
  const per = (a: TreeSample | undefined, b: TreeSample | undefined) =>
    a && b ? ((b.cpu - a.cpu) / Math.max(1, sent.sent)) * 1e6 : undefined;
  const pct = (a: TreeSample | undefined, b: TreeSample | undefined) => (a && b ? ((b.cpu - a.cpu) / wall) * 100 : 0);
  const keptShare = result.calls === 0 ? 0 : result.kept / result.calls;
  return {
    stack: stack.name,
    rate,
    sentRate: sent.sent / sent.seconds,
    calls: result.calls,
    kept: result.kept,
    p50: percentile(all, 50),
    p99,
    failures: result.failures,
    byes: result.byesAnswered,
    socketDrops: s1.rcvbufErrors - s0.rcvbufErrors,
    held: result.calls > 0 && keptShare >= KEEP_GOAL && p99 <= P99_GOAL_MS,
    ...(stack.guard
      ? {
          guardUs: per(s0.guard, s1.guard)!,
          guardMem: [s0.guard!.mem, s1.guard!.mem] as [number, number],
          guardCpuPct: pct(s0.guard, s1.guard),
        }
      : {}),
    serverUs: per(s0.server, s1.server)!,
    serverMem: [s0.server.mem, s1.server.mem],
    logRate: ((stack.guard ? s1.guardLines - s0.guardLines : s1.serverLines - s0.serverLines) || 0) / wall,
    serverCpuPct: pct(s0.server, s1.server),
    senderCpuPct: pct(s0.sender, s1.sender),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The many-source flood from banned addresses (last bullet)

interface WideResult {
  stack: StackName;
  firewall?: string;
  sentRate: number;
  sent: number;
  /** Of the flood's INVITEs, how many reached the SIP server's socket and the guard. */
  reachedServer: number;
  judged: number;
  bans: number;
  elements?: number;
  guardCpuPct: number;
  serverCpuPct: number;
  senderCpuPct: number;
  seconds: number;
  settleSeconds: number;
}

async function wideFlood(
  net: FloodNet,
  dir: string,
  name: StackName,
  sender: Child<SenderRequest, SenderReply>,
  seconds: number,
): Promise<WideResult> {
  const stack = await startStack(net, dir, name);
  try {
    // Every source sends one INVITE (judged, banned on its fingerprint), slowly enough for every stack to keep up.
    sender.send({ type: 'run', rate: 2_000, seconds: WIDE_SOURCES / 2_000, host: SERVER_IP, port: 5060 });
    await sender.next('done', 60_000);
    // Settled: nothing more arriving at the server, no bouncer work pending (bounded: 30 s).
    const t0 = performance.now();
    let last = await stack.counters();
    for (let quiet = 0; quiet < 2 && performance.now() - t0 < 30_000; ) {
      await new Promise((r) => setTimeout(r, 500));
      const c = await stack.counters();
      quiet = c.pending === 0 && c.datagramsIn === last.datagramsIn && c.judged === last.judged ? quiet + 1 : 0;
      last = c;
    }
    const settleSeconds = (performance.now() - t0) / 1000;
    const s0 = sample(stack, sender.pid);
    sender.send({ type: 'run', rate: Number.POSITIVE_INFINITY, seconds, host: SERVER_IP, port: 5060 });
    const sent = await sender.next('done', seconds * 1000 + 30_000);
    const s1 = sample(stack, sender.pid);
    const after = await stack.counters();
    const wall = (s1.t - s0.t) / 1000;
    const pct = (a: TreeSample, b: TreeSample) => ((b.cpu - a.cpu) / wall) * 100;
    return {
      stack: name,
      ...(name === 'drachtio+nft' ? { firewall: stack.notes.find((n) => n.startsWith(BOUNCER_NOTE)) ?? '' } : {}),
      sentRate: sent.sent / sent.seconds,
      sent: sent.sent,
      reachedServer: after.datagramsIn - last.datagramsIn,
      judged: after.judged - last.judged,
      bans: after.bans,
      ...(after.elements === undefined ? {} : { elements: after.elements }),
      guardCpuPct: pct(s0.guard!, s1.guard!),
      serverCpuPct: pct(s0.server, s1.server),
      senderCpuPct: pct(s0.sender, s1.sender),
      seconds: wall,
      settleSeconds,
    };
  } finally {
    await stack.close();
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** The rate actually sent in the last step that held before the first that failed (0: none held). */
function highestHeld(steps: readonly StepResult[]): number {
  let best = 0;
  for (const s of steps) {
    if (!s.held) break;
    best = s.sentRate;
  }
  return best;
}

export async function flood(): Promise<{ rows: Row[]; notes: string[] }> {
  const rates = (envList('GG_FLOOD_RATES') ?? DEFAULT_RATES.map(String)).map(Number);
  const seconds = Number(process.env.GG_FLOOD_SECONDS ?? 10);
  const stacks = (envList('GG_FLOOD_STACKS') ?? [...STACKS]) as StackName[];
  for (const s of stacks)
    if (!STACKS.includes(s)) throw new Error(`GG_FLOOD_STACKS: unknown stack ${s} (${STACKS.join(', ')})`);
  const wide = process.env.GG_FLOOD_WIDE !== '0';
  const notes: string[] = [];
  const rows: Row[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'gg-bench-flood-'));
  let net: FloodNet;
  try {
    net = createFloodNet();
  } catch (err) {
    // Said in the table (a MISS), not skipped silently; the other scenarios of `pnpm bench` still run.
    rmSync(dir, { recursive: true, force: true });
    return {
      rows: [{ name: 'flood bench could not run', value: 0, unit: '', goal: { kind: 'min', value: 1, label: 'runs' } }],
      notes: [`${(err as Error).message} (the flood bench needs root and network namespaces)`],
    };
  }
  const children: Array<{ kill(): void }> = [];
  const say = (line: string) => {
    console.log(`  [flood] ${line}`);
    notes.push(line);
  };
  try {
    const sender = nodeChild<SenderRequest, SenderReply>(net, net.client, 'scanner', 'flood-sender.ts', []);
    const legit = nodeChild<LegitRequest, LegitReply>(net, net.client, 'legitimate caller', 'flood-legit.ts', []);
    children.push(sender, legit);
    await legit.next('ready', 30_000);
    sender.send({ type: 'bind', sources: SCANNER_IPS });
    const bound = await sender.next('bound', 30_000);
    if (bound.sockets !== SCANNER_IPS.length)
      throw new Error(`scanner bound ${bound.sockets} of ${SCANNER_IPS.length} sources`);

    // The sender's own ceiling, to a closed port of the server namespace (the kernel drops them there).
    sender.send({ type: 'run', rate: Number.POSITIVE_INFINITY, seconds: 3, host: SERVER_IP, port: 9 });
    const top = await sender.next('done', 60_000);
    const senderMax = top.sent / top.seconds;
    say(
      `sender: Node dgram, one socket per source address (${bound.sockets}), paced by a 1 ms timer; its ceiling here ${fmt(senderMax, 0)} INVITEs/s ` +
        `(3 s unpaced to a closed port, ${fmt((top.cpu / top.seconds) * 100, 0)} % of a core incl. the veth transmit)`,
    );
    rows.push({
      name: 'sender ceiling (Node dgram, 100 sources)',
      value: senderMax,
      unit: 'INVITE/s',
      goal: { kind: 'min', value: 20_000 },
    });

    const results = new Map<StackName, StepResult[]>();
    let bouncer = '';
    for (const name of stacks) {
      const stack = await startStack(net, dir, name);
      const steps: StepResult[] = [];
      results.set(name, steps);
      try {
        for (const n of stack.notes) say(`${name}: ${n}`);
        if (name === 'drachtio+nft') bouncer = stack.notes.find((n) => n.startsWith(BOUNCER_NOTE)) ?? '';
        legit.send(stack.register);
        const reg = await legit.next('registered', 30_000);
        if (reg.status !== 200) throw new Error(`${name}: the room's REGISTER got ${reg.status ?? 'no answer'}`);
        for (const rate of rates) {
          const r = await runStep(stack, sender, legit, rate, seconds);
          steps.push(r);
          say(describeStep(r));
          if (!r.held) break;
        }
        say(`${name}: ${await stack.stats()}`);
        // The flood must have reached the server where nothing stands in front of it.
        if (name === 'kamailio') {
          const blocks = Number(/pike blocks logged: (\d+)/.exec(await stack.stats())?.[1] ?? 0);
          if (blocks === 0) say('CHECK FAILED (kamailio): no pike block logged, the scanners never reached it');
        } else if (name === 'drachtio') {
          const c = await stack.counters();
          if (c.datagramsIn < rates[0]! * seconds * 0.9)
            say(`CHECK FAILED (drachtio): only ${c.datagramsIn} datagrams reached the stand-in`);
        }
      } finally {
        await stack.close();
      }
    }

    const anchor = highestHeld(results.get('kamailio') ?? []);
    const anchorTop = results.get('kamailio')?.every((x) => x.held) === true;
    for (const [name, steps] of results) {
      const heldAll = steps.length === rates.length && steps.every((x) => x.held);
      const held = highestHeld(steps);
      const top = steps.at(-1);
      const lastHeld = steps.filter((s) => s.held).at(-1);
      const ref = lastHeld ?? top;
      const ratio =
        name === 'kamailio' || anchor === 0
          ? ''
          : `; Kamailio held ${fmt(anchor, 0)}/s${anchorTop ? ' (every step)' : ''}: ${held === 0 ? 'n/a' : `1 : ${fmt(anchor / held, 1)}`}` +
            (heldAll && anchorTop ? ' (both held every step: bounded by the sender, not by either stack)' : '');
      const failedAt = steps.find((s) => !s.held);
      const missing = name === 'drachtio+nft' && !bouncer.endsWith(': attached') ? ' (bouncer NOT ATTACHED)' : '';
      rows.push({
        name: `${name}${missing}: highest scanner rate held`,
        value: held,
        unit: 'INVITE/s',
        goal: { kind: 'min', value: GOAL_RATE },
        note:
          `≥ 99 % of legitimate calls kept with p99 setup ≤ 500 ms, 100 rotating sources, ${seconds} s steps` +
          '; the value is the rate actually sent in the last step that held' +
          (failedAt
            ? `; failed at ${fmt(failedAt.rate, 0)}/s (sent ${fmt(failedAt.sentRate, 0)}/s)`
            : heldAll
              ? '; every step held (a lower bound: the top step is the most this sender gave)'
              : '') +
          ratio,
      });
      if (ref) {
        if (ref.guardUs !== undefined) {
          rows.push({
            name: `${name}: guard CPU per scanner INVITE at ${fmt(ref.rate, 0)}/s`,
            value: ref.guardUs,
            unit: 'µs',
            note: `guard memory ${mb(steps[0]!.guardMem![0])} at the first step → ${mb(ref.guardMem![1])}`,
          });
        }
        rows.push({
          name: `${name}: SIP server CPU per scanner INVITE at ${fmt(ref.rate, 0)}/s`,
          value: ref.serverUs,
          unit: 'µs',
          note: `${name === 'kamailio' ? 'all Kamailio processes' : 'the drachtio-server stand-in (Node)'}; memory ${mb(steps[0]!.serverMem[0])} → ${mb(ref.serverMem[1])}`,
        });
        // Flat: what the process holds at the end of the last step against the end of the first (start-up, JIT and the
        // first bans are in the first step), the heap scenario's rule (≤ +10 %).
        const flat = (label: string, first: number, last: number): Row => ({
          name: `${name}: ${label} memory growth after the first step`,
          value: Math.max(0, last - first) / MB,
          unit: 'MB',
          goal: { kind: 'max', value: (first * 0.1) / MB, label: 'flat: <= +10 %' },
          note: `Pss ${mb(first)} at the end of the first step → ${mb(last)} at the end of the last (${fmt(steps.at(-1)!.rate, 0)}/s)`,
        });
        if (steps[0]!.guardMem) rows.push(flat('guard', steps[0]!.guardMem[1], steps.at(-1)!.guardMem![1]));
        rows.push(flat('SIP server', steps[0]!.serverMem[1], steps.at(-1)!.serverMem[1]));
        rows.push({
          name: `${name}: log lines per second, highest over the steps`,
          value: Math.max(...steps.map((s) => s.logRate)),
          unit: 'lines/s',
          note:
            name === 'kamailio'
              ? "Kamailio's stderr (-E) at the stock level: pike's ALERT, BLOCK and UNBLOCK per source, acc lines of the legitimate calls"
              : "the guard process (pino, stdout to a file, the example's level)",
        });
      }
      if (name !== 'kamailio' && anchor > 0 && held > 0) {
        rows.push({
          name: `${name}: held rate / Kamailio's`,
          value: held / anchor,
          unit: 'x',
          goal: { kind: 'min', value: 1 },
        });
      }
    }

    if (wide) {
      sender.send({ type: 'bind', sources: { prefix: 'wide', count: WIDE_SOURCES } });
      const wb = await sender.next('bound', 120_000);
      say(
        `many-source flood: ${wb.sockets} sources bound in ${WIDE_PREFIX.base}/${WIDE_PREFIX.bits} (local route, AnyIP), ${wb.failed} failed`,
      );
      const wideSeconds = Math.max(3, seconds);
      const out: WideResult[] = [];
      for (const name of ['drachtio', 'drachtio+nft'] as const) {
        const w = await wideFlood(net, dir, name, sender, wideSeconds);
        out.push(w);
        say(
          `${name}: ${WIDE_SOURCES} banned sources flooding at ${fmt(w.sentRate, 0)}/s for ${fmt(w.seconds, 1)} s: guard ${fmt(w.guardCpuPct, 1)} % of a core ` +
            `(${fmt((w.guardCpuPct * w.seconds * 1e4) / Math.max(1, w.sent), 2)} µs per INVITE sent), ` +
            `stand-in ${fmt(w.serverCpuPct, 0)} %, sender ${fmt(w.senderCpuPct, 0)} %; ${w.reachedServer} of ${w.sent} INVITEs reached the stand-in, ` +
            `${w.judged} were judged; the guard holds ${w.bans} bans (prefix folding)${w.elements === undefined ? '' : `, ${w.elements} kernel set elements`}; ` +
            `settled ${fmt(w.settleSeconds, 1)} s after the first INVITE of each source${w.firewall ? `; ${w.firewall}` : ''}`,
        );
      }
      const [without, withFw] = out as [WideResult, WideResult];
      const attached = withFw.firewall?.endsWith(': attached') === true;
      rows.push({
        name: `flood from 10,000 banned sources: guard CPU with the bouncer${attached ? '' : ' (NOT ATTACHED)'}`,
        value: withFw.guardCpuPct,
        unit: '% of a core',
        goal: { kind: 'max', value: WIDE_CPU_GOAL },
        note:
          `at ${fmt(withFw.sentRate, 0)} INVITEs/s (the sender's most, unpaced); without the bouncer ${fmt(without.guardCpuPct, 1)} % at ${fmt(without.sentRate, 0)}/s ` +
          `(the sender sends less there: every INVITE that reaches the stand-in brings back a 100 Trying; ${without.reachedServer} of ${without.sent} reached it); ` +
          `CPU from /proc ticks (10 ms) over ${fmt(withFw.seconds, 1)} s, so ${fmt(1 / withFw.seconds, 2)} % is one tick${attached ? '' : `; ${withFw.firewall}`}`,
      });
      rows.push({
        name: 'flood from 10,000 banned sources: guard CPU with / without the bouncer',
        value: without.guardCpuPct > 0 ? withFw.guardCpuPct / without.guardCpuPct : Number.NaN,
        unit: 'x',
      });
    }
    notes.push(
      'measured on a 2-core machine shared with other work: CPU and rates are noisy; the sender itself takes up to a core at its top rate',
    );
    return { rows, notes };
  } finally {
    for (const c of children) c.kill();
    net.destroy();
    // GG_FLOOD_KEEP=1 keeps the logs and configurations for a look afterwards.
    if (process.env.GG_FLOOD_KEEP === '1') console.log(`  [flood] logs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
