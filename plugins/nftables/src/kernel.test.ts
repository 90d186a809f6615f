/**
 * The bouncer against the real nft and the real kernel, inside two network namespaces this test makes (never the
 * machine's own ruleset): a UDP INVITE and a TCP SYN from a banned address never reach a socket in the server's
 * namespace, an unbanned or expired one does, a prefix ban (the guard's folding) covers its range, IPv6 too, an
 * allowlisted address inside a banned prefix passes. If namespaces cannot be made the test fails saying so.
 */
import { execFileSync } from 'node:child_process';
import { createGuard, type Guard } from '@ghostguard/core';
import { memoryLogger, waitUntil } from '@ghostguard/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachFirewall, type Firewall } from './index.js';
import { Listener, Sender } from './test-support/probe.js';
import { createNetnsPair, type NetnsPair } from './testing.js';

const PORT = 5060;
let pair: NetnsPair;
let listener: Listener;
let sender: Sender;
let guard: Guard;
let fw: Firewall;

/** Edge addresses, all on the pair's network. */
function v4(third: number, fourth: number): string {
  return `10.${pair.net}.${third}.${fourth}`;
}
function v6(group: number, last: number): string {
  return `fd00:${pair.net}:0:${group.toString(16)}::${last.toString(16)}`;
}

/** A UDP INVITE from `from`, then one from a clean marker address: once the marker arrived, `from`'s would have. */
async function udpReaches(from: string): Promise<boolean> {
  const clean = from.includes(':') ? v6(9, 1) : v4(9, 1);
  const to = from.includes(':') ? pair.serverV6 : pair.serverV4;
  const before = listener.arrivals(from, 'udp').length;
  const seen = listener.lines.length;
  await sender.udp(from, to, PORT);
  await sender.udp(clean, to, PORT);
  await listener.waitFor((l) => l.from === clean && listener.lines.indexOf(l) >= seen);
  return listener.arrivals(from, 'udp').length > before;
}

async function tcpReaches(from: string): Promise<boolean> {
  const to = from.includes(':') ? pair.serverV6 : pair.serverV4;
  const before = listener.arrivals(from, 'tcp').length;
  const connected = await sender.tcp(from, to, PORT);
  if (connected) await listener.waitFor((l) => l.from === from && l.proto === 'tcp');
  expect(listener.arrivals(from, 'tcp').length > before).toBe(connected);
  return connected;
}

function kernelSet(set: string, table = 'ggtest'): string {
  return execFileSync('ip', ['netns', 'exec', pair.server, 'nft', 'list', 'set', 'inet', table, set], {
    encoding: 'utf8',
  });
}

beforeAll(async () => {
  try {
    pair = await createNetnsPair();
  } catch (err) {
    throw new Error(
      `this machine cannot create network namespaces (needs root and iproute2), so the kernel test cannot run: ${(err as Error).message}`,
    );
  }
  for (const a of [
    v4(9, 1),
    v4(1, 2),
    v4(1, 3),
    v4(5, 2),
    v4(5, 3),
    v4(5, 4),
    v4(5, 77),
    v4(5, 200),
    v4(6, 1),
    v4(8, 1),
    v4(8, 2),
    v4(8, 9),
  ])
    await pair.addEdgeAddress(a);
  for (const a of [v6(9, 1), v6(7, 1), v6(6, 1), v6(1, 2), v6(5, 2), v6(5, 3), v6(5, 4), v6(5, 0x99), v6(8, 1)])
    await pair.addEdgeAddress(a);
  listener = new Listener(pair.server, PORT);
  sender = new Sender(pair.edge);
  await listener.ready();
  guard = createGuard(
    {
      log: { level: 'error' },
      // Three addresses of one /24 (/64) fold into a prefix ban; 10.n.5.200 is allowlisted inside it.
      bans: { aggregate: { after: 3 } },
      trust: { cidrs: [`10.${pair.net}.5.200`] },
    },
    { logger: memoryLogger('error').logger },
  );
  fw = attachFirewall(guard, { command: [...pair.nft], table: 'ggtest', reconcileEvery: 0 });
  await fw.ready;
}, 60_000);

afterAll(async () => {
  await fw?.close();
  guard?.close();
  listener?.close();
  sender?.close();
  await pair?.close();
});

