/**
 * The flood bench's network: two network namespaces joined by a veth pair, created for the run and removed at the
 * end (also on failure, and on SIGINT/SIGTERM of the bench). Nothing is sent outside them and the root namespace's
 * firewall is never touched: every address below exists only inside the two namespaces.
 *
 *   server namespace  ggf<pid>s: veth ggf<pid>a 10.77.0.1/16, lo up          (SIP server, guard, Kamailio)
 *   client namespace  ggf<pid>c: veth ggf<pid>b 10.77.0.2/16                  (sender's own address)
 *                                10.77.0.3 legitimate caller, 10.77.0.4 the room system
 *                                10.77.1.1 … 10.77.1.100 the 100 rotating scanner sources
 *                                local 10.200.0.0/18 on lo: any of its 16,384 addresses can be bound (Linux "AnyIP":
 *                                a `local` route makes a whole prefix local without adding an address per source)
 *   the server namespace routes 10.200.0.0/18 back via 10.77.0.2.
 */
import { type ChildProcess, execFileSync, type StdioOptions, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

export const SERVER_IP = '10.77.0.1';
export const SENDER_IP = '10.77.0.2';
export const CALLER_IP = '10.77.0.3';
export const ROOM_IP = '10.77.0.4';
export const SCANNER_COUNT = 100;
/** The 100 rotating scanner sources. */
export const SCANNER_IPS: readonly string[] = Array.from({ length: SCANNER_COUNT }, (_, i) => `10.77.1.${i + 1}`);
/** The prefix the many-source flood is sent from (16,384 addresses, bound through a `local` route). */
export const WIDE_PREFIX = { base: '10.200.0.0', bits: 18 } as const;

/** The i-th address of WIDE_PREFIX (i < 2^(32-bits)). */
export function wideAddress(i: number): string {
  return `10.200.${(i >> 8) & 63}.${i & 255}`;
}

export interface FloodNet {
  server: string;
  client: string;
  /** Starts a process inside a namespace (`ip netns exec` execs in place: the child's pid is the process's). */
  spawnIn(ns: string, cmd: string, args: readonly string[], stdio: StdioOptions, env?: NodeJS.ProcessEnv): ChildProcess;
  /** Runs a command inside a namespace and returns its stdout. */
  execIn(ns: string, cmd: string, args: readonly string[]): string;
  /** Kills what still runs in the namespaces and removes them (idempotent). */
  destroy(): void;
}

function ip(args: readonly string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function namespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

function pidAlive(pid: number): boolean {
  return existsSync(`/proc/${pid}`);
}

/** Kills every process inside `ns` (only processes the bench started live there) and deletes it. */
function removeNamespace(ns: string): void {
  try {
    const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).split(/\s+/).filter(Boolean);
    for (const p of pids) {
      try {
        process.kill(Number(p), 'SIGKILL');
      } catch {
        // already gone
      }
    }
  } catch {
    // no such namespace
  }
  try {
    ip(['netns', 'del', ns]);
  } catch {
    // already gone
  }
}

/** Namespaces left by an earlier bench run that was killed outright (their owner pid is gone). */
function removeStale(): void {
  for (const ns of namespaces()) {
    const m = /^ggf(\d+)[sc]$/.exec(ns);
    if (m && !pidAlive(Number(m[1]))) removeNamespace(ns);
  }
}

export function createFloodNet(): FloodNet {
  if (process.getuid?.() !== 0) throw new Error('the flood bench creates network namespaces: run it as root');
  removeStale();
  const id = `ggf${process.pid}`;
  const server = `${id}s`;
  const client = `${id}c`;
  const vethServer = `${id}a`;
  const vethClient = `${id}b`;
  let destroyed = false;
  const destroy = (): void => {
    if (destroyed) return;
    destroyed = true;
    removeNamespace(server);
    removeNamespace(client);
    process.off('exit', destroy);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    destroy();
    process.kill(process.pid, signal);
  };
  process.once('exit', destroy);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    ip(['netns', 'add', server]);
    ip(['netns', 'add', client]);
    // Created inside the server namespace, then one end moved: the pair never exists in the root namespace.
    ip(['-n', server, 'link', 'add', vethServer, 'type', 'veth', 'peer', 'name', vethClient]);
    ip(['-n', server, 'link', 'set', vethClient, 'netns', client]);
    for (const ns of [server, client]) ip(['-n', ns, 'link', 'set', 'lo', 'up']);
    ip(['-n', server, 'addr', 'add', `${SERVER_IP}/16`, 'dev', vethServer]);
    ip(['-n', server, 'link', 'set', vethServer, 'up']);
    ip(['-n', server, 'route', 'add', `${WIDE_PREFIX.base}/${WIDE_PREFIX.bits}`, 'via', SENDER_IP]);
    ip(['-n', client, 'addr', 'add', `${SENDER_IP}/16`, 'dev', vethClient]);
    for (const a of [CALLER_IP, ROOM_IP, ...SCANNER_IPS])
      ip(['-n', client, 'addr', 'add', `${a}/16`, 'dev', vethClient]);
    ip(['-n', client, 'link', 'set', vethClient, 'up']);
    ip(['-n', client, 'route', 'add', 'local', `${WIDE_PREFIX.base}/${WIDE_PREFIX.bits}`, 'dev', 'lo']);
  } catch (err) {
    destroy();
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim();
    throw new Error(`could not create the bench's network namespaces: ${stderr || (err as Error).message}`);
  }
  return {
    server,
    client,
    spawnIn: (ns, cmd, args, stdio, env) =>
      spawn('ip', ['netns', 'exec', ns, cmd, ...args], { stdio, env: env ?? process.env }),
    execIn: (ns, cmd, args) =>
      execFileSync('ip', ['netns', 'exec', ns, cmd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    destroy,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// /proc readings of one process tree

const CLK_TCK = 100;

/** The pid and its descendants (Kamailio forks its workers; a Node process is one pid). */
export function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    const p = out[i]!;
    try {
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8').split(/\s+/)) if (c) out.push(Number(c));
    } catch {
      // gone
    }
  }
  return out;
}

/** utime + stime of one process, seconds (fields 14 and 15 of /proc/<pid>/stat, after the parenthesised name). */
function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** Proportional set size, bytes: shared pages split between the processes that map them (Kamailio's shm). */
function pssOf(pid: number): number {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

export interface TreeSample {
  /** CPU seconds of the whole tree. */
  cpu: number;
  /** Memory of the whole tree (sum of Pss), bytes. */
  mem: number;
  processes: number;
}

export function sampleTree(pid: number): TreeSample {
  const pids = processTree(pid);
  let cpu = 0;
  let mem = 0;
  for (const p of pids) {
    cpu += cpuOf(p);
    mem += pssOf(p);
  }
  return { cpu, mem, processes: pids.length };
}

/** UDP receive-buffer drops in the network namespace of `pid` (RcvbufErrors of /proc/<pid>/net/snmp). */
export function udpRcvbufErrors(pid: number): number {
  try {
    const lines = readFileSync(`/proc/${pid}/net/snmp`, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp:'));
    const names = lines[0]!.split(/\s+/);
    const values = lines[1]!.split(/\s+/);
    return Number(values[names.indexOf('RcvbufErrors')] ?? 0);
  } catch {
    return 0;
  }
}
