import { describe, expect, it } from 'vitest';
import { backoffDelay } from './connection.js';
import { RedisBansOptionsSchema, resolveRedisBansOptions } from './options.js';

describe('redis options', () => {
  it('fills every default and gives each node its own id', () => {
    const a = resolveRedisBansOptions();
    const b = resolveRedisBansOptions({});
    expect(a).toMatchObject({
      url: 'redis://127.0.0.1:6379',
      keyPrefix: 'ghostguard:',
      connectTimeout: 2_000,
      commandTimeout: 2_000,
      pingInterval: 5_000,
      reconnect: { min: 100, max: 5_000 },
      maxPendingWrites: 1_000,
      batchSize: 500,
      shareReports: true,
      maxReportsPerSource: 10,
      reportClockSkew: 2_000,
    });
    expect(a.nodeId).toMatch(/^.+-\d+-[0-9a-f]{8}$/);
    expect(a.nodeId).not.toBe(b.nodeId);
  });

  it('takes durations as text and Sentinel settings as a pair', () => {
    const o = resolveRedisBansOptions({
      sentinels: [{ host: '10.0.0.5' }, { host: '10.0.0.6', port: 26_380 }],
      name: 'ghostguard',
      commandTimeout: '500ms',
      reconnect: { max: '10s' },
      drachtioBlacklistKey: 'drachtio:blacklist',
    });
    expect(o.sentinels).toEqual([
      { host: '10.0.0.5', port: 26_379 },
      { host: '10.0.0.6', port: 26_380 },
    ]);
    expect(o).toMatchObject({ commandTimeout: 500, reconnect: { min: 100, max: 10_000 } });
  });

  it('refuses bad settings with GG_CONFIG_INVALID naming each key', () => {
    const bad = (input: unknown) => () => resolveRedisBansOptions(input as never);
    expect(bad({ sentinels: [{ host: 'x' }] })).toThrow(/name: sentinels and name go together/);
    expect(bad({ name: 'mymaster' })).toThrow(/sentinels: sentinels and name go together/);
    expect(bad({ keyPrefix: 'gg*' })).toThrow(/keyPrefix/);
    expect(bad({ reconnect: { min: '10s', max: '1s' } })).toThrow(/reconnect\.min/);
    expect(bad({ maxPendingWrites: 0 })).toThrow(/maxPendingWrites/);
    expect(bad({ shareReports: 'yes' })).toThrow(/shareReports/);
    expect(bad({ maxReportsPerSource: 0 })).toThrow(/maxReportsPerSource/);
    expect(bad({ reportClockSkew: '2m' })).toThrow(/reportClockSkew: from 0 to 60 s/);
    expect(bad({ url: '127.0.0.1:6379' })).toThrow(/url: a redis:\/\/ or rediss:\/\/ URL/);
    expect(bad({ urll: 'redis://x' })).toThrow(/urll|Unrecognized/);
    try {
      resolveRedisBansOptions({ commandTimeout: 'soon' } as never);
      expect.unreachable();
    } catch (err) {
      expect(err).toMatchObject({ code: 'GG_CONFIG_INVALID' });
    }
  });

  it('is plain data, usable for a `shared:` section of the configuration file', () => {
    const parsed = RedisBansOptionsSchema.parse({ url: 'redis://10.0.0.9:6380/2', keyPrefix: 'site1:' });
    expect(JSON.parse(JSON.stringify(parsed))).toEqual(parsed);
  });
});

describe('reconnect backoff', () => {
  it('doubles from min and never exceeds max, with jitter between half and all of it', () => {
    const r = { min: 100, max: 5_000 };
    expect(backoffDelay(1, r, () => 1)).toBe(100);
    expect(backoffDelay(2, r, () => 1)).toBe(200);
    expect(backoffDelay(3, r, () => 0)).toBe(200);
    expect(backoffDelay(50, r, () => 1)).toBe(5_000);
    expect(backoffDelay(10_000, r, () => 0.999)).toBeLessThanOrEqual(5_000);
    expect(backoffDelay(0, r, () => 0)).toBe(50);
  });
});
