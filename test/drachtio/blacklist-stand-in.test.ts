import { execFileSync } from 'node:child_process';
import { buildRequest, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import { startRedisServer, type TestRedisServer } from '@ghostguard/redis/testing';
import { startDrachtioServerPeer } from '@ghostguard/stand-ins/drachtio-server';
import { afterEach, describe, expect, it } from 'vitest';

/**
 * The drachtio-server stand-in's `--blacklist-redis-*` against a real redis-server: what v0.9.10's source does
 * (drachtio-server src/blacklist.cpp, src/controller.cpp; stand-ins/src/drachtio-server/blacklist.ts): the set is
 * read once per start, a query that fails is retried, and a listed source gets nothing at all.
 */

const KEY = 'drachtio:blacklist';
const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

function redisCli(redis: TestRedisServer, ...args: string[]): string {
  return String(execFileSync('/usr/bin/redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), ...args])).trim();
}

async function redis(): Promise<TestRedisServer> {
  const r = await startRedisServer();
  closers.push(() => r.stop());
  return r;
}

async function options(peerPort: number, agent: SipUdpAgent): Promise<string> {
  const callId = `o-${Date.now()}-${Math.random()}`;
  agent.send(
    buildRequest({
      method: 'OPTIONS',
      uri: 'sip:127.0.0.1',
      from: { address: agent.address, port: agent.port },
      callId,
    }),
    peerPort,
  );
  return callId;
}

describe('drachtio-server stand-in: --blacklist-redis-key as v0.9.10 has it', () => {
  it('reads the set once at start: an address added later is not dropped, one removed later still is, until a restart', async () => {
    const r = await redis();
    redisCli(r, 'SADD', KEY, '127.0.0.91');
    const peer = await startDrachtioServerPeer({ secret: 's', blacklist: { port: r.port, key: KEY, retryMs: 50 } });
    closers.push(() => peer.close());
    await waitUntil(() => peer.blacklist()?.loaded === true, 5_000, 'the first read');
    const listed = await SipUdpAgent.open('127.0.0.91');
    closers.push(() => listed.close());
    const later = await SipUdpAgent.open('127.0.0.92');
    closers.push(() => later.close());

    redisCli(r, 'SADD', KEY, '127.0.0.92');
    redisCli(r, 'SREM', KEY, '127.0.0.91');
    // No app routed OPTIONS: drachtio-server answers 503 itself to anyone it does not discard.
    const a = await options(peer.sipPort, listed);
    const b = await options(peer.sipPort, later);
    await waitUntil(() => later.responsesFor(b).some((x) => x.status === 503), 5_000, 'the 503 to the later one');
    await waitUntil(() => peer.stats().blacklisted === 1, 5_000, 'the listed one discarded');
    expect(listed.responsesFor(a)).toEqual([]);
    expect(peer.blacklist()).toMatchObject({ loaded: true, size: 1, queries: 1 });

    await peer.restart();
    await waitUntil(() => peer.blacklist()?.queries === 2 && peer.blacklist()?.loaded === true, 5_000, 'the re-read');
    const c = await options(peer.sipPort, listed);
    const d = await options(peer.sipPort, later);
    await waitUntil(() => listed.responsesFor(c).some((x) => x.status === 503), 5_000, 'the 503 to the lifted one');
    await waitUntil(() => peer.stats().blacklisted === 2, 5_000, 'the newly listed one discarded');
    expect(later.responsesFor(d)).toEqual([]);
  });

  it('retries a failed first read (Redis down at start) and then enforces what it read', async () => {
    const r = await redis();
    await r.kill();
    const peer = await startDrachtioServerPeer({ secret: 's', blacklist: { port: r.port, key: KEY, retryMs: 50 } });
    closers.push(() => peer.close());
    await waitUntil(() => (peer.blacklist()?.failures ?? 0) >= 1, 5_000, 'a failed read');
    expect(peer.blacklist()?.loaded).toBe(false);
    await r.restart();
    redisCli(r, 'SADD', KEY, '127.0.0.93');
    await waitUntil(() => peer.blacklist()?.loaded === true, 5_000, 'the read after Redis came back');
    expect(peer.blacklist()?.size).toBe(1);
  });
});
