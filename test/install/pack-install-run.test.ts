/**
 * The operator's path (issue 19): every package packs with its dist/, types and only runtime dependencies;
 * `npm install -g @ghostguard/cli` into a temporary prefix installs a working `ghostguard`; the installed
 * command prints its version, analyses a recording and runs the daemon on loopback until SIGTERM.
 *
 * Needs `pnpm build` first (`pnpm test` runs it before vitest). The install talks to a registry on
 * 127.0.0.1 only (test/install/registry.ts): the packed packages plus the third-party packages pnpm
 * installed here, so it runs offline. Each step is bounded by a timeout.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalRegistry, manifestOf, type PackedPackage, packThirdParty, startRegistry } from './registry.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
/** Every package that is published (test/ and the examples are not). */
const PACKAGES = [
  'core',
  'cli',
  'plugins/asterisk',
  'plugins/drachtio',
  'plugins/feeds',
  'plugins/freeswitch',
  'plugins/h323-gate',
  'plugins/nftables',
  'plugins/redis',
  'stand-ins',
  'demo',
];
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'cli/package.json'), 'utf8')) as { version: string }).version;
const FIXTURE = join(ROOT, 'test/fixtures/recorded/kamailio-svmap-invite.pcap');

let work: string;
let prefix: string;
let registry: LocalRegistry | undefined;
const packed = new Map<string, PackedPackage & { dir: string; files: string[] }>();

function ghostguard(): string {
  return join(prefix, 'bin', 'ghostguard');
}

