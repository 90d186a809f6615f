/**
 * The daemon's `firewall:` section: validated by @ghostguard/nftables' schema (file and key path in the error),
 * started as a component against the real nft inside a network namespace made here, its ban list telling which
 * bans are in the kernel, its metrics counted; a missing nft fails the component with its typed error.
 */
import { join } from 'node:path';
import { createGuard, loadConfigFile } from '@ghostguard/core';
import { createNetnsPair, type NetnsPair } from '@ghostguard/nftables/testing';
import { describe, expect, it } from 'vitest';
import { firewallComponent } from './firewall-component.js';
import {
  admin,
  daemonConfig,
  onCleanup,
  sample,
  scrape,
  startRoom,
  startTestDaemon,
  tempDir,
  writeConfig,
} from './test-support/daemon-harness.js';

async function pairOrFail(): Promise<NetnsPair> {
  try {
    const pair = await createNetnsPair();
    onCleanup(() => pair.close());
    return pair;
  } catch (err) {
    throw new Error(
      `this machine cannot create network namespaces (needs root and iproute2): ${(err as Error).message}`,
    );
  }
}

describe('the firewall component', () => {
  it('refuses a firewall section with a misspelt key, naming the file and the key path', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = writeConfig(join(dir, 'gg.yaml'), { ...daemonConfig(dir, room), firewall: { priorty: -100 } });
    await expect(startTestDaemon(path)).rejects.toThrow(/gg\.yaml[\s\S]*firewall\.priorty/);
    expect(() => firewallComponent.validate({ firewall: { origins: ['elsewhere'] } } as never, 'x.yaml')).toThrow(
      /x\.yaml[\s\S]*firewall\.origins\.0/,
    );
  });

  it('keeps the kernel in step with a ban made through the admin API; the ban list says kernel: true; metrics count it', async () => {
    const pair = await pairOrFail();
    const dir = tempDir();
    const room = await startRoom();
    const path = writeConfig(join(dir, 'gg.yaml'), {
      ...daemonConfig(dir, room),
      firewall: { command: [...pair.nft], table: 'ggdaemon' },
    });
    const { daemon } = await startTestDaemon(path);
    const added = await admin(daemon, 'POST', '/v1/bans', { body: { ip: '198.51.100.23', reason: 'test', ttl: '1h' } });
    expect(added.status).toBe(201);
    let listed: { bans: Array<{ ip: string; kernel?: boolean }> } | undefined;
    for (let i = 0; i < 200; i++) {
      listed = (await admin(daemon, 'GET', '/v1/bans')).body as typeof listed;
      if (listed?.bans.find((b) => b.ip === '198.51.100.23')?.kernel === true) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(listed?.bans.find((b) => b.ip === '198.51.100.23')).toMatchObject({ kernel: true });
    const set = await pair.exec(pair.server, ['nft', 'list', 'set', 'inet', 'ggdaemon', 'ban4']);
    expect(set).toContain('198.51.100.23');
    const text = await scrape(daemon);
    expect(sample(text, 'ghostguard_firewall_elements')).toBe(1);
    expect(sample(text, 'ghostguard_firewall_sync_errors_total')).toBe(0);
    expect(sample(text, 'ghostguard_firewall_last_sync_seconds')).toBeGreaterThan(1_700_000_000);
    expect(sample(text, 'ghostguard_component_up{component="firewall"}')).toBe(1);
  });

  it('leaves the kernel field out of the ban list when no firewall runs', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const { daemon } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room)));
    await admin(daemon, 'POST', '/v1/bans', { body: { ip: '198.51.100.24', reason: 'test' } });
    const listed = (await admin(daemon, 'GET', '/v1/bans')).body as { bans: Array<Record<string, unknown>> };
    expect(listed.bans[0]).not.toHaveProperty('kernel');
  });

  it('stops the daemon at start with GG_FIREWALL_NFT_MISSING when nft is not there (a clear error at start)', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = writeConfig(join(dir, 'gg.yaml'), {
      ...daemonConfig(dir, room),
      firewall: { command: ['/nonexistent/nft'] },
    });
    await expect(startTestDaemon(path)).rejects.toThrow(/firewall could not start: cannot run "\/nonexistent\/nft"/);
  });

  it('keeps judging without the firewall when the daemon may run with components down (fail-open, metrics say so)', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const config = daemonConfig(dir, room);
    const path = writeConfig(join(dir, 'gg.yaml'), {
      ...config,
      daemon: { ...(config.daemon as object), requireAllComponents: false },
      firewall: { command: ['/nonexistent/nft'] },
    });
    const { daemon, log } = await startTestDaemon(path);
    const failed = log.find('component-failed').find((l) => l.component === 'firewall');
    expect(failed).toMatchObject({ code: 'GG_FIREWALL_NFT_MISSING', whenDown: 'fail-open' });
    expect(Object.keys(daemon.addresses)).toContain('h323Gate');
    const text = await scrape(daemon);
    expect(sample(text, 'ghostguard_component_up{component="firewall"}')).toBe(0);
  });
});

describe('examples/systemd/ghostguard.yaml', () => {
  it('has a firewall section the component validates and runs (the site’s nft swapped for a namespace’s)', async () => {
    const file = join(import.meta.dirname, '../../../examples/systemd/ghostguard.yaml');
    const config = loadConfigFile(file);
    firewallComponent.validate(config, file);
    const pair = await pairOrFail();
    const guard = createGuard({ ...config, dataDir: null, log: { level: 'silent' } });
    onCleanup(() => guard.close());
    const running = await firewallComponent.start(
      guard,
      { ...config, firewall: { ...(config.firewall as object), command: [...pair.nft] } },
      guard.logger,
    );
    onCleanup(() => running.close());
    guard.bans.add('203.0.113.9', { reason: 'test' });
    const t0 = Date.now();
    while (
      !(await pair.exec(pair.server, ['nft', 'list', 'set', 'inet', 'ghostguard', 'ban4'])).includes('203.0.113.9')
    ) {
      if (Date.now() - t0 > 10_000) throw new Error('ban not in the kernel within 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(running.health?.()).toMatchObject({ state: 'up', elements: 1, syncErrors: 0 });
    const chain = await pair.exec(pair.server, ['nft', 'list', 'chain', 'inet', 'ghostguard', 'input']);
    expect(chain).toContain('type filter hook input priority -200');
  });
});
