import { createGuard, createLogger } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { MemoryBanSink, mirrorBans } from './ban-mirror.js';
import { waitUntil } from './testing.js';

const silent = () => createLogger({ log: { level: 'silent' } });

describe('mirrorBans', () => {
  it('keeps an in-memory set in step with the guard bans: existing, new and lifted', () => {
    const guard = createGuard({ log: { level: 'silent' } }, { logger: silent() });
    guard.bans.add('203.0.113.1', { reason: 'before the mirror' });
    const sink = new MemoryBanSink();
    const mirror = mirrorBans(guard, sink);
    expect(sink.has('203.0.113.1')).toBe(true);
    guard.bans.add('203.0.113.2', { reason: 'scanner' });
    expect([...sink.set.keys()].sort()).toEqual(['203.0.113.1', '203.0.113.2']);
    guard.bans.remove('203.0.113.1');
    expect([...sink.set.keys()]).toEqual(['203.0.113.2']);
    mirror.stop();
    guard.bans.add('203.0.113.3', { reason: 'after stop' });
    expect(sink.has('203.0.113.3')).toBe(false);
    guard.close();
  });

  it('a failing sink (sync or async) is counted and logged, never thrown into the guard', async () => {
    const guard = createGuard({ log: { level: 'silent' } }, { logger: silent() });
    let calls = 0;
    const mirror = mirrorBans(guard, {
      add: () => {
        calls++;
        if (calls === 1) throw new Error('redis down');
        return Promise.reject(new Error('redis still down'));
      },
      remove: () => {},
    });
    expect(() => guard.bans.add('203.0.113.4', { reason: 'x' })).not.toThrow();
    guard.bans.add('203.0.113.5', { reason: 'y' });
    await waitUntil(() => mirror.failures === 2, 2_000, 'both failures');
    expect(guard.bans.get('203.0.113.4')).toBeDefined();
    guard.close();
  });

  it('mirrors nothing in monitor mode (drachtio-server would enforce it)', () => {
    const guard = createGuard({ log: { level: 'silent' }, mode: 'monitor' }, { logger: silent() });
    const sink = new MemoryBanSink();
    mirrorBans(guard, sink);
    guard.bans.add('203.0.113.6', { reason: 'x' });
    expect(sink.set.size).toBe(0);
    guard.close();
  });
});
