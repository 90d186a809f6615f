import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { waitUntil } from '@ghostguard/h323-gate/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  bansOnDisk,
  memoryLogger,
  TOKEN,
  tempDir,
  WAIT_MS,
  writeConfig,
} from '../daemon/test-support/daemon-harness.js';
import { bufferOutput } from '../output.js';
import { runDaemonCommand } from './run.js';

const ROOT = resolve(import.meta.dirname, '../../..');
/** The CLI entry point; GG_CLI_BIN runs the same test against another build (e.g. cli/bin/ghostguard.mjs). */
const BIN = process.env.GG_CLI_BIN ?? join(ROOT, 'cli/src/bin.ts');
/** Starting node with tsx on a loaded 2-core box can take seconds: every wait here is bounded by this. */
const PROCESS_WAIT_MS = 30_000;

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

interface Spawned {
  child: ChildProcess;
  /** JSON log lines on stdout so far. */
  logs(): Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<number | null>;
}

function spawnCli(args: string[]): Spawned {
  const env = { ...process.env };
  delete env.GHOSTGUARD_ADMIN_TOKEN;
  const child = spawn(process.execPath, ['--conditions=@ghostguard/source', '--import', 'tsx', BIN, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (b: Buffer) => {
    if (out.length < 4 << 20) out += b.toString('utf8');
  });
  child.stderr?.on('data', (b: Buffer) => {
    if (err.length < 1 << 20) err += b.toString('utf8');
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => err,
    exited,
  };
}

describe('ghostguard run (the real CLI)', () => {
  it('starts from a config file, reloads on SIGHUP, and on SIGTERM exits 0 with the bans written', async () => {
    const dir = tempDir();
    const path = join(dir, 'gg.yaml');
    const config = {
      log: { level: 'info' },
      dataDir: join(dir, 'data'),
      adapters: { h323Gate: { listen: { host: '127.0.0.1', port: 0 } } },
      daemon: {
        admin: { listen: { host: '127.0.0.1', port: 0 }, token: TOKEN },
        metrics: { listen: { host: '127.0.0.1', port: 0 } },
      },
    };
    writeConfig(path, config);
    const cli = spawnCli(['run', '--config', path]);
    const find = (event: string) => cli.logs().filter((l) => l.event === event);
    await waitUntil(
      () => find('daemon-started').length > 0 || cli.child.exitCode !== null,
      PROCESS_WAIT_MS,
      'the daemon to start',
    );
    expect(cli.child.exitCode, cli.stderr()).toBeNull();
    const components = find('daemon-started')[0]?.components as Record<string, { host: string; port: number }>;
    expect(Object.keys(components).sort()).toEqual(['admin', 'h323Gate', 'metrics']);

    const res = await fetch(`http://127.0.0.1:${components.admin?.port}/v1/bans`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ ip: '192.0.2.77', reason: 'spawned test' }),
      signal: AbortSignal.timeout(WAIT_MS),
    });
    expect(res.status).toBe(201);

    writeConfig(path, { ...config, dialShape: { knownTargets: ['4001'] } });
    cli.child.kill('SIGHUP');
    await waitUntil(() => find('reloaded').length > 0, PROCESS_WAIT_MS, 'the SIGHUP reload');
    expect(find('reloaded')[0]).toMatchObject({ unchanged: ['h323Gate', 'metrics', 'admin'], restarted: [] });

    cli.child.kill('SIGTERM');
    const code = await Promise.race([
      cli.exited,
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), PROCESS_WAIT_MS).unref()),
    ]);
    expect(code, cli.stderr()).toBe(0);
    expect(find('daemon-stopped')).toHaveLength(1);
    // A restart reads the bans back from dataDir.
    expect(bansOnDisk(join(dir, 'data'))).toEqual(['192.0.2.77']);
  });
});

describe('ghostguard run (in process)', () => {
  it('exit 1 with a message when a component cannot start; a bad file throws GG_CONFIG_INVALID (exit 2 in main)', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen({ host: '127.0.0.1', port: 0 }, done));
    try {
      const port = (holder.address() as { port: number }).port;
      const dir = tempDir();
      const path = writeConfig(join(dir, 'gg.yaml'), {
        log: { level: 'silent' },
        adapters: { h323Gate: { listen: { host: '127.0.0.1', port } } },
        daemon: { admin: false, metrics: false },
      });
      const out = bufferOutput();
      const code = await runDaemonCommand({ configPath: path, until: new Promise(() => {}) }, out);
      expect(code).toBe(1);
      expect(out.stderr.join('\n')).toMatch(/h323Gate could not start: .*EADDRINUSE/);

      writeConfig(path, { adapters: { h323Gate: { listen: { port: 'x' } } } });
      await expect(runDaemonCommand({ configPath: path, until: Promise.resolve() }, out)).rejects.toMatchObject({
        code: 'GG_CONFIG_INVALID',
        message: expect.stringContaining('adapters.h323Gate.listen.port'),
      });
    } finally {
      await new Promise<void>((done) => holder.close(() => done()));
    }
  });

  it('runs until `until` resolves, then stops and returns 0', async () => {
    const dir = tempDir();
    const path = writeConfig(join(dir, 'gg.yaml'), {
      dataDir: join(dir, 'data'),
      adapters: { h323Gate: { listen: { host: '127.0.0.1', port: 0 } } },
      daemon: { admin: false, metrics: false },
    });
    let stop: () => void = () => {};
    const until = new Promise<void>((done) => {
      stop = done;
    });
    const out = bufferOutput();
    const { logger, sink } = memoryLogger();
    const running = runDaemonCommand(
      { configPath: path, until, logger, onStarted: (d) => d.guard.bans.add('192.0.2.8', { reason: 'x' }) },
      out,
    );
    await waitUntil(() => sink.find('daemon-started').length === 1, WAIT_MS, 'the daemon to start');
    stop();
    expect(await running).toBe(0);
    expect(out.stderr.join('\n')).toMatch(/running \(h323Gate 127\.0\.0\.1:\d+\).*\n.*stopped/);
    expect(bansOnDisk(join(dir, 'data'))).toContain('192.0.2.8');
  });
});
