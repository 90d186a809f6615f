import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { createGuard, GhostguardError } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { runBans } from '../commands/bans.js';
import { bufferOutput } from '../output.js';
import type { Component } from './component.js';
import { startDaemon } from './daemon.js';
import { DaemonError } from './errors.js';
import { h323GateComponent } from './h323-gate-component.js';
import {
  admin,
  callThroughGate,
  daemonConfig,
  memoryLogger,
  onCleanup,
  sample,
  scrape,
  startRoom,
  startTestDaemon,
  TOKEN,
  tempDir,
  urlOf,
  WAIT_MS,
  writeConfig,
} from './test-support/daemon-harness.js';

/** A fingerprint that refuses the room shape's Polycom product id: a rule the first configuration lacks. */
const REFUSE_HDX = {
  id: 'custom.no-hdx',
  description: 'test: refuse Polycom HDX',
  field: 'h323ProductId' as const,
  pattern: 'HDX',
  weight: 60,
};

describe('ghostguard daemon', () => {
  it('starts the H.323 gate from the file; a SETUP through it is judged and shows in /metrics', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room));
    const { daemon } = await startTestDaemon(path);
    expect(Object.keys(daemon.addresses).sort()).toEqual(['admin', 'h323Gate', 'metrics']);

    const call = await callThroughGate(daemon, room, '127.0.0.1');
    expect(call.reachedRoom).toBe(true);
    const text = await scrape(daemon);
    expect(
      sample(text, 'ghostguard_verdicts_total{action="allow",intended="allow",protocol="h323",adapter="h323-gate"}'),
    ).toBe(1);
    expect(sample(text, 'ghostguard_judge_seconds_count')).toBe(1);
    expect(sample(text, 'ghostguard_component_up{component="h323Gate"}')).toBe(1);
    expect(sample(text, 'ghostguard_bans_active')).toBe(0);
    expect(sample(text, 'ghostguard_rooms')).toBe(1); // the gate's upstream by alias
    expect(text).toContain('process_cpu_user_seconds_total'); // default process metrics
  });

  it('the admin endpoint refuses a request without the token (401) or with a wrong one (403), and serves it with the token', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const { daemon, log } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room)));

    const none = await admin(daemon, 'GET', '/v1/bans', { token: null });
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: { code: 'GG_ADMIN_UNAUTHORIZED', message: expect.any(String) } });
    const wrong = await admin(daemon, 'POST', '/v1/bans', {
      token: `${TOKEN}x`,
      body: { ip: '192.0.2.1', reason: 'x' },
    });
    expect(wrong.status).toBe(403);
    expect(daemon.guard.bans.get('192.0.2.1')).toBeUndefined();
    expect(log.find('admin-auth-failed')[0]?.auth).toBe('missing');
    expect(JSON.stringify(log.lines())).not.toContain(`${TOKEN}x`);
    // Wrong tokens at will (61 refusals so far): one line a second at most, each saying how many it left out.
    const t0 = performance.now();
    for (let i = 0; i < 60; i++) await admin(daemon, 'GET', '/v1/bans', { token: `${TOKEN}${i}` });
    const seconds = (performance.now() - t0) / 1000;
    const lines = log.find('admin-auth-failed');
    expect(lines.length).toBeLessThanOrEqual(1 + Math.ceil(seconds));
    const shown = lines.length + lines.reduce((n, l) => n + Number(l.suppressed ?? 0), 0);
    expect(shown).toBeLessThanOrEqual(62);

    const ok = await admin(daemon, 'GET', '/v1/bans');
    expect(ok).toEqual({ status: 200, body: { total: 0, bans: [] } });
    const stats = await admin(daemon, 'GET', '/v1/stats');
    expect(stats.status).toBe(200);
    expect((stats.body.components as Array<{ name: string; up: boolean }>).map((c) => [c.name, c.up])).toEqual([
      ['h323Gate', true],
      ['metrics', true],
      ['admin', true],
    ]);
    const rooms = await admin(daemon, 'GET', '/v1/rooms');
    expect(rooms.body.rooms).toEqual([expect.objectContaining({ aor: '4001', static: true })]);
  });

  it('answers typed JSON errors: bad JSON, bad address, unknown path, wrong method, allowlisted source, body past 16 KiB', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const cfg = daemonConfig(dir, room, { trust: { cidrs: ['198.51.100.0/24'] } });
    const { daemon } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), cfg));

    const cases: Array<[string, string, { body?: unknown; rawBody?: string }, number, string]> = [
      ['POST', '/v1/bans', { rawBody: '{"ip":' }, 400, 'GG_ADMIN_BAD_REQUEST'],
      ['POST', '/v1/bans', { body: { ip: 'not-an-ip', reason: 'x' } }, 400, 'GG_ADMIN_BAD_REQUEST'],
      ['POST', '/v1/bans', { body: { ip: '192.0.2.9' } }, 400, 'GG_ADMIN_BAD_REQUEST'],
      ['POST', '/v1/bans', { body: { ip: '192.0.2.9', reason: 'x', ttl: 'soon' } }, 400, 'GG_ADMIN_BAD_REQUEST'],
      ['POST', '/v1/bans', { body: { ip: '198.51.100.4', reason: 'x' } }, 409, 'GG_ADMIN_CONFLICT'],
      [
        'POST',
        '/v1/bans',
        { rawBody: `{"ip":"192.0.2.9","reason":"${'a'.repeat(17 * 1024)}"}` },
        413,
        'GG_ADMIN_TOO_LARGE',
      ],
      ['DELETE', '/v1/bans/192.0.2.10', {}, 404, 'GG_ADMIN_NOT_FOUND'],
      ['GET', '/v1/bans/%ZZ/explain', {}, 400, 'GG_ADMIN_BAD_REQUEST'],
      ['GET', '/v1/nothing', {}, 404, 'GG_ADMIN_NOT_FOUND'],
      ['PUT', '/v1/bans', {}, 405, 'GG_ADMIN_METHOD'],
      ['GET', '/v1/reload', {}, 405, 'GG_ADMIN_METHOD'],
    ];
    for (const [method, path, opts, status, code] of cases) {
      const r = await admin(daemon, method, path, opts);
      expect({ method, path, status: r.status, code: (r.body.error as { code?: string })?.code }).toEqual({
        method,
        path,
        status,
        code,
      });
      expect(JSON.stringify(r.body)).not.toMatch(/\bat .*\.ts:\d+/); // no stack traces
    }
    expect(daemon.guard.bans.list()).toEqual([]);
  });

  it('`ghostguard bans add` makes the gate refuse that source; remove lets it through again', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const { daemon } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room)));
    const bans = async (...args: string[]) => {
      const out = bufferOutput();
      const code = await runBans([...args, '--admin', urlOf(daemon.addresses.admin), '--token', TOKEN], out, {
        env: {},
      });
      return { code, stdout: out.stdout.join('\n'), stderr: out.stderr.join('\n') };
    };

    const added = await bans('add', '127.0.0.5', '--reason', 'scanner seen on node b', '--ttl', '1h');
    expect(added.code).toBe(0);
    expect(added.stdout).toMatch(/^127\.0\.0\.5 banned until \S+ \(offense 1\): scanner seen on node b$/);
    const ban = daemon.guard.bans.get('127.0.0.5');
    expect(ban && ban.until - ban.since).toBe(3_600_000);

    const refused = await callThroughGate(daemon, room, '127.0.0.5');
    expect(refused.reachedRoom).toBe(false);
    const allowed = await callThroughGate(daemon, room, '127.0.0.6');
    expect(allowed.reachedRoom).toBe(true);

    const listed = await bans('list');
    expect(listed.stdout).toMatch(/127\.0\.0\.5\s+operator\s+(59m \d+s|1h)\s+\S+Z\s+1\s+scanner seen on node b/);
    const explained = await bans('explain', '127.0.0.5');
    expect(explained.stdout).toContain('ban: until');
    expect(explained.stdout).toContain('scanner seen on node b');

    expect((await bans('remove', '127.0.0.5')).code).toBe(0);
    expect((await bans('remove', '127.0.0.5')).code).toBe(3); // not banned any more: EXIT_NOT_BANNED
    const again = await callThroughGate(daemon, room, '127.0.0.5', 2);
    expect(again.reachedRoom).toBe(true);
  });

  it('a reload keeps bans and applies a new rule; only components whose section changed restart', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    writeConfig(path, daemonConfig(dir, room));
    const { daemon, log } = await startTestDaemon(path);
    daemon.guard.bans.add('127.0.0.5', { reason: 'before the reload' });
    expect((await callThroughGate(daemon, room, '127.0.0.7')).reachedRoom).toBe(true);
    const gateBefore = daemon.addresses.h323Gate;
    const adminBefore = daemon.addresses.admin;

    const next = daemonConfig(dir, room, { fingerprints: { custom: [REFUSE_HDX] } });
    (next.daemon as { metrics: unknown }).metrics = { listen: { host: '127.0.0.1', port: 0 }, path: '/prom' };
    writeConfig(path, next);
    const result = await daemon.reload();
    expect(result).toMatchObject({ ok: true, restarted: ['metrics'], unchanged: ['h323Gate', 'admin'], failed: [] });
    expect(result.ok && result.kept).toContain('bans');
    expect(daemon.addresses.h323Gate).toEqual(gateBefore);
    expect(daemon.addresses.admin).toEqual(adminBefore);
    expect(log.find('component-stopping').map((l) => [l.component, l.why])).toEqual([
      ['metrics', 'its section changed'],
    ]);

    expect(daemon.guard.bans.get('127.0.0.5')?.reason).toBe('before the reload');
    // The same call from a new source is now refused by the new rule.
    expect((await callThroughGate(daemon, room, '127.0.0.8')).reachedRoom).toBe(false);
    const res = await fetch(urlOf(daemon.addresses.metrics, '/prom'), { signal: AbortSignal.timeout(WAIT_MS) });
    const text = await res.text();
    expect(sample(text, 'ghostguard_verdict_reasons_total{rule="custom.no-hdx"}')).toBe(1);
    // Counters outlive the restart of the metrics endpoint.
    expect(sample(text, 'ghostguard_judge_seconds_count')).toBe(2);
  });

  it('a reload that removes a section stops that component and drops its series; a new log level reaches running ones', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    writeConfig(path, daemonConfig(dir, room));
    const { daemon, log } = await startTestDaemon(path);
    const next = daemonConfig(dir, room, { log: { level: 'warn' } });
    delete (next.adapters as Record<string, unknown>).h323Gate;
    writeConfig(path, next);
    expect(await daemon.reload()).toMatchObject({ ok: true, stopped: ['h323Gate'], unchanged: ['metrics', 'admin'] });
    expect(daemon.addresses.h323Gate).toBeUndefined();
    const text = await scrape(daemon);
    expect(text).not.toContain('component="h323Gate"');
    expect(sample(text, 'ghostguard_component_up{component="admin"}')).toBe(1);

    expect((await admin(daemon, 'POST', '/v1/bans', { body: { ip: '192.0.2.3', reason: 'quiet' } })).status).toBe(201);
    expect(log.find('admin-ban')).toEqual([]); // info, below the new level, in the admin endpoint's own logger
    expect(log.find('ban')).toHaveLength(1); // the guard's warn line
  });

  it('a component whose new settings cannot start runs on with its previous ones', async () => {
    const holder = createServer();
    await new Promise<void>((done) => holder.listen({ host: '127.0.0.1', port: 0 }, done));
    onCleanup(() => new Promise<void>((done) => holder.close(() => done())));
    const busy = (holder.address() as { port: number }).port;
    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    writeConfig(path, daemonConfig(dir, room));
    const { daemon, log } = await startTestDaemon(path);
    const next = daemonConfig(dir, room);
    (next.adapters as { h323Gate: { listen: unknown } }).h323Gate.listen = { host: '127.0.0.1', port: busy };
    writeConfig(path, next);
    const r = await daemon.reload();
    expect(r).toMatchObject({
      ok: true,
      failed: [{ name: 'h323Gate', keptPrevious: true, error: expect.stringContaining('EADDRINUSE') }],
    });
    expect(log.find('component-kept-previous')).toHaveLength(1);
    expect(daemon.addresses.h323Gate?.port).not.toBe(busy);
    expect((await callThroughGate(daemon, room, '127.0.0.1')).reachedRoom).toBe(true);
  });

  it('an invalid reload keeps the running configuration and says why (SIGHUP or POST /v1/reload)', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    const good = daemonConfig(dir, room);
    writeConfig(path, good);
    const { daemon, log } = await startTestDaemon(path);

    // A bad key in the gate's section, then a core key with a wrong type, then a file that is not YAML.
    const badGate = daemonConfig(dir, room, { fingerprints: { custom: [REFUSE_HDX] } });
    (badGate.adapters as { h323Gate: Record<string, unknown> }).h323Gate.maxConnections = -1;
    writeConfig(path, badGate);
    const r1 = await daemon.reload();
    expect(r1).toEqual({
      ok: false,
      error: { code: 'GG_CONFIG_INVALID', message: expect.stringContaining('adapters.h323Gate.maxConnections') },
    });

    writeConfig(path, { ...good, behaviour: { window: 'soon' } });
    const r2 = await admin(daemon, 'POST', '/v1/reload');
    expect(r2.status).toBe(422);
    expect(r2.body).toMatchObject({
      ok: false,
      error: { code: 'GG_CONFIG_INVALID', message: expect.stringContaining('behaviour.window') },
    });

    const { writeFileSync } = await import('node:fs');
    writeFileSync(path, 'adapters: [unclosed');
    expect(await daemon.reload()).toMatchObject({ ok: false, error: { code: 'GG_CONFIG_INVALID' } });

    expect(log.find('reload-failed')).toHaveLength(3);
    // Still the first configuration: no custom rule, the gate still relays.
    expect(daemon.guard.config.fingerprints.custom).toEqual([]);
    expect((await callThroughGate(daemon, room, '127.0.0.8')).reachedRoom).toBe(true);
    expect(daemon.status().reloads).toEqual({ ok: 0, failed: 3 });
  });

  it('stop() writes bans to dataDir, and a daemon started again still refuses the banned source', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = writeConfig(join(dir, 'gg.yaml'), daemonConfig(dir, room));
    const first = await startTestDaemon(path);
    expect(
      (await admin(first.daemon, 'POST', '/v1/bans', { body: { ip: '127.0.0.9', reason: 'persist me' } })).status,
    ).toBe(201);
    // Acknowledged means on disk: another reader of the data directory sees it while the daemon still runs.
    const reader = createGuard({ log: { level: 'silent' }, dataDir: join(dir, 'data') });
    expect(reader.bans.get('127.0.0.9')?.reason).toBe('persist me');
    reader.close();
    await first.daemon.stop();
    await first.daemon.stop(); // idempotent
    expect(existsSync(join(dir, 'data', 'ghostguard.db'))).toBe(true);
    expect(first.log.find('daemon-stopped')).toHaveLength(1);

    const second = await startTestDaemon(path);
    expect(second.daemon.guard.bans.get('127.0.0.9')?.reason).toBe('persist me');
    expect((await callThroughGate(second.daemon, room, '127.0.0.9')).reachedRoom).toBe(false);
    expect((await callThroughGate(second.daemon, room, '127.0.0.10')).reachedRoom).toBe(true);
  });

  it('POST /v1/reload can move the admin endpoint itself: the answer comes from the old one, the new port serves', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    writeConfig(path, daemonConfig(dir, room));
    const { daemon } = await startTestDaemon(path);
    const before = daemon.addresses.admin;
    const next = daemonConfig(dir, room);
    (next.daemon as { admin: unknown }).admin = { listen: { host: '127.0.0.1', port: 0 }, token: `${TOKEN}-new` };
    writeConfig(path, next);
    const r = await admin(daemon, 'POST', '/v1/reload');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, restarted: ['admin'] });
    expect(daemon.addresses.admin).not.toEqual(before);
    expect((await admin(daemon, 'GET', '/v1/bans')).status).toBe(403); // old token
    expect((await admin(daemon, 'GET', '/v1/bans', { token: `${TOKEN}-new` })).status).toBe(200);
  });
});