/** Environment for npm: nothing from the user's npmrc, a private cache, our registry only. */
function npmEnv(): NodeJS.ProcessEnv {
  const userconfig = join(work, 'npmrc');
  const globalconfig = join(work, 'npmrc-global');
  writeFileSync(userconfig, '');
  writeFileSync(globalconfig, '');
  return {
    PATH: process.env.PATH,
    HOME: work,
    npm_config_userconfig: userconfig,
    npm_config_globalconfig: globalconfig,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_registry: registry?.url,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
}

beforeAll(async () => {
  for (const dir of PACKAGES) {
    if (!existsSync(join(ROOT, dir, 'dist'))) {
      throw new Error(`${dir}/dist is missing: run \`pnpm build\` before this test (pnpm test does)`);
    }
  }
  work = mkdtempSync(join(tmpdir(), 'gg-install-'));
  prefix = join(work, 'prefix');
  const packs = join(work, 'packs');
  mkdirSync(packs);
  for (const dir of PACKAGES) {
    const { stdout } = await run('pnpm', ['pack', '--pack-destination', packs], {
      cwd: join(ROOT, dir),
      timeout: 60_000,
    });
    const tarball = stdout.trim().split('\n').at(-1)?.trim() ?? '';
    const manifest = manifestOf(tarball);
    const { stdout: list } = await run('tar', ['-tzf', tarball], { timeout: 30_000 });
    packed.set(String(manifest.name), {
      name: String(manifest.name),
      version: String(manifest.version),
      manifest,
      tarball,
      dir: join(ROOT, dir),
      files: list.split('\n').filter(Boolean),
    });
  }
  const thirdParty = packThirdParty(
    [
      ...[...packed.values()].map((p) => ({ dir: p.dir, dependencies: p.manifest.dependencies ?? {} })),
      // for the app that type-checks against the installed packages
      { dir: ROOT, dependencies: { '@types/node': '*' } },
    ],
    packs,
  );
  registry = await startRegistry([...packed.values(), ...thirdParty]);
  // --ignore-scripts: the native addon (better-sqlite3) comes compiled in its tarball; nothing is fetched
  await run(
    'npm',
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--ignore-scripts',
      '--legacy-peer-deps',
      '--no-audit',
      `@ghostguard/cli@${VERSION}`,
    ],
    { env: npmEnv(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
  );
}, 600_000);

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('packing every package', () => {
  it('puts dist/ with types in every package and no sources or tests', () => {
    expect([...packed.keys()].sort()).toHaveLength(PACKAGES.length);
    for (const p of packed.values()) {
      expect(p.files.filter((f) => /^package\/dist\/.*\.js$/.test(f)).length, p.name).toBeGreaterThan(0);
      expect(p.files.filter((f) => /^package\/dist\/.*\.d\.ts$/.test(f)).length, p.name).toBeGreaterThan(0);
      expect(
        // sources stay out; an ambient declaration the types reference (drachtio-srf's gaps) ships as is
        p.files.filter((f) => f.startsWith('package/src/') && !f.endsWith('.d.ts')),
        p.name,
      ).toEqual([]);
      expect(
        p.files.filter((f) => /\.test\.(js|d\.ts)$/.test(f)),
        p.name,
      ).toEqual([]);
    }
  });

  it('gives every export of every package a file that is in the tarball', () => {
    for (const p of packed.values()) {
      const exports = (p.manifest.exports ?? {}) as Record<string, Record<string, string>>;
      for (const [sub, conditions] of Object.entries(exports)) {
        for (const condition of ['types', 'default']) {
          const target = conditions[condition];
          expect(target, `${p.name} ${sub} ${condition}`).toBeDefined();
          expect(p.files, `${p.name} ${sub} ${condition}`).toContain(`package/${String(target).replace(/^\.\//, '')}`);
        }
      }
    }
  });

  it('leaves the stand-ins and test packages out of the ghostguard command', () => {
    const cli = packed.get('@ghostguard/cli');
    expect(Object.keys(cli?.manifest.dependencies ?? {})).not.toContain('@ghostguard/stand-ins');
    for (const p of packed.values()) {
      const deps = Object.keys(p.manifest.dependencies ?? {});
      expect(deps, p.name).not.toContain('@ghostguard/test');
      expect(deps, p.name).not.toContain('vitest');
      if (p.name !== '@ghostguard/demo') expect(deps, p.name).not.toContain('@ghostguard/stand-ins');
    }
  });
});

describe('the installed ghostguard command', () => {
  it('installs from the packs alone, nothing asked of the registry that was not packed', () => {
    expect(registry?.misses).toEqual([]);
    expect(existsSync(ghostguard())).toBe(true);
  });

  it('prints its version', async () => {
    const { stdout } = await run(ghostguard(), ['--version'], { timeout: 30_000 });
    expect(stdout.trim()).toBe(VERSION);
  });

  it('analyses a recorded svmap scan and refuses it', async () => {
    const { stdout } = await run(ghostguard(), ['analyze', FIXTURE, '--json'], {
      timeout: 60_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    const lines = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { action: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.some((l) => l.action !== 'allow')).toBe(true);
  });

  it('runs the daemon from a minimal configuration on loopback and stops on SIGTERM', async () => {
    const config = join(work, 'ghostguard.yaml');
    writeFileSync(
      config,
      [
        `dataDir: ${JSON.stringify(join(work, 'data'))}`,
        'adapters:',
        '  h323Gate:',
        '    listen: { host: 127.0.0.1, port: 0 }',
        '    upstreams:',
        '      default: { host: 127.0.0.1, port: 9 }',
        'daemon:',
        '  admin: false',
        '  metrics: { listen: { host: 127.0.0.1, port: 0 } }',
        '',
      ].join('\n'),
    );
    mkdirSync(join(work, 'data'), { recursive: true });
    const child: ChildProcess = spawn(ghostguard(), ['run', '--config', config], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    const exited = new Promise<number | null>((resolveExit) => child.on('exit', (code) => resolveExit(code)));
    const running = new Promise<void>((resolveRunning, reject) => {
      child.stderr?.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes('ghostguard run: running')) resolveRunning();
      });
      void exited.then((code) => reject(new Error(`exited ${code} before running:\n${stderr}`)));
    });
    child.stdout?.resume();
    try {
      await running;
      expect(stderr).toMatch(/h323Gate 127\.0\.0\.1:\d+/);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(stderr).toContain('ghostguard run: stopped');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 60_000);

  it('runs as the example systemd unit says: the unit verifies and its configuration passes check', async () => {
    const unit = readFileSync(join(ROOT, 'examples/systemd/ghostguard.service'), 'utf8');
    expect(unit).toContain('ExecStart=/usr/local/bin/ghostguard run --config /etc/ghostguard/ghostguard.yaml');
    for (const directive of [
      'User=ghostguard',
      'ProtectSystem=strict',
      'StateDirectory=ghostguard',
      'NoNewPrivileges=yes',
      'Restart=on-failure',
    ]) {
      expect(unit).toContain(directive);
    }
    // the unit as systemd reads it, with the binary where this install put it
    const local = join(work, 'ghostguard.service');
    writeFileSync(local, unit.replaceAll('/usr/local/bin/ghostguard', ghostguard()));
    // an unknown or misspelt directive is only a warning (exit 0) to systemd: none is accepted here
    const verify = await run('systemd-analyze', ['verify', '--man=no', local], { timeout: 30_000 });
    expect(verify.stderr.trim()).toBe('');
    // ExecStartPre: the example configuration, with the token the EnvironmentFile gives
    const check = await run(ghostguard(), ['check', '--config', join(ROOT, 'examples/systemd/ghostguard.yaml')], {
      timeout: 30_000,
      env: { ...process.env, GHOSTGUARD_ADMIN_TOKEN: 'a'.repeat(48) },
    });
    expect(JSON.parse(check.stdout)).toMatchObject({ dataDir: '/var/lib/ghostguard' });
  });
});

describe('an app built on the installed packages', () => {
  it('type-checks against their shipped types alone (no skipLibCheck), drachtio-srf augmentation included', async () => {
    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run(
      'npm',
      [
        'install',
        '--ignore-scripts',
        '--legacy-peer-deps',
        '--no-audit',
        '@ghostguard/drachtio',
        '@ghostguard/asterisk',
        '@ghostguard/freeswitch',
        '@ghostguard/h323-gate',
        '@ghostguard/core',
        'drachtio-srf',
        '@types/node',
      ],
      { cwd: app, env: npmEnv(), timeout: 240_000, maxBuffer: 16 * 1024 * 1024 },
    );
    writeFileSync(
      join(app, 'app.ts'),
      [
        "import Srf from 'drachtio-srf';",
        "import { attachDrachtio, withMethods } from '@ghostguard/drachtio';",
        "import { attachAsterisk } from '@ghostguard/asterisk';",
        "import { attachFreeswitch } from '@ghostguard/freeswitch';",
        "import { attachH323Gate } from '@ghostguard/h323-gate';",
        "import { createGuard } from '@ghostguard/core';",
        'const guard = createGuard({});',
        'const srf = new Srf();',
        'attachDrachtio(guard, srf);',
        'withMethods(srf).register((req, res) => { res.send(200); });',
        'export const adapters = [attachAsterisk, attachFreeswitch, attachH323Gate];',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ['node'],
        },
        include: ['app.ts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const result = await run(process.execPath, [tsc, '-p', app], { timeout: 120_000 }).catch(
      (err: { stdout?: string }) => err,
    );
    expect((result as { stdout?: string }).stdout ?? '').toBe('');
  }, 300_000);
});
