import { join, resolve } from 'node:path';
import { createGuard, loadConfigFile } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

describe('example configurations', () => {
  it('examples/ghostguard.yaml is valid and means what its comments say', () => {
    const config = loadConfigFile(join(ROOT, 'examples/ghostguard.yaml'));
    expect(config.bans).toMatchObject({ ttl: 600_000, maxTtl: 7 * 86_400_000, escalation: 4 });
    expect(config.rules.disable).toContain('fp.ua.sipsak');
    const guard = createGuard({ ...config, dataDir: null, log: { level: 'silent' } });
    try {
      // the documented custom fingerprint fires; the documented trunk is trusted
      expect(
        guard.judge(sipAttempt({ userAgent: 'EvilDialer 3', source: { ip: '192.0.2.50' } })).reasons.map((r) => r.rule),
      ).toContain('custom.evil-dialer');
      expect(guard.judge(sipAttempt({ userAgent: 'friendly-scanner', source: { ip: '198.51.100.3' } })).action).toBe(
        'allow',
      );
      // INVITEs from scanners are tarpitted per the method tiers
      expect(guard.judge(sipAttempt({ userAgent: 'friendly-scanner', source: { ip: '192.0.2.51' } })).action).toBe(
        'tarpit',
      );
    } finally {
      guard.close();
    }
  });

  it('examples/demo/ghostguard.yaml is valid', () => {
    expect(loadConfigFile(join(ROOT, 'examples/demo/ghostguard.yaml')).dialShape.knownTargets).toEqual([
      'room-*',
      '5551234',
    ]);
  });
});