describe('the kernel bouncer in a network namespace', () => {
  it('lets an unbanned source reach a socket over UDP and TCP (the path works)', async () => {
    expect(await udpReaches(v4(1, 2))).toBe(true);
    expect(await tcpReaches(v4(1, 2))).toBe(true);
    expect(await udpReaches(v6(1, 2))).toBe(true);
    expect(await tcpReaches(v6(1, 2))).toBe(true);
  });

  it('drops a UDP INVITE and a TCP SYN from a banned IPv4 address before any socket', async () => {
    guard.bans.add(v4(1, 3), { reason: 'test', ttl: 600_000 });
    await waitUntil(() => fw.inKernel(v4(1, 3)), 5_000, 'the ban in the kernel');
    expect(kernelSet('ban4')).toContain(v4(1, 3));
    expect(await udpReaches(v4(1, 3))).toBe(false);
    expect(await tcpReaches(v4(1, 3))).toBe(false);
    // its neighbour is not touched
    expect(await udpReaches(v4(1, 2))).toBe(true);
  });

  it('drops a banned IPv6 address over UDP and TCP', async () => {
    guard.bans.add(v6(1, 2), { reason: 'test', ttl: 600_000 });
    await waitUntil(() => fw.inKernel(v6(1, 2)), 5_000, 'the ban in the kernel');
    expect(await udpReaches(v6(1, 2))).toBe(false);
    expect(await tcpReaches(v6(1, 2))).toBe(false);
  });

  it('lets a source through again once its ban is lifted', async () => {
    guard.bans.add(v4(6, 1), { reason: 'test', ttl: 600_000 });
    await waitUntil(() => fw.inKernel(v4(6, 1)), 5_000, 'the ban in the kernel');
    expect(await udpReaches(v4(6, 1))).toBe(false);
    guard.bans.remove(v4(6, 1));
    await waitUntil(() => !fw.inKernel(v4(6, 1)) && fw.stats().pending === 0, 5_000, 'the lift in the kernel');
    expect(kernelSet('ban4')).not.toContain(v4(6, 1));
    expect(await udpReaches(v4(6, 1))).toBe(true);
    expect(await tcpReaches(v4(6, 1))).toBe(true);
  });

  it('lets a source through once its ban expired (the element timeout is the ban’s remaining time)', async () => {
    guard.bans.add(v6(7, 1), { reason: 'short', ttl: 1_500 });
    await waitUntil(() => fw.inKernel(v6(7, 1)), 5_000, 'the ban in the kernel');
    expect(kernelSet('ban6')).toMatch(/timeout 1s\d*ms/);
    // the kernel ends it by itself: nothing to delete
    await waitUntil(() => !kernelSet('ban6').includes(v6(7, 1)), 10_000, 'the kernel to expire the element', 100);
    const to = pair.serverV6;
    const seen = listener.lines.length;
    await sender.udp(v6(7, 1), to, PORT);
    await listener.waitFor((l) => l.from === v6(7, 1) && listener.lines.indexOf(l) >= seen);
  });

  it('puts a folded prefix ban in the kernel: an address of the /24 never banned on its own is dropped, a trusted one passes', async () => {
    for (const last of [2, 3, 4]) guard.bans.add(v4(5, last), { reason: 'scan', ttl: 600_000 });
    expect(guard.bans.get(v4(5, 77))?.ip).toBe(`10.${pair.net}.5.0/24`);
    await waitUntil(() => fw.inKernel(`10.${pair.net}.5.0/24`), 5_000, 'the prefix in the kernel');
    expect(kernelSet('net4_24')).toContain(`10.${pair.net}.5.0/24`);
    expect(await udpReaches(v4(5, 77))).toBe(false);
    expect(await tcpReaches(v4(5, 77))).toBe(false);
    // allowlisted inside the banned prefix: trusted in the guard, so not dropped by the kernel either
    expect(guard.bans.get(v4(5, 200))).toBeDefined();
    expect(await udpReaches(v4(5, 200))).toBe(true);
    expect(await tcpReaches(v4(5, 200))).toBe(true);
  });

  it('lets an address lifted by hand inside a banned prefix pass, as the guard does', async () => {
    guard.bans.remove(v4(5, 3));
    expect(guard.bans.get(v4(5, 3))).toBeUndefined();
    await waitUntil(() => !fw.inKernel(v4(5, 3)) && fw.stats().pending === 0, 5_000, 'the lift in the kernel');
    expect(await udpReaches(v4(5, 3))).toBe(true);
    expect(await udpReaches(v4(5, 77))).toBe(false);
  });

  it('folds IPv6 addresses of one /64 into a prefix the kernel drops whole', async () => {
    for (const last of [2, 3, 4]) guard.bans.add(v6(5, last), { reason: 'scan', ttl: 600_000 });
    const prefix = guard.bans.get(v6(5, 0x99))?.ip;
    expect(prefix).toMatch(/\/64$/);
    await waitUntil(() => fw.inKernel(prefix!), 5_000, 'the prefix in the kernel');
    expect(await udpReaches(v6(5, 0x99))).toBe(false);
    expect(await tcpReaches(v6(5, 0x99))).toBe(false);
  });

  it('holds a network banned by hand at another length beside the folded prefix it overlaps (one set per length)', async () => {
    // fd00:n:0:4::/62 covers the folded fd00:n:0:5::/64: one interval set would refuse the overlap
    const network = `fd00:${pair.net}:0:4::/62`;
    guard.bans.add(network, { reason: 'by hand', ttl: 600_000 });
    await waitUntil(() => fw.inKernel(network) && fw.stats().pending === 0, 5_000, 'the network in the kernel');
    expect(fw.stats().syncErrors).toBe(0);
    expect(kernelSet('net6_62')).toContain(`fd00:${pair.net}:0:4::/62`);
    expect(kernelSet('net6_64')).toContain(`fd00:${pair.net}:0:5::/64`);
    expect(await udpReaches(v6(6, 1))).toBe(false);
    guard.bans.remove(network);
    await waitUntil(() => !fw.inKernel(network) && fw.stats().pending === 0, 5_000, 'the lift in the kernel');
    expect(await udpReaches(v6(6, 1))).toBe(true);
    expect(await udpReaches(v6(5, 0x99))).toBe(false);
  });

  it('takes folded addresses out with their prefix when the prefix is lifted by hand', async () => {
    const prefix = `10.${pair.net}.5.0/24`;
    guard.bans.remove(prefix);
    await waitUntil(
      () => !fw.inKernel(prefix) && fw.stats().pending === 0 && !kernelSet('ban4').includes(v4(5, 2)),
      10_000,
      'the prefix and its members out of the kernel',
      50,
    );
    expect(await udpReaches(v4(5, 77))).toBe(true);
    expect(await udpReaches(v4(5, 2))).toBe(true);
  });

  it('repairs the kernel after someone else emptied its sets (a full reconcile reads it back)', async () => {
    execFileSync('ip', ['netns', 'exec', pair.server, 'nft', 'flush', 'set', 'inet', 'ggtest', 'ban4']);
    expect(await udpReaches(v4(1, 3))).toBe(true);
    fw.reconcile();
    await waitUntil(() => kernelSet('ban4').includes(v4(1, 3)), 10_000, 'the reconcile', 50);
    expect(await udpReaches(v4(1, 3))).toBe(false);
  });

  it('drops what a reputation feed lists (option feeds) and lets it through once no feed lists it', async () => {
    const other = createGuard({ log: { level: 'error' } }, { logger: memoryLogger('error').logger });
    const withFeeds = attachFirewall(other, {
      command: [...pair.nft],
      table: 'ggfeeds',
      reconcileEvery: 0,
      feeds: true,
    });
    try {
      await withFeeds.ready;
      expect(await udpReaches(v4(8, 1))).toBe(true);
      // an address, a network holding 10.n.8.9 (8-15), and an IPv6 address; overlaps are merged for the interval set
      other.feeds.set('apiban', [v4(8, 1), `10.${pair.net}.8.8/29`, `10.${pair.net}.8.12/30`, v6(8, 1)]);
      await waitUntil(() => kernelSet('feed4', 'ggfeeds').includes(v4(8, 1)), 10_000, 'the feed in the kernel', 50);
      expect(withFeeds.stats().syncErrors).toBe(0);
      expect(await udpReaches(v4(8, 1))).toBe(false);
      expect(await udpReaches(v4(8, 9))).toBe(false);
      expect(await tcpReaches(v4(8, 9))).toBe(false);
      expect(await udpReaches(v6(8, 1))).toBe(false);
      expect(await udpReaches(v4(8, 2))).toBe(true);
      other.feeds.clear('apiban');
      await waitUntil(() => !kernelSet('feed4', 'ggfeeds').includes(v4(8, 1)), 10_000, 'the feed out', 50);
      expect(await udpReaches(v4(8, 1))).toBe(true);
      expect(await udpReaches(v6(8, 1))).toBe(true);
    } finally {
      await withFeeds.close();
      other.close();
      await pair.exec(pair.server, ['nft', 'delete', 'table', 'inet', 'ggfeeds']);
    }
  });

  it('makes its table again when a set of its own name has another shape (an older version), and fills it', async () => {
    await pair.exec(
      pair.server,
      ['nft', '-f', '-'],
      'add table inet ggshape\nadd set inet ggshape ban4 { type ipv4_addr; flags interval; }\n',
    );
    const { logger, sink } = memoryLogger('info');
    const other = createGuard({ log: { level: 'error' } }, { logger });
    other.bans.add(v4(1, 2), { reason: 'on file', ttl: 600_000 });
    const second = attachFirewall(other, { command: [...pair.nft], table: 'ggshape', reconcileEvery: 0 });
    try {
      await second.ready;
      expect(sink.find('firewall-rebuild')).toHaveLength(1);
      const set = execFileSync('ip', ['netns', 'exec', pair.server, 'nft', 'list', 'set', 'inet', 'ggshape', 'ban4'], {
        encoding: 'utf8',
      });
      expect(set).toContain('flags timeout');
      expect(set).toContain(v4(1, 2));
    } finally {
      await second.close();
      other.close();
    }
  });
});
