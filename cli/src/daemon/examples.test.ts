import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createGuard, loadConfigFile } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import { ADAPTER_COMPONENTS } from './components.js';
import { parseDaemonSection, resolveAdminToken } from './daemon-config.js';
import { DaemonMetrics } from './metrics.js';
import { validateComponents } from './supervisor.js';

const EXAMPLES = resolve(import.meta.dirname, '../../../examples');
const DASHBOARD = resolve(EXAMPLES, 'grafana/ghostguard-dashboard.json');
const DAEMON_CONFIG = resolve(EXAMPLES, 'daemon/ghostguard.yaml');

describe('example daemon configuration', () => {
  it('is valid: the gate, admin (token from the environment) and metrics on loopback', () => {
    const config = loadConfigFile(DAEMON_CONFIG);
    validateComponents(ADAPTER_COMPONENTS, config, DAEMON_CONFIG);
    const daemon = parseDaemonSection(config, DAEMON_CONFIG);
    if (daemon.admin === false || daemon.metrics === false) throw new Error('an endpoint is switched off');
    expect(daemon.admin.listen).toEqual({ host: '127.0.0.1', port: 9733 });
    expect(daemon.metrics.listen).toEqual({ host: '127.0.0.1', port: 9734 });
    expect(config.adapters.h323Gate).toMatchObject({ listen: { host: '127.0.0.1' } });
    const env = { GHOSTGUARD_ADMIN_TOKEN: 'example-token-0123456789' };
    expect(resolveAdminToken(daemon.admin, { configPath: DAEMON_CONFIG, env })).toBe(env.GHOSTGUARD_ADMIN_TOKEN);
  });
});

describe('example Grafana dashboard', () => {
  it('queries only metrics the daemon exports', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    expect(exprs.length).toBeGreaterThan(10);
    const used = new Set(exprs.flatMap((e) => e.match(/\b(?:ghostguard|process|nodejs)_[a-z0-9_]+/g) ?? []));

    const guard = createGuard({ log: { level: 'silent' } });
    const metrics = new DaemonMetrics();
    metrics.attach(guard);
    guard.judge(sipAttempt());
    guard.bans.add('192.0.2.1', { reason: 'x' });
    metrics.watchComponents(() => [{ name: 'h323Gate', up: true }]);
    const text = (await metrics.render()).body;
    guard.close();
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
    const missing = [...used].filter((name) => !exported.has(name.replace(/_(bucket|sum|count)$/, '')));
    expect(missing).toEqual([]);
  });

  it('shows the age and size of each feed, so a stale APIBAN feed is visible', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      panels: Array<{ title: string; targets?: Array<{ expr: string }> }>;
    };
    const byMetric = (metric: string) =>
      dashboard.panels.filter((p) => (p.targets ?? []).some((t) => t.expr.includes(metric))).map((p) => p.title);
    expect(byMetric('ghostguard_feed_age_seconds')).toEqual(['Oldest feed (age)', 'Feed age by feed']);
    expect(byMetric('ghostguard_feed_entries')).toEqual(['Feed size (entries)']);
  });
});