describe('daemon components', () => {
  it('a component added to the list (as the shared store will be) starts from its section; its health is component_up', async () => {
    const dir = tempDir();
    const room = await startRoom();
    let connected = true;
    const events: string[] = [];
    const store: Component = {
      name: 'shared',
      whenDown: 'fail-open',
      section: (config) => config.shared,
      validate(config) {
        if (typeof (config.shared as { url?: unknown }).url !== 'string') {
          throw new GhostguardError('GG_CONFIG_INVALID', 'invalid configuration:\n  shared.url: expected a string');
        }
      },
      async start(_guard, config) {
        events.push(`start ${(config.shared as { url: string }).url}`);
        return {
          close: async () => {
            events.push('close');
          },
          healthy: () => connected,
          health: () => ({ connected }),
        };
      },
    };
    const cfg = { ...daemonConfig(dir, room), shared: { url: 'redis://a' } };
    const path = writeConfig(join(dir, 'gg.yaml'), cfg);
    const { daemon } = await startTestDaemon(path, { components: [store, h323GateComponent] });
    expect(sample(await scrape(daemon), 'ghostguard_component_up{component="shared"}')).toBe(1);
    connected = false;
    expect(sample(await scrape(daemon), 'ghostguard_component_up{component="shared"}')).toBe(0);
    expect(daemon.status().components.find((c) => c.name === 'shared')).toMatchObject({
      up: false,
      health: { connected: false },
    });

    writeConfig(path, { ...cfg, shared: { url: 7 } });
    expect(await daemon.reload()).toMatchObject({
      ok: false,
      error: { message: expect.stringContaining('shared.url') },
    });
    writeConfig(path, { ...cfg, shared: { url: 'redis://b' } });
    expect(await daemon.reload()).toMatchObject({ ok: true, restarted: ['shared'] });
    await daemon.stop();
    expect(events).toEqual(['start redis://a', 'close', 'start redis://b', 'close']);
  });
});

