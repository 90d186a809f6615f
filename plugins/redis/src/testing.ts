/**
 * A real `redis-server` for tests and benches, exported as `@ghostguard/redis/testing`: started on 127.0.0.1
 * with a random free port, no persistence (`--save '' --appendonly no`) in a temporary directory, ready once it
 * answers PING; killed (SIGKILL, as a crash), stopped (SIGTERM), and restarted on the same port (empty, since
 * nothing is persisted) for the "Redis is back" cases. A child still running when this process exits is killed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';

import { RedisBansError } from './errors.js';

export { waitUntil } from '@ghostguard/core/testing';

export const DEFAULT_REDIS_SERVER = '/usr/bin/redis-server';

export interface RedisServerOptions {
  /** Path of the redis-server binary; default `/usr/bin/redis-server` (Debian). */
  bin?: string;
  /** How long to wait for PING to answer after a start; default 10 s. */
  startTimeoutMs?: number;
  /**
   * Start a Sentinel instead (same binary, `--sentinel`) watching the master on 127.0.0.1:`masterPort` under
   * `masterName`, with a quorum of 1.
   */
  sentinel?: { masterName: string; masterPort: number };
}

export interface TestRedisServer {
  readonly host: '127.0.0.1';
  /** Fixed for the server's whole life, across restarts. */
  readonly port: number;
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  /** Whether a redis-server process is running now. */
  readonly running: boolean;
  /** SIGKILL: the server vanishes mid-run, as in a crash. Resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty: nothing was persisted); resolves once it answers PING. */
  restart(): Promise<void>;
  /** Stops it (SIGTERM, then SIGKILL after 5 s) and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/** A port the kernel just handed out on 127.0.0.1 (free now; the server binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() =>
        port > 0 ? resolve(port) : reject(new RedisBansError('GG_REDIS_TEST_SERVER', 'no port from the kernel')),
      );
    });
  });
}

/** Whether a Redis on the port answers `PING` with `+PONG` within `timeoutMs`. */
function pingOnce(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect({ host: '127.0.0.1', port });
    let got = '';
    const done = (ok: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.on('error', () => done(false));
    socket.on('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      got += chunk.toString('latin1');
      if (got.includes('\r\n')) done(got.startsWith('+PONG'));
      else if (got.length > 256) done(false);
    });
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Starts a redis-server on 127.0.0.1 with a random free port (retrying a few ports if one is taken meanwhile). */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<TestRedisServer> {
  const bin = options.bin ?? DEFAULT_REDIS_SERVER;
  const startTimeoutMs = options.startTimeoutMs ?? 10_000;
  const dir = mkdtempSync(join(tmpdir(), 'ghostguard-redis-'));
  let child: ChildProcess | undefined;
  let stderr = '';
  const killOnExit = (): void => {
    child?.kill('SIGKILL');
  };
  process.once('exit', killOnExit);

  const launch = async (port: number): Promise<boolean> => {
    stderr = '';
    let configFile: string[] = [];
    if (options.sentinel !== undefined) {
      // Sentinel rewrites its configuration file, so it gets one of its own in the temporary directory.
      const file = join(dir, 'sentinel.conf');
      const { masterName, masterPort } = options.sentinel;
      writeFileSync(file, `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 1\n`);
      configFile = [file, '--sentinel'];
    }
    const proc = spawn(
      bin,
      [
        ...configFile,
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        dir,
        '--daemonize',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    child = proc;
    // Only the tail matters (why it did not start); never keep more than a few KiB.
    const keep = (chunk: Buffer): void => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4096);
    };
    proc.stdout?.on('data', keep);
    proc.stderr?.on('data', keep);
    proc.on('error', (err) => {
      stderr += `\n${err.message}`;
    });
    const deadline = performance.now() + startTimeoutMs;
    while (performance.now() < deadline) {
      if (proc.exitCode !== null || proc.signalCode !== null) return false;
      if (await pingOnce(port, 500)) return true;
      await new Promise((r) => setTimeout(r, 20));
    }
    proc.kill('SIGKILL');
    await exited(proc);
    throw new RedisBansError(
      'GG_REDIS_TEST_SERVER',
      `redis-server did not answer PING on port ${port} within ${startTimeoutMs} ms: ${stderr.trim()}`,
    );
  };

  let port = 0;
  for (let attempt = 0; attempt < 5 && port === 0; attempt++) {
    const candidate = await freePort();
    if (await launch(candidate)) port = candidate;
  }
  if (port === 0) {
    process.off('exit', killOnExit);
    rmSync(dir, { recursive: true, force: true });
    throw new RedisBansError('GG_REDIS_TEST_SERVER', `redis-server (${bin}) would not start: ${stderr.trim()}`);
  }

  const stopChild = async (signal: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited(proc);
    clearTimeout(timer);
  };
  let stopped = false;

  return {
    host: '127.0.0.1',
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    kill: () => stopChild('SIGKILL'),
    restart: async () => {
      if (stopped) throw new RedisBansError('GG_REDIS_TEST_SERVER', 'redis-server was stopped for good');
      await stopChild('SIGKILL');
      // The port was ours a moment ago; a restart that loses it to another process is an error, not a retry.
      if (!(await launch(port))) {
        throw new RedisBansError(
          'GG_REDIS_TEST_SERVER',
          `redis-server could not restart on port ${port}: ${stderr.trim()}`,
        );
      }
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stopChild('SIGTERM');
      process.off('exit', killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
