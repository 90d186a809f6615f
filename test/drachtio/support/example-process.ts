import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntil } from '@ghostguard/drachtio/testing';
import { EXAMPLE_CONFIG, EXAMPLE_DIR } from './room-proxy.js';

/** One JSON log line of the example's process (pino). */
export interface LogLine {
  level: number;
  event?: string;
  msg?: string;
  [key: string]: unknown;
}

export interface ExampleProcess {
  readonly child: ChildProcess;
  /** Every JSON line the process wrote on stdout so far. */
  readonly lines: LogLine[];
  /** What it wrote on stderr. */
  stderr(): string;
  /** Resolves with the exit code (or the signal) once the process has ended. */
  readonly exited: Promise<number | string>;
  readonly hasExited: boolean;
  kill(signal?: NodeJS.Signals): void;
  close(): Promise<void>;
}

export interface SiteValues {
  /** The served domain (the one value of ghostguard.yaml a site changes). */
  domain: string;
  /** accounts.json: room username → password. */
  accounts: Record<string, string>;
  /** Extra top-level YAML appended to the config (e.g. `mode: monitor`); none for the example as shipped. */
  append?: string;
  /** The site's Redis (`shared.url`), in place of the shipped `redis://127.0.0.1:6379`. */
  redisUrl?: string;
}

/** The Redis URL the example ships with (a site value, like the domain). */
export const SHIPPED_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The example exactly as its README runs it: a copy of its ghostguard.yaml with only the site values changed (the
 * domain, and the Redis URL when given; `append`, when a test changes the mode), an accounts.json, and
 * `node --conditions=@ghostguard/source --import tsx src/main.ts ghostguard.yaml accounts.json` from the example's
 * folder with DRACHTIO_SECRET / DRACHTIO_HOST / DRACHTIO_PORT.
 */
export function runExampleProcess(site: SiteValues, drachtio: { host: string; port: number; secret: string }) {
  const dir = mkdtempSync(join(tmpdir(), 'gg-room-proxy-site-'));
  const shipped = readFileSync(EXAMPLE_CONFIG, 'utf8');
  if (!shipped.includes('video.example.com')) throw new Error('the example config no longer names video.example.com');
  const config = join(dir, 'ghostguard.yaml');
  if (site.redisUrl !== undefined && !shipped.includes(SHIPPED_REDIS_URL))
    throw new Error(`the example config no longer names ${SHIPPED_REDIS_URL}`);
  let text = shipped.replaceAll('video.example.com', site.domain);
  if (site.redisUrl !== undefined) text = text.replaceAll(SHIPPED_REDIS_URL, site.redisUrl);
  writeFileSync(config, text + (site.append ? `\n${site.append}\n` : ''));
  const accounts = join(dir, 'accounts.json');
  writeFileSync(accounts, JSON.stringify(site.accounts));
  const child = spawn(
    process.execPath,
    ['--conditions=@ghostguard/source', '--import', 'tsx', 'src/main.ts', config, accounts],
    {
      cwd: EXAMPLE_DIR,
      env: {
        ...process.env,
        DRACHTIO_SECRET: drachtio.secret,
        DRACHTIO_HOST: drachtio.host,
        DRACHTIO_PORT: String(drachtio.port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const lines: LogLine[] = [];
  let partial = '';
  let err = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const p of parts) {
      if (p.trim() === '') continue;
      try {
        lines.push(JSON.parse(p) as LogLine);
      } catch {
        lines.push({ level: 0, msg: p });
      }
    }
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
  });
  let hasExited = false;
  const exited = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      hasExited = true;
      resolve(code ?? signal ?? -1);
    });
  });
  const handle: ExampleProcess = {
    child,
    lines,
    stderr: () => err,
    exited,
    get hasExited() {
      return hasExited;
    },
    kill: (signal = 'SIGTERM') => {
      if (!hasExited) child.kill(signal);
    },
    close: async () => {
      if (!hasExited) {
        child.kill('SIGKILL');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return handle;
}

/** Resolves once the process logged a line with this event (bounded). */
export async function waitForEvent(p: ExampleProcess, event: string, timeoutMs = 20_000): Promise<LogLine> {
  await waitUntil(
    () => p.lines.some((l) => l.event === event) || p.hasExited,
    timeoutMs,
    `the example to log ${event} (stderr: ${p.stderr().slice(0, 300)})`,
  );
  const line = p.lines.find((l) => l.event === event);
  if (line === undefined) throw new Error(`the example exited before logging ${event}: ${p.stderr().slice(0, 500)}`);
  return line;
}
