import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  daemonConfig,
  startRoom,
  startTestDaemon,
  tempDir,
  writeConfig,
} from '../daemon/test-support/daemon-harness.js';
import { COMMAND_HELP, main } from '../main.js';
import { bufferOutput } from '../output.js';
import { runCheck } from './check.js';

const ROOT = resolve(import.meta.dirname, '../../..');

function file(content: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'gg-check-')), 'ghostguard.yaml');
  writeFileSync(path, content);
  return path;
}

async function cli(...argv: string[]) {
  const out = bufferOutput();
  const code = await main(argv, out);
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

const GATE = 'adapters:\n  h323Gate:\n    listen: { host: 127.0.0.1, port: 0 }\ndaemon:\n  admin: false\n';

describe('ghostguard check', () => {
  it('exits 0 for a valid file and prints the effective configuration, defaults filled in', async () => {
    const r = await cli('check', '--config', file(GATE));
    expect(r.code).toBe(0);
    const effective = JSON.parse(r.stdout) as {
      bans: { ttl: number };
      behaviour: { window: number };
      daemon: { metrics: { listen: unknown } };
    };
    expect(effective.bans.ttl).toBe(600_000);
    expect(effective.behaviour.window).toBe(10_000);
    expect(effective.daemon.metrics.listen).toEqual({ host: '127.0.0.1', port: 9734 });
    expect(r.stderr).toMatch(/is valid; ghostguard run would start h323Gate/);
  });

  it('exits 2 naming the file and every bad key with a did-you-mean', async () => {
    const path = file(`${GATE}bans:\n  banscore: 50\ntrust:\n  cidrs: [10.0.0.0/33, 1.2.3.4/8]\n`);
    const r = await cli('check', '--config', path);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(path);
    expect(r.stderr).toContain('bans.banscore: unknown key (did you mean "banScore"?)');
    expect(r.stderr).toContain('trust.cidrs.0');
    expect(r.stderr).toContain('trust.cidrs.1');
  });

  it("checks the adapters' and the daemon's own sections and the admin token, as run would", async () => {
    const badGate = await cli(
      'check',
      '--config',
      file('adapters:\n  h323Gate:\n    lisen: {}\ndaemon:\n  admin: false\n'),
    );
    expect(badGate.code).toBe(2);
    expect(badGate.stderr).toContain('adapters.h323Gate.lisen: unknown key (did you mean "listen"?)');
    const noToken = await cli('check', '--config', file('adapters:\n  h323Gate: {}\n'));
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('the admin endpoint needs a token');
  });

  it('masks secrets in what it prints', async () => {
    const r = await cli(
      'check',
      '--config',
      file(`${GATE.replace('admin: false', 'admin: { token: s3cret-s3cret-s3cret }')}`),
    );
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('s3cret');
    expect(JSON.parse(r.stdout).daemon.admin.token).toBe('***');
  });

  it('exits 2 and says so when the file configures nothing to guard', async () => {
    const r = await cli('check', '--config', file('daemon:\n  admin: false\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('configures nothing to guard');
  });

  it('passes the systemd example with the token its EnvironmentFile gives', () => {
    const out = bufferOutput();
    const path = join(ROOT, 'examples/systemd/ghostguard.yaml');
    expect(runCheck({ configPath: path, env: { GHOSTGUARD_ADMIN_TOKEN: 'a'.repeat(48) } }, out)).toBe(0);
    expect(JSON.parse(out.stdout.join('\n'))).toMatchObject({
      dataDir: '/var/lib/ghostguard',
      daemon: { admin: { listen: { host: '127.0.0.1', port: 9733 } } },
    });
    expect(out.stderr.join('\n')).toContain('would start h323Gate');
  });

  it('passes the shipped daemon example', async () => {
    const r = await cli('check', '--config', join(ROOT, 'examples/daemon/ghostguard.yaml'), '--quiet');
    // the example takes its token from the environment: without one, check says exactly that
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GHOSTGUARD_ADMIN_TOKEN');
  });
});

describe('ghostguard run with nothing to guard', () => {
  it('refuses to start, exit 2, saying which sections would give it something to guard', async () => {
    const r = await cli('run', '--config', file('daemon:\n  admin: false\n  metrics: false\n'));
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/configures nothing to guard: ghostguard run needs adapters\.h323Gate/);
  });
});

describe('a reload that leaves nothing to guard', () => {
  it('is applied but logged as a warning naming the file', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room));
    const { daemon, log } = await startTestDaemon(path);
    expect(log.find('nothing-to-guard')).toEqual([]);
    const { adapters: _dropped, ...rest } = daemonConfig(dir, room);
    writeConfig(path, rest);
    expect((await daemon.reload()).ok).toBe(true);
    expect(log.find('nothing-to-guard')).toMatchObject([{ level: 40, config: path }]);
  });
});

describe('--version and --help', () => {
  it('prints the package version', async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'cli/package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(version);
    }
  });

  it('prints the help of every command with <command> --help and help <command>, exit 0', async () => {
    for (const command of Object.keys(COMMAND_HELP).filter((c) => c !== 'help')) {
      const flag = await cli(command, '--help');
      expect(flag.code, command).toBe(0);
      expect(flag.stdout, command).toContain(`ghostguard ${command}`);
      expect(flag.stdout, command).toContain('exit codes:');
      const help = await cli('help', command);
      expect(help.stdout, command).toBe(flag.stdout);
    }
    expect((await cli('help', 'nope')).code).toBe(2);
  });
});
