import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GhostguardError } from './errors.js';
import { createGuard } from './guard.js';

const quiet = { log: { level: 'silent' as const } };

describe('guard.bans.add of a network (an operator range ban)', () => {
  it('refuses a network that overlaps the allowlist, either way round, and text with host bits', () => {
    const g = createGuard({
      ...quiet,
      trust: { cidrs: ['198.51.100.128/25', { address: '203.0.113.0/24', name: 'trunk' }] },
    });
    try {
      // the trusted /25 lies inside it
      expect(() => g.bans.add('198.51.100.0/22', { reason: 'r' })).toThrow(
        /overlaps the allowlist \(198\.51\.100\.128\/25\)/,
      );
      // it lies inside the trusted /24
      expect(() => g.bans.add('203.0.113.64/26', { reason: 'r' })).toThrow(/overlaps the allowlist \(trunk\)/);
      expect(() => g.bans.add('192.0.2.1/24', { reason: 'r' })).toThrow(GhostguardError);
      expect(g.bans.list()).toEqual([]);
      expect(g.bans.add('198.51.100.0/25', { reason: 'r' })).toMatchObject({
        ip: '198.51.100.0/25',
        origin: 'operator',
      });
    } finally {
      g.close();
    }
  });

  it('refuses calls from inside it, keeps it across a restart, and a reload lifts nothing', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gg-range-'));
    const a = createGuard({ ...quiet, dataDir });
    a.bans.add('2001:db8:40::/42', { reason: 'hoster', ttl: 3_600_000 });
    a.close();
    const b = createGuard({ ...quiet, dataDir });
    try {
      expect(b.bans.get('2001:db8:7f:1::9')).toMatchObject({ ip: '2001:db8:40::/42', origin: 'operator' });
      const v = b.judge({
        protocol: 'sip',
        method: 'INVITE',
        source: { ip: '2001:db8:40::7', port: 5060, transport: 'udp' },
        target: { user: 'room1' },
        caller: {},
        sip: { requestUri: 'sip:room1@192.0.2.10', hasBody: false },
        time: Date.now(),
      });
      expect(v.action).not.toBe('allow');
      expect(v.ban?.ip).toBe('2001:db8:40::/42');
      b.reconfigure({ ...quiet, dataDir });
      expect(b.bans.get('2001:db8:40::7')).toBeDefined();
    } finally {
      b.close();
    }
  });
});

describe('an address lifted by hand inside a prefix ban', () => {
  it('stays lifted after a restart; the rest of the prefix stays banned', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gg-exempt-'));
    const config = { ...quiet, dataDir, bans: { aggregate: { after: 4 } } };
    const a = createGuard(config);
    for (let h = 1; h <= 4; h++) a.bans.add(`198.51.100.${h}`, { reason: 'scanner' });
    expect(a.bans.list().map((b) => b.ip)).toEqual(['198.51.100.0/24']);
    expect(a.bans.remove('198.51.100.3')).toBe(true);
    a.close();
    const b = createGuard(config);
    try {
      expect(b.bans.get('198.51.100.3')).toBeUndefined();
      expect(b.bans.get('198.51.100.4')?.ip).toBe('198.51.100.0/24');
      // banned again by hand: the lift is gone, and stays gone after the next restart
      b.bans.add('198.51.100.3', { reason: 'again' });
    } finally {
      b.close();
    }
    const c = createGuard(config);
    try {
      expect(c.bans.get('198.51.100.3')).toBeDefined();
    } finally {
      c.close();
    }
  });
});
