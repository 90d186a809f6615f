import { createServer } from 'node:net';
import { join } from 'node:path';
import { sipAttempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import {
  daemonConfig,
  startRoom,
  startTestDaemon,
  TOKEN,
  tempDir,
  urlOf,
  writeConfig,
} from '../daemon/test-support/daemon-harness.js';
import { bufferOutput } from '../output.js';
import { runBans } from './bans.js';

async function bans(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out = bufferOutput();
  const code = await runBans(argv, out, { env });
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

async function runningDaemon() {
  const dir = tempDir();
  const room = await startRoom();
  const { daemon } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room)));
  return { dir, daemon, url: urlOf(daemon.addresses.admin) };
}

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((done) => s.listen({ host: '127.0.0.1', port: 0 }, done));
  const { port } = s.address() as { port: number };
  await new Promise<void>((done) => s.close(() => done()));
  return port;
}

describe('ghostguard bans', () => {
  it('finds the admin endpoint and token in --config (the daemon section) and lists as a table or JSON', async () => {
    const { dir, daemon } = await runningDaemon();
    daemon.guard.bans.add('203.0.113.20', { reason: 'seen scanning' });
    // The daemon's own file names port 0 (tests); an operator's names the real port, as this copy does.
    const clientConfig = writeConfig(join(dir, 'client.yaml'), {
      daemon: { admin: { listen: daemon.addresses.admin, token: TOKEN } },
    });
    const table = await bans(['list', '--config', clientConfig]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^ip\s+until\s+offense\s+reason$/m);
    expect(table.stdout).toMatch(/^203\.0\.113\.20\s+\S+Z\s+1\s+seen scanning$/m);
    const json = await bans(['list', '--config', clientConfig, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ total: 1, bans: [{ ip: '203.0.113.20', offense: 1 }] });
  });

  it('takes the token from $GHOSTGUARD_ADMIN_TOKEN and explains an address', async () => {
    const { daemon, url } = await runningDaemon();
    daemon.guard.bans.add('203.0.113.21', { reason: 'seen scanning' });
    const r = await bans(['explain', '203.0.113.21', '--admin', url], { GHOSTGUARD_ADMIN_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('address: 203.0.113.21');
    expect(r.stdout).toMatch(/ban: until \S+ \(offense 1\): seen scanning/);
    const clean = await bans(['explain', '203.0.113.22', '--admin', url, '--json'], { GHOSTGUARD_ADMIN_TOKEN: TOKEN });
    expect(JSON.parse(clean.stdout)).toEqual({ ip: '203.0.113.22', offenses: 0 });
  });

  it('explain shows what memory holds of a refused caller and the rules of its last call', async () => {
    const { daemon, url } = await runningDaemon();
    const v = daemon.guard.judge(
      sipAttempt({ source: { ip: '203.0.113.23', port: 5060 }, userAgent: 'friendly-scanner', time: Date.now() }),
    );
    expect(v.intended).not.toBe('allow');
    const r = await bans(['explain', '203.0.113.23', '--admin', url], { GHOSTGUARD_ADMIN_TOKEN: TOKEN });
    expect(r.stdout).toMatch(
      /remembered: 1 refused or suspect call\(s\), 1 refused; last one weighed by fp\.ua\.friendly-scanner/,
    );
  });

  it('exit 2 for bad usage, a missing or refused token, an address the daemon rejects', async () => {
    const { url } = await runningDaemon();
    const cases: Array<[string[], RegExp]> = [
      [[], /expected list, add, remove or explain/],
      [['purge', '--admin', url, '--token', TOKEN], /expected list, add/],
      [['add', '--admin', url, '--token', TOKEN], /exactly one address/],
      [['add', '192.0.2.1', '--ttl', 'forever', '--admin', url, '--token', TOKEN], /--ttl/],
      [['list', '--admin', url], /no admin token/],
      [['list', '--admin', 'ftp://x', '--token', TOKEN], /http:\/\//],
      [['list', '--admin', url, '--token', 'not-the-token-at-all'], /wrong token.*does not accept/],
      [['add', 'nope', '--admin', url, '--token', TOKEN], /not an IP address/],
      [['list', '--bogus'], /Unknown option/],
    ];
    for (const [argv, message] of cases) {
      const r = await bans(argv);
      expect({ argv, code: r.code }).toEqual({ argv, code: 2 });
      expect(r.stderr).toMatch(message);
    }
  });

  it('exit 1 when no daemon answers or it refuses the change', async () => {
    const port = await closedPort();
    const down = await bans(['list', '--admin', `http://127.0.0.1:${port}`, '--token', TOKEN]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/no answer from the daemon.*ECONNREFUSED/);

    const { url } = await runningDaemon();
    const r = await bans(['remove', '192.0.2.50', '--admin', url, '--token', TOKEN]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('192.0.2.50 is not banned');
  });
});
