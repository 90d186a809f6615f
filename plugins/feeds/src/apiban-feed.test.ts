import { mkdtempSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGuard, createLogger, type Guard } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { APIBAN_FEED, ApibanFeed } from './apiban-feed.js';
import { ApibanOptionsSchema } from './options.js';

/** A local stand-in for APIBAN's `banned` endpoint, answering with the shapes its reference clients read. */
interface Reply {
  status: number;
  body: string;
}
async function standIn(reply: (path: string) => Reply): Promise<{ url: string; paths: string[]; server: Server }> {
  const paths: string[] = [];
  const server = createServer((req, res) => {
    paths.push(req.url ?? '');
    const r = reply(req.url ?? '');
    res.writeHead(r.status, { 'content-type': 'application/json' });
    res.end(r.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  cleanups.push(() => new Promise<void>((done) => server.close(() => done())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`, paths, server };
}

const page = (ips: string[], id: string): Reply => ({ status: 200, body: JSON.stringify({ ipaddress: ips, ID: id }) });
const NONE: Reply = { status: 400, body: '{"ipaddress":["no new bans"], "ID":"none"}' };
const RATE_LIMITED: Reply = { status: 400, body: '{"ipaddress":"rate limit exceeded", "ID":"none"}' };
const UNAUTHORIZED: Reply = { status: 403, body: '{"ipaddress":["unauthorized"], "ID":"unauthorized"}' };

let cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function newGuard(dataDir: string | null = null): Guard {
  const g = createGuard({ log: { level: 'silent' }, dataDir });
  cleanups.push(() => g.close());
  return g;
}

function feed(guard: Guard, baseUrl: string, extra: Record<string, unknown> = {}): ApibanFeed {
  const options = ApibanOptionsSchema.parse({ apiKey: 'KEY', baseUrl, ...extra });
  const f = new ApibanFeed(guard, options, createLogger({ log: { level: 'silent' } }), guard.config.dataDir);
  cleanups.push(() => f.stop());
  return f;
}

const judgeFrom = (g: Guard, ip: string) => g.judge(sipAttempt({ source: { ip, port: 5060, transport: 'udp' } }));

describe('APIBAN feed', () => {
  it('pulls every page until ID none, refuses the listed sources, and caches the set and last ID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-apiban-'));
    const api = await standIn((path) =>
      path.endsWith('/banned/100')
        ? page(['203.0.113.1', '203.0.113.2'], '1700000001')
        : path.endsWith('/banned/1700000001')
          ? page(['203.0.113.3'], '1700000002')
          : NONE,
    );
    const g = newGuard(dir);
    const f = feed(g, api.url);
    await f.pull();
    expect(api.paths).toEqual(['/api/KEY/banned/100', '/api/KEY/banned/1700000001', '/api/KEY/banned/1700000002']);
    expect(judgeFrom(g, '203.0.113.3').reasons[0]?.rule).toBe('known-bad.feed');
    expect(judgeFrom(g, '203.0.113.9').action).toBe('allow');
    expect(f.health()).toMatchObject({ entries: 3, lastId: '1700000002', unauthorized: false });
    const cache = JSON.parse(readFileSync(join(dir, 'apiban.json'), 'utf8'));
    expect(cache).toMatchObject({
      version: 1,
      lastId: '1700000002',
      ips: ['203.0.113.1', '203.0.113.2', '203.0.113.3'],
    });
  });

  it('after a restart refuses the cached sources at once and goes on from the last ID', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gg-apiban-'));
    const first = await standIn((path) => (path.endsWith('/banned/100') ? page(['203.0.113.1'], '42') : NONE));
    const g1 = newGuard(dir);
    await feed(g1, first.url).pull();

    const second = await standIn((path) => (path.endsWith('/banned/42') ? page(['203.0.113.5'], '43') : NONE));
    const g2 = newGuard(dir);
    const f2 = feed(g2, second.url, { interval: '1h' });
    f2.start();
    expect(judgeFrom(g2, '203.0.113.1').reasons[0]?.rule).toBe('known-bad.feed');
    await f2.pull();
    expect(second.paths[0]).toBe('/api/KEY/banned/42');
    expect(g2.feeds.list()).toMatchObject([{ name: APIBAN_FEED, entries: 2 }]);
  });

  it('keeps the last good list when rate limited, on garbage and on an oversized answer', async () => {
    let mode: 'ok' | 'rate' | 'garbage' | 'huge' = 'ok';
    const api = await standIn((path) => {
      if (mode === 'rate') return RATE_LIMITED;
      if (mode === 'garbage') return { status: 200, body: '<html>gateway timeout</html>' };
      if (mode === 'huge')
        return page(
          Array.from({ length: 20_000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`),
          '9',
        );
      return path.endsWith('/banned/100') ? page(['203.0.113.1'], '7') : NONE;
    });
    const g = newGuard();
    const f = feed(g, api.url, { maxResponseBytes: 100_000, fullRefreshEvery: '1h' });
    await f.pull();
    for (const m of ['rate', 'garbage', 'huge'] as const) {
      mode = m;
      await f.pull();
      expect(f.health().entries).toBe(1);
      expect(judgeFrom(g, '203.0.113.1').reasons[0]?.rule).toBe('known-bad.feed');
    }
    expect(f.health().lastError).toMatch(/larger than 100000 bytes/);
    mode = 'rate';
    await f.pull();
    expect(f.health().lastError).toMatch(/rate limit/);
  });

  it('stops pulling once the key is refused, and says so in its health', async () => {
    const api = await standIn(() => UNAUTHORIZED);
    const g = newGuard();
    const f = feed(g, api.url);
    await f.pull();
    await f.pull();
    expect(api.paths).toHaveLength(1);
    expect(f.health()).toMatchObject({ unauthorized: true, entries: 0 });
  });

  it('does not pull without a key and keeps what the cache holds', async () => {
    const api = await standIn(() => NONE);
    const g = newGuard();
    const options = ApibanOptionsSchema.parse({ baseUrl: api.url, apiKeyEnv: 'GG_TEST_NO_SUCH_APIBAN_KEY' });
    const f = new ApibanFeed(g, options, createLogger({ log: { level: 'silent' } }), null);
    f.start();
    await f.pull();
    expect(api.paths).toEqual([]);
  });
});
