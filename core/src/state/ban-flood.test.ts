import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config.js';
import { createGuard, type Guard } from '../guard.js';
import { sipAttempt } from '../testing.js';

const T0 = 1_700_000_000_000;
let clock = T0;
let guards: Guard[] = [];

function guard(bans: Record<string, unknown>): Guard {
  const g = createGuard(parseConfig({ log: { level: 'silent' }, trust: { cidrs: ['198.51.100.200/32'] }, bans }), {
    now: () => clock,
  });
  guards.push(g);
  return g;
}

afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
  clock = T0;
});

const hijack = (g: Guard, ip: string) => g.report({ kind: 'hijack-attempt', source: { ip }, time: clock });

describe('guard bans under a flood', () => {
  it("keeps a repeat offender's ban through automatic bans of 10x maxBans one-shot sources from other prefixes", () => {
    const maxBans = 300;
    const g = guard({ maxBans, aggregate: { after: 0 } });
    hijack(g, '203.0.113.66');
    clock += 700_000; // the first ban (10 min) is over
    expect(hijack(g, '203.0.113.66')?.offense).toBe(2);
    for (let i = 0; i < 10 * maxBans; i++) {
      clock += 1;
      hijack(g, `10.${(i >> 8) & 255}.${i & 255}.1`);
    }
    expect(g.stats().bans).toBe(maxBans);
    const v = g.judge(sipAttempt({ source: { ip: '203.0.113.66', port: 5060, transport: 'udp' }, time: clock }));
    expect(v.intended).not.toBe('allow');
    expect(v.reasons[0]?.rule).toBe('known-bad.banned');
  });

  it('bans a whole /24 once enough of it is banned, but an allowlisted address inside it stays trusted', () => {
    const g = guard({ aggregate: { after: 4 } });
    for (let h = 1; h <= 4; h++) hijack(g, `198.51.100.${h}`);
    expect(g.bans.list().map((b) => b.ip)).toEqual(['198.51.100.0/24']);
    const at = (ip: string) => g.judge(sipAttempt({ source: { ip, port: 5060, transport: 'udp' }, time: clock }));
    expect(at('198.51.100.77').reasons[0]?.rule).toBe('known-bad.banned');
    expect(g.bans.get('198.51.100.77')?.ip).toBe('198.51.100.0/24');
    expect(at('198.51.100.200').reasons[0]?.rule).toBe('trust.allowlist');
    expect(g.bans.remove('198.51.100.0/24')).toBe(true);
    expect(at('198.51.100.77').reasons[0]?.rule).not.toBe('known-bad.banned');
  });

  it('admits an operator ban at the cap even when every ban on file is a repeat offence', () => {
    const g = guard({ maxBans: 2, aggregate: { after: 0 } });
    for (const ip of ['203.0.113.1', '203.0.113.2']) {
      g.bans.add(ip, { reason: 'x' });
      g.bans.add(ip, { reason: 'x' });
    }
    expect(hijack(g, '203.0.113.3')).toBeDefined();
    expect(g.bans.get('203.0.113.3')).toBeUndefined();
    g.bans.add('203.0.113.4', { reason: 'by hand' });
    expect(g.bans.get('203.0.113.4')).toBeDefined();
  });
});
