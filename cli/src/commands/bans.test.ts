import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { sipAttempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import { unbannable } from '../daemon/admin-routes.js';
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
import { BANS_EXIT_CODES, EXIT_NOT_BANNED, remaining, runBans } from './bans.js';

async function bans(argv: string[], env: NodeJS.ProcessEnv = {}) {
  const out = bufferOutput();
  const code = await runBans(argv, out, { env });
  return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
}

function writeFile(path: string, content: string): string {
  writeFileSync(path, content);
  return path;
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
    expect(table.stdout).toMatch(/^ip\s+origin\s+remaining\s+until\s+offences\s+reason$/m);
    expect(table.stdout).toMatch(/^203\.0\.113\.20\s+operator\s+(9m \d+s|10m)\s+\S+Z\s+1\s+seen scanning$/m);
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
      [[], /expected list, add, remove, explain, import or export/],
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

  it('exit 1 when no daemon answers', async () => {
    const port = await closedPort();
    const down = await bans(['list', '--admin', `http://127.0.0.1:${port}`, '--token', TOKEN]);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/no answer from the daemon.*ECONNREFUSED/);
  });

  it('exit 3 (documented, not "unexpected failure") when removing an address that is not banned', async () => {
    const { url } = await runningDaemon();
    const r = await bans(['remove', '192.0.2.50', '--admin', url, '--token', TOKEN]);
    expect(r.code).toBe(EXIT_NOT_BANNED);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('192.0.2.50 is not banned');
    expect(BANS_EXIT_CODES).toContain('3 ');
  });

  it('says how to give a token when the daemon wants one or refuses it', async () => {
    const { url } = await runningDaemon();
    const wrong = await bans(['list', '--admin', url, '--token', 'x'.repeat(20)]);
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('--token');
    const none = await bans(['list', '--admin', url]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('--token');
  });

  it('caps --ttl at bans.maxTtl unless --force', async () => {
    const { daemon, url } = await runningDaemon();
    const capped = await bans(['add', '203.0.113.30', '--ttl', '1000d', '--admin', url, '--token', TOKEN]);
    expect(capped.code).toBe(2);
    expect(capped.stderr).toMatch(/longer than bans\.maxTtl .*--force/);
    expect(daemon.guard.bans.get('203.0.113.30')).toBeUndefined();
    const forced = await bans(['add', '203.0.113.30', '--ttl', '1000d', '--force', '--admin', url, '--token', TOKEN]);
    expect(forced.code).toBe(0);
    expect((daemon.guard.bans.get('203.0.113.30')?.until ?? 0) - Date.now()).toBeGreaterThan(999 * 86_400_000);
  });

  it('never bans loopback or the unspecified address (exit 1, the daemon refuses)', async () => {
    const { daemon, url } = await runningDaemon();
    for (const ip of ['127.0.0.1', '::1', '0.0.0.0', '::']) {
      const r = await bans(['add', ip, '--admin', url, '--token', TOKEN]);
      expect(r.code, ip).toBe(1);
      expect(r.stderr, ip).toMatch(/never banned/);
    }
    expect(daemon.guard.bans.list()).toEqual([]);
  });

  it('imports one address per line or JSON, checks every line first, and exports what it imported', async () => {
    const { daemon, dir, url } = await runningDaemon();
    const bad = writeFile(join(dir, 'bad.txt'), '203.0.113.40\nnot-an-ip\n# comment\n203.0.113.999\n');
    const refused = await bans(['import', bad, '--admin', url, '--token', TOKEN]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('line 2: not an IP address');
    expect(refused.stderr).toContain('line 4: not an IP address');
    expect(daemon.guard.bans.list()).toEqual([]);

    const list = writeFile(
      join(dir, 'list.txt'),
      '# from the old firewall\n203.0.113.41\n\n203.0.113.42 # noisy\n127.0.0.1\n',
    );
    const imported = await bans(['import', list, '--reason', 'old firewall', '--admin', url, '--token', TOKEN]);
    expect(imported.code).toBe(1);
    expect(imported.stdout).toBe('imported 2 ban(s), 1 refused');
    expect(imported.stderr).toContain('127.0.0.1');
    expect(daemon.guard.bans.get('203.0.113.41')?.reason).toBe('old firewall');

    const plain = await bans(['export', '--admin', url, '--token', TOKEN]);
    expect(plain.stdout.split('\n').sort()).toEqual(['203.0.113.41', '203.0.113.42']);
    const json = await bans(['export', '--json', '--admin', url, '--token', TOKEN]);
    const other = await runningDaemon();
    const round = writeFile(join(dir, 'export.json'), json.stdout);
    expect((await bans(['import', round, '--admin', other.url, '--token', TOKEN])).code).toBe(0);
    const moved = other.daemon.guard.bans.get('203.0.113.42');
    expect(moved?.reason).toBe('old firewall');
    expect(Math.abs((moved?.until ?? 0) - (daemon.guard.bans.get('203.0.113.42')?.until ?? 0))).toBeLessThan(60_000);
  });

  it('refuses a network with host bits before asking the daemon (exit 2)', async () => {
    const r = await bans(['add', '198.51.100.7/22', '--admin', 'http://127.0.0.1:9', '--token', TOKEN]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('198.51.100.7/22 is not a network');
  });

  it('bans a network by hand: every address in it is banned, the list says operator, remove lifts it', async () => {
    const { daemon, url } = await runningDaemon();
    const added = await bans([
      'add',
      '198.51.100.0/22',
      '--reason',
      'scanner hoster',
      '--admin',
      url,
      '--token',
      TOKEN,
    ]);
    expect(added.code).toBe(0);
    expect(added.stdout).toContain('198.51.100.0/22 banned until');
    for (const inside of ['198.51.100.1', '198.51.103.254']) expect(daemon.guard.bans.get(inside)).toBeDefined();
    expect(daemon.guard.bans.get('198.51.104.1')).toBeUndefined();
    const v6 = await bans(['add', '2001:db8:ab00::/40', '--admin', url, '--token', TOKEN]);
    expect(v6.code).toBe(0);
    expect(daemon.guard.bans.get('2001:db8:abff::1')).toBeDefined();
    const listed = await bans(['list', '--admin', url, '--token', TOKEN]);
    expect(listed.stdout).toMatch(/^198\.51\.100\.0\/22\s+operator\s+/m);
    expect(listed.stdout).toMatch(/^2001:db8:ab00::\/40\s+operator\s+/m);
    const removed = await bans(['remove', '198.51.100.0/22', '--admin', url, '--token', TOKEN]);
    expect(removed.code).toBe(0);
    expect(daemon.guard.bans.get('198.51.100.1')).toBeUndefined();
  });

  it('never bans a network holding localhost or an allowlisted address (exit 1, nothing banned)', async () => {
    const { daemon, url } = await runningDaemon();
    const loop = await bans(['add', '127.0.0.0/8', '--admin', url, '--token', TOKEN]);
    expect(loop.code).toBe(1);
    expect(loop.stderr).toContain('127.0.0.0/8 contains 127.0.0.1');
    expect(daemon.guard.bans.list()).toEqual([]);
  });

  it('lifts a folded prefix ban by the text the list shows', async () => {
    const { daemon, url } = await runningDaemon();
    expect(
      daemon.guard.bans.merge({
        ip: '198.51.100.0/24',
        reason: 'prefix',
        since: Date.now(),
        until: Date.now() + 60_000,
        offense: 1,
      }),
    ).toBe(true);
    const r = await bans(['remove', '198.51.100.0/24', '--admin', url, '--token', TOKEN]);
    expect(r.code).toBe(0);
    expect(daemon.guard.bans.list()).toEqual([]);
  });
});

describe('remaining', () => {
  it('shows the two largest units of what is left', () => {
    expect(remaining(2 * 86_400_000 + 3 * 3_600_000 + 5_000)).toBe('2d 3h');
    expect(remaining(45 * 60_000)).toBe('45m');
    expect(remaining(61_000)).toBe('1m 1s');
    expect(remaining(500)).toBe('<1s');
    expect(remaining(0)).toBe('ending');
  });
});

describe('unbannable', () => {
  it("names loopback, the unspecified address and this host's own addresses, and nothing else", () => {
    const own = () => ['192.0.2.10', 'fe80::1'];
    expect(unbannable('127.0.0.1', own)).toMatch(/loopback/);
    expect(unbannable('::ffff:127.0.0.1', own)).toMatch(/loopback/);
    expect(unbannable('::', own)).toMatch(/unspecified/);
    expect(unbannable('192.0.2.10', own)).toMatch(/address of this host/);
    expect(unbannable('192.0.2.11', own)).toBeUndefined();
    expect(unbannable('203.0.113.5')).toBeUndefined();
  });
});