describe('daemon start-up', () => {
  it('refuses to start the admin endpoint without a token, unless admin: false', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    const cfg = daemonConfig(dir, room);
    (cfg.daemon as { admin: unknown }).admin = { listen: { host: '127.0.0.1', port: 0 } };
    writeConfig(path, cfg);
    await expect(startDaemon({ configPath: path, env: {} })).rejects.toMatchObject({
      code: 'GG_CONFIG_INVALID',
      message: expect.stringContaining('admin: false'),
    });
    expect(existsSync(join(dir, 'data', 'ghostguard.db'))).toBe(false);

    (cfg.daemon as { admin: unknown }).admin = false;
    writeConfig(path, cfg);
    const { daemon } = await startTestDaemon(path);
    expect(Object.keys(daemon.addresses).sort()).toEqual(['h323Gate', 'metrics']);
  });

  it('takes the token from $GHOSTGUARD_ADMIN_TOKEN when the file names none', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const cfg = daemonConfig(dir, room);
    (cfg.daemon as { admin: unknown }).admin = { listen: { host: '127.0.0.1', port: 0 } };
    const { daemon } = await startTestDaemon(writeConfig(join(dir, 'gg.yaml'), cfg), {
      env: { GHOSTGUARD_ADMIN_TOKEN: `${TOKEN}-env` },
    });
    expect((await admin(daemon, 'GET', '/v1/bans', { token: `${TOKEN}-env` })).status).toBe(200);
  });

  it('a component that cannot start stops the daemon by default; with requireAllComponents: false it is reported down and a reload starts it', async () => {
    // Hold a port so the gate cannot bind it.
    const holder = createServer();
    await new Promise<void>((done) => holder.listen({ host: '127.0.0.1', port: 0 }, done));
    onCleanup(() => new Promise<void>((done) => holder.close(() => done())));
    const busy = (holder.address() as { port: number }).port;

    const dir = tempDir();
    const room = await startRoom();
    const path = join(dir, 'gg.yaml');
    const cfg = daemonConfig(dir, room);
    (cfg.adapters as { h323Gate: { listen: unknown } }).h323Gate.listen = { host: '127.0.0.1', port: busy };
    writeConfig(path, cfg);
    const err = await startDaemon({ configPath: path, env: {}, logger: memoryLogger().logger }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DaemonError);
    expect(err).toMatchObject({ code: 'GG_DAEMON_START', message: expect.stringMatching(/h323Gate.*EADDRINUSE/) });

    (cfg.daemon as { requireAllComponents: boolean }).requireAllComponents = false;
    writeConfig(path, cfg);
    const { daemon, log } = await startTestDaemon(path);
    expect(daemon.addresses.h323Gate).toBeUndefined();
    expect(log.find('component-failed')[0]).toMatchObject({ component: 'h323Gate', whenDown: 'fail-closed' });
    expect(sample(await scrape(daemon), 'ghostguard_component_up{component="h323Gate"}')).toBe(0);
    const status = await admin(daemon, 'GET', '/v1/stats');
    expect(status.body.components).toContainEqual(
      expect.objectContaining({ name: 'h323Gate', up: false, error: expect.stringContaining('EADDRINUSE') }),
    );

    await new Promise<void>((done) => holder.close(() => done()));
    const r = await daemon.reload();
    expect(r).toMatchObject({ ok: true, started: ['h323Gate'] });
    expect(daemon.addresses.h323Gate?.port).toBe(busy);
    expect(sample(await scrape(daemon), 'ghostguard_component_up{component="h323Gate"}')).toBe(1);
  });

  it('names the bad key of the daemon section', async () => {
    const dir = tempDir();
    const room = await startRoom();
    const cfg = daemonConfig(dir, room);
    (cfg.daemon as Record<string, unknown>).metrics = { listen: { port: 70_000 }, pat: '/m' };
    const err = await startDaemon({ configPath: writeConfig(join(dir, 'gg.yaml'), cfg), env: {} }).catch((e) => e);
    expect(err).toBeInstanceOf(GhostguardError);
    expect(err.message).toContain('daemon.metrics.listen.port');
    expect(err.message).toContain('daemon.metrics.pat: unknown key (did you mean "path"?)');
  });
});
