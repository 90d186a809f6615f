import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GhostguardError, parseConfig } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { parseDaemonSection, resolveAdminToken, urlOf } from './daemon-config.js';
import { tempDir } from './test-support/daemon-harness.js';

const section = (daemon: unknown) => parseDaemonSection(parseConfig({ daemon }));

function configError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GhostguardError);
    return (err as Error).message;
  }
  throw new Error('expected a configuration error');
}

describe('daemon section', () => {
  it('defaults: admin on 127.0.0.1:9733, metrics on 127.0.0.1:9734/metrics, strict start-up', () => {
    expect(section(undefined)).toEqual({
      admin: { listen: { host: '127.0.0.1', port: 9733 } },
      metrics: { listen: { host: '127.0.0.1', port: 9734 }, path: '/metrics' },
      requireAllComponents: true,
      stopTimeout: 10_000,
    });
    expect(section({ admin: false, metrics: false, stopTimeout: '3s' })).toMatchObject({
      admin: false,
      metrics: false,
      stopTimeout: 3_000,
    });
  });

  it('names every bad key from the top of the file', () => {
    const message = configError(() =>
      section({
        admin: { listen: { host: '', port: -1 }, token: 'short', extra: 1 },
        metrics: { path: 'metrics' },
        requireAllComponents: 'yes',
        stopTimeout: 0,
        other: true,
      }),
    );
    for (const key of [
      'daemon.admin.listen.host',
      'daemon.admin.listen.port',
      'daemon.admin.token: at least 16 characters',
      'daemon.admin.extra: unknown key',
      'daemon.metrics.path',
      'daemon.requireAllComponents',
      'daemon.stopTimeout',
      'daemon.other: unknown key',
    ]) {
      expect(message).toContain(key);
    }
    expect(configError(() => section({ admin: true }))).toContain('daemon.admin');
    expect(configError(() => section({ admin: { token: 'x'.repeat(16), tokenFile: '/t' } }))).toContain('not both');
  });
});

describe('admin token', () => {
  const admin = (over: object = {}) => ({ listen: { host: '127.0.0.1', port: 0 }, ...over });

  it('comes from token, else tokenFile (relative to the configuration file), else the environment', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'admin.token'), '  file-token-0123456789\n');
    const configPath = join(dir, 'gg.yaml');
    const env = { GHOSTGUARD_ADMIN_TOKEN: 'env-token-0123456789' };
    expect(resolveAdminToken(admin({ token: 'conf-token-0123456789' }), { configPath, env })).toBe(
      'conf-token-0123456789',
    );
    expect(resolveAdminToken(admin({ tokenFile: 'admin.token' }), { configPath, env })).toBe('file-token-0123456789');
    expect(resolveAdminToken(admin(), { configPath, env })).toBe('env-token-0123456789');
  });

  it('is required, long enough, and a missing tokenFile is a read error', () => {
    expect(configError(() => resolveAdminToken(admin(), { env: {} }))).toMatch(/needs a token.*admin: false/);
    expect(configError(() => resolveAdminToken(admin(), { env: { GHOSTGUARD_ADMIN_TOKEN: 'short' } }))).toContain(
      'too short',
    );
    try {
      resolveAdminToken(admin({ tokenFile: '/nonexistent/gg.token' }), { env: {} });
      throw new Error('expected GG_CONFIG_READ');
    } catch (err) {
      expect((err as GhostguardError).code).toBe('GG_CONFIG_READ');
    }
  });

  it('urlOf reaches a wildcard listener over loopback', () => {
    expect(urlOf({ host: '0.0.0.0', port: 9733 })).toBe('http://127.0.0.1:9733');
    expect(urlOf({ host: '::', port: 9733 })).toBe('http://[::1]:9733');
    expect(urlOf({ host: '10.0.0.5', port: 1 })).toBe('http://10.0.0.5:1');
  });
});
