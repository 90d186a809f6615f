import { join, resolve } from 'node:path';
import { AsteriskSectionSchema } from '@ghostguard/asterisk';
import { DaemonSectionSchema } from '@ghostguard/cli';
import { createGuard, loadConfigFile, parseAdapterSection, parseSection } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { DrachtioSectionSchema } from '@ghostguard/drachtio';
import { FeedsSectionSchema } from '@ghostguard/feeds';
import { freeswitchSection } from '@ghostguard/freeswitch';
import { H323GateSectionSchema } from '@ghostguard/h323-gate';
import { RedisBansOptionsSchema } from '@ghostguard/redis';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');

describe('example configurations', () => {
  it('examples/ghostguard.yaml is valid and means what its comments say', () => {
    const config = loadConfigFile(join(ROOT, 'examples/ghostguard.yaml'));
    expect(config.bans).toMatchObject({ ttl: 600_000, maxTtl: 7 * 86_400_000, escalation: 4 });
    expect(config.log.refusals).toEqual({ window: 60_000, linesPerSecond: 10, maxSources: 4096 });
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

  it('each section of every example file passes the schema of the package that owns it', () => {
    const files = [
      'examples/ghostguard.yaml',
      'examples/demo/ghostguard.yaml',
      'examples/asterisk/ghostguard.yaml',
      'examples/freeswitch/ghostguard.yaml',
      'examples/daemon/ghostguard.yaml',
      'examples/drachtio-room-proxy/ghostguard.yaml',
    ];
    for (const file of files) {
      const config = loadConfigFile(join(ROOT, file));
      if (config.adapters.asterisk !== undefined) parseAdapterSection(AsteriskSectionSchema, config, 'asterisk', file);
      if (config.adapters.freeswitch !== undefined) freeswitchSection(config, file);
      if (config.adapters.drachtio !== undefined) parseAdapterSection(DrachtioSectionSchema, config, 'drachtio', file);
      if (config.adapters.h323Gate !== undefined) parseAdapterSection(H323GateSectionSchema, config, 'h323Gate', file);
      if (config.feeds !== undefined) parseSection(FeedsSectionSchema, config.feeds, ['feeds'], file);
      if (config.shared !== undefined) parseSection(RedisBansOptionsSchema, config.shared, ['shared'], file);
      if (config.daemon !== undefined) parseSection(DaemonSectionSchema, config.daemon, ['daemon'], file);
    }
    const reference = loadConfigFile(join(ROOT, 'examples/ghostguard.yaml'));
    expect(parseSection(FeedsSectionSchema, reference.feeds, ['feeds']).files[0]?.name).toBe('office-blocklist');
    expect(parseSection(RedisBansOptionsSchema, reference.shared, ['shared']).drachtioBlacklistKey).toBe(
      'drachtio:blacklist',
    );
  });
});
