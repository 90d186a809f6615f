import { createGuard, type Guard } from '@ghostguard/core';
import { memoryLogger, waitUntil } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { FirewallError } from './errors.js';
import { attachFirewall, type Firewall } from './index.js';
import { spawnRunner } from './runner.js';
import { FakeNft } from './test-support/fake-nft.js';

const open: Array<{ fw: Firewall; guard: Guard }> = [];

function setup(config: Parameters<typeof createGuard>[0] = {}, options: Parameters<typeof attachFirewall>[1] = {}) {
  const { logger, sink } = memoryLogger('info');
  const guard = createGuard(config, { logger });
  const nft = new FakeNft();
  const fw = attachFirewall(guard, { reconcileEvery: 0, ...options }, nft.runner);
  open.push({ fw, guard });
  return { guard, nft, fw, sink };
}

const settled = (fw: Firewall) => waitUntil(() => fw.stats().pending === 0 && fw.stats().state === 'up', 5_000, 'sync');

afterEach(async () => {
  for (const { fw, guard } of open.splice(0)) {
    await fw.close();
    guard.close();
  }
});

describe('attachFirewall with a fake nft', () => {
  it('writes the table, its sets, one chain at the chosen priority and one rule per set, in one run', async () => {
    const { nft, fw } = setup({ trust: { cidrs: ['10.0.0.0/8', '10.1.0.0/16', '192.0.2.7'] } }, { priority: -150 });
    await fw.ready;
    const structure = nft.runs[0]!.input!;
    expect(structure).toContain('add table inet ghostguard');
    expect(structure).toContain('add set inet ghostguard ban4 { type ipv4_addr; flags timeout; }');
    expect(structure).toContain('add set inet ghostguard net4_24 { type ipv4_addr; flags interval, timeout; }');
    expect(structure).toContain('add set inet ghostguard net6_48 { type ipv6_addr; flags interval, timeout; }');
    expect(structure).toContain('type filter hook input priority -150; policy accept;');
    expect(structure).toContain('add rule inet ghostguard input ip saddr @ban4 counter drop');
    expect(structure).toContain('add rule inet ghostguard input ip6 saddr @net6_64 counter drop');
    // overlapping allowlist entries become disjoint ranges (an interval set refuses overlaps)
    expect(structure).toContain('add element inet ghostguard trust4 { 10.0.0.0-10.255.255.255, 192.0.2.7 }');
    expect(structure.indexOf('@trust4 return')).toBeLessThan(structure.indexOf('@ban4 counter drop'));
    expect(nft.runs.every((r) => !r.input?.includes(' ip filter ') && !r.args.includes('ruleset'))).toBe(true);
  });

  it('puts a ban in the kernel with its remaining time as the timeout and takes it out on unban', async () => {
    const { guard, nft, fw } = setup();
    await fw.ready;
    guard.bans.add('198.51.100.7', { reason: 'test', ttl: 60_000 });
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.7')).toBe(true);
    expect(nft.elementRuns().at(-1)).toMatch(
      /add element inet ghostguard ban4 \{ 198\.51\.100\.7 timeout (59\d{3}|60000)ms \}/,
    );
    expect(fw.inKernel('198.51.100.7')).toBe(true);
    guard.bans.remove('198.51.100.7');
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.7')).toBe(false);
    expect(fw.inKernel('198.51.100.7')).toBe(false);
  });

  it('sends 10,000 bans made in one turn in a handful of nft runs', async () => {
    const { guard, nft, fw } = setup({ bans: { aggregate: { after: 0 } } });
    await fw.ready;
    const before = nft.runs.length;
    for (let i = 0; i < 10_000; i++) guard.bans.add(`203.0.${i >> 8}.${i & 255}`, { reason: 'flood', ttl: 600_000 });
    await settled(fw);
    expect(nft.runs.length - before).toBeLessThanOrEqual(2);
    expect(nft.sets.get('ban4')!.size).toBe(10_000);
  });

  it('coalesces bans that arrive while a run is in flight into the next run', async () => {
    const { guard, nft, fw } = setup({ bans: { aggregate: { after: 0 } } });
    await fw.ready;
    guard.bans.add('198.51.100.1', { reason: 'a', ttl: 600_000 });
    // the first run is now in flight (started on the next turn); these come meanwhile
    await new Promise((r) => setImmediate(r));
    for (let i = 2; i < 500; i++) guard.bans.add(`198.51.${100 + (i >> 8)}.${i & 255}`, { reason: 'b', ttl: 600_000 });
    await settled(fw);
    expect(nft.elementRuns().length).toBe(2);
  });

  it('deletes and adds again in one batch when a ban is extended (portable timeout update)', async () => {
    const { guard, nft, fw } = setup();
    await fw.ready;
    guard.bans.add('198.51.100.9', { reason: 'first', ttl: 60_000 });
    await settled(fw);
    guard.bans.add('198.51.100.9', { reason: 'again', ttl: 3_600_000 });
    await settled(fw);
    const last = nft.elementRuns().at(-1)!;
    expect(last).toMatch(
      /^delete element inet ghostguard ban4 \{ 198\.51\.100\.9 \}\nadd element inet ghostguard ban4 \{ 198\.51\.100\.9 timeout 3\d{6}ms \}/,
    );
    expect(nft.sets.get('ban4')!.get('198.51.100.9')! - Date.now()).toBeGreaterThan(3_500_000);
  });

  it('puts the prefix a fold makes into the prefix set, and the second-level fold into its own set', async () => {
    const { guard, nft, fw } = setup({ bans: { aggregate: { after: 2 } } });
    await fw.ready;
    guard.bans.add('198.51.100.1', { reason: 'a', ttl: 600_000 });
    guard.bans.add('198.51.100.2', { reason: 'a', ttl: 600_000 });
    await settled(fw);
    expect(nft.holds('net4_24', '198.51.100.0/24')).toBe(true);
    guard.bans.add('198.51.101.1', { reason: 'a', ttl: 600_000 });
    guard.bans.add('198.51.101.2', { reason: 'a', ttl: 600_000 });
    await settled(fw);
    expect(guard.bans.get('198.51.7.7')?.ip).toBe('198.51.0.0/16');
    expect(nft.holds('net4_16', '198.51.0.0/16')).toBe(true);
    expect(fw.inKernel('198.51.7.7')).toBe(true);
  });

  it('takes a replica prefix ban at the guard’s own lengths, IPv6 spelled canonically', async () => {
    const { guard, nft, fw } = setup();
    await fw.ready;
    guard.bans.merge({
      ip: '2001:db8:0:5::/64',
      reason: 'elsewhere',
      since: Date.now(),
      until: Date.now() + 600_000,
      offense: 1,
    });
    await settled(fw);
    expect(nft.holds('net6_64', '2001:db8:0:5::/64')).toBe(true);
  });

  it('makes the set and rule of a prefix length first seen in the batch that adds the network', async () => {
    const { guard, nft, fw } = setup();
    await fw.ready;
    guard.bans.add('198.51.100.0/22', { reason: 'by hand', ttl: 600_000 });
    await settled(fw);
    const batch = nft.elementRuns().at(-1)!;
    expect(batch.split('\n').slice(0, 3)).toEqual([
      'add set inet ghostguard net4_22 { type ipv4_addr; flags interval, timeout; }',
      'add rule inet ghostguard input ip saddr @net4_22 counter drop',
      expect.stringMatching(/^add element inet ghostguard net4_22 \{ 198\.51\.100\.0\/22 timeout \d+ms \}$/),
    ]);
    guard.bans.add('198.51.104.0/22', { reason: 'by hand', ttl: 600_000 });
    await settled(fw);
    expect(nft.elementRuns().at(-1)).not.toContain('add rule');
    expect(fw.inKernel('198.51.101.9')).toBe(true);
  });

  it('changes nothing in the kernel in monitor mode', async () => {
    const { guard, nft, fw } = setup({ mode: 'monitor' });
    await fw.ready;
    guard.bans.add('198.51.100.7', { reason: 'test', ttl: 60_000 });
    await settled(fw);
    expect(nft.elementRuns()).toEqual([]);
    expect(fw.inKernel('198.51.100.7')).toBe(false);
  });

  it('empties the kernel sets when a reload switches to monitor mode, and fills them again back in enforce', async () => {
    const { guard, nft, fw } = setup();
    await fw.ready;
    guard.bans.add('198.51.100.7', { reason: 'test', ttl: 600_000 });
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.7')).toBe(true);
    guard.reconfigure({ mode: 'monitor' });
    await waitUntil(() => !nft.holds('ban4', '198.51.100.7'), 5_000, 'the monitor reload');
    guard.reconfigure({ mode: 'enforce' });
    await waitUntil(() => nft.holds('ban4', '198.51.100.7'), 5_000, 'the enforce reload');
  });

  it('leaves bans of an origin not asked for out, also after a full reconcile', async () => {
    const { guard, nft, fw } = setup({}, { origins: ['local'] });
    await fw.ready;
    guard.bans.merge({
      ip: '198.51.100.8',
      reason: 'elsewhere',
      since: Date.now(),
      until: Date.now() + 600_000,
      offense: 1,
    });
    guard.bans.add('198.51.100.9', { reason: 'here', ttl: 600_000 });
    await settled(fw);
    fw.reconcile();
    await waitUntil(() => fw.stats().reconciles === 2, 5_000, 'the reconcile');
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.9')).toBe(true);
    expect(nft.holds('ban4', '198.51.100.8')).toBe(false);
    expect(fw.stats().skippedOrigin).toBe(1);
  });

  it('leaves bans shorter than minTtl in the application only', async () => {
    const { guard, nft, fw } = setup({}, { minTtl: '10m' });
    await fw.ready;
    guard.bans.add('198.51.100.7', { reason: 'short', ttl: 60_000 });
    guard.bans.add('198.51.100.8', { reason: 'long', ttl: 3_600_000 });
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.7')).toBe(false);
    expect(nft.holds('ban4', '198.51.100.8')).toBe(true);
    expect(fw.stats().skippedShort).toBe(1);
  });

  it('fills the kernel on start from the bans already on file', async () => {
    const { logger } = memoryLogger('error');
    const guard = createGuard({}, { logger });
    guard.bans.add('198.51.100.7', { reason: 'before', ttl: 600_000 });
    const nft = new FakeNft();
    const fw = attachFirewall(guard, { reconcileEvery: 0 }, nft.runner);
    open.push({ fw, guard });
    await fw.ready;
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.7')).toBe(true);
  });

  it('removes what the kernel holds and no ban asks for at a reconcile', async () => {
    const { nft, fw } = setup();
    nft.sets.set('ban4', new Map([['198.51.100.66', Date.now() + 600_000]]));
    await fw.ready;
    await settled(fw);
    expect(nft.holds('ban4', '198.51.100.66')).toBe(false);
  });

  it('logs a refused batch once as fail-open, counts every failure, reconciles and recovers; the guard keeps judging', async () => {
    const { guard, nft, fw, sink } = setup({}, { retry: { min: 10, max: 20 } });
    await fw.ready;
    nft.failWith = new FirewallError(
      'GG_FIREWALL_REJECTED',
      'Error: Could not process rule: No buffer space available',
    );
    nft.failTimes = 3;
    guard.bans.add('198.51.100.7', { reason: 'test', ttl: 600_000 });
    await waitUntil(() => nft.holds('ban4', '198.51.100.7'), 5_000, 'recovery');
    await settled(fw);
    expect(fw.stats().syncErrors).toBe(3);
    expect(sink.find('firewall-down')).toHaveLength(1);
    expect(String(sink.find('firewall-down')[0]!.msg)).toContain('fails open');
    expect(sink.find('firewall-sync-failed').length).toBeLessThanOrEqual(1);
    expect(sink.find('firewall-up')).toHaveLength(1);
    // after the failure a listing was read back before the next batch
    expect(nft.runs.some((r) => r.args[0] === '-j')).toBe(true);
    const v = guard.judge({
      protocol: 'sip',
      method: 'INVITE',
      source: { ip: '198.51.100.7', port: 5060, transport: 'udp' },
      target: { user: '100' },
      caller: {},
      time: Date.now(),
      sip: { requestUri: 'sip:100@192.0.2.1', hasBody: false },
    });
    expect(v.action).not.toBe('allow');
  });

  it('rereads a changed allowlist after a reload and never puts a trusted address in the kernel', async () => {
    const { guard, nft, fw } = setup();
    await fw.ready;
    guard.reconfigure({ trust: { cidrs: ['203.0.113.0/24'] } });
    await waitUntil(
      () => nft.runs.some((r) => r.input?.includes('trust4 { 203.0.113.0-203.0.113.255 }')),
      5_000,
      'the reload',
    );
    expect(() => guard.bans.add('203.0.113.5', { reason: 'x' })).toThrow();
    expect(nft.holds('ban4', '203.0.113.5')).toBe(false);
  });

  it('rejects ready with GG_FIREWALL_NFT_MISSING when nft cannot be run', async () => {
    const guard = createGuard({}, { logger: memoryLogger('error').logger });
    const fw = attachFirewall(guard, { command: ['/nonexistent/nft'], reconcileEvery: 0 });
    open.push({ fw, guard });
    await expect(fw.ready).rejects.toMatchObject({ code: 'GG_FIREWALL_NFT_MISSING' });
  });

  it('rejects ready with GG_FIREWALL_NO_PERMISSION when nft is not allowed (no CAP_NET_ADMIN)', async () => {
    const guard = createGuard({}, { logger: memoryLogger('error').logger });
    // nft's own words on EPERM, from a shell standing in for it
    const fake = ['sh', '-c', 'echo "Error: Could not process rule: Operation not permitted" >&2; exit 1', 'nft'];
    const fw = attachFirewall(guard, { reconcileEvery: 0 }, spawnRunner(fake, 5_000));
    open.push({ fw, guard });
    await expect(fw.ready).rejects.toMatchObject({ code: 'GG_FIREWALL_NO_PERMISSION' });
  });

  it('rejects ready with GG_FIREWALL_CLOSED when closed before the first reconcile', async () => {
    const { fw } = setup();
    await fw.close();
    await expect(fw.ready).rejects.toMatchObject({ code: 'GG_FIREWALL_CLOSED' });
  });

  it('names the file and the full key path of a bad option', () => {
    const guard = createGuard({}, { logger: memoryLogger('error').logger });
    expect(() => attachFirewall(guard, { priorty: -100 } as never)).toThrow(/firewall\.priorty/);
    expect(() => attachFirewall(guard, { table: 'has space' })).toThrow(/firewall\.table/);
    guard.close();
  });
});
