import { afterEach, describe, expect, it } from 'vitest';
import type { H323Attempt } from '../attempt.js';
import { type ConfigInput, parseConfig } from '../config.js';
import { createGuard, type Guard } from '../guard.js';
import { encodeSetup, type H323SetupSpec } from './messages.js';
import { type H323SetupShape, setupShapeSpec } from './setup-shapes.js';
import { recordedSetup } from './test-support/ooh323-call.js';
import { decodeSetupAttempt } from './to-attempt.js';

/**
 * End to end through the core: SETUP bytes → decodeSetupAttempt → guard.judge(). The H.323 fingerprints
 * are the decoder's own; toll-fraud digits and sweeps are the dial-shape and behaviour layers', which the
 * decoder reaches by filling target.user.
 */

const T0 = 1_700_000_000_000;
let guards: Guard[] = [];

function guard(config: ConfigInput = {}): Guard {
  // The guard's clock follows the attempts' simulated times (bans expire against it).
  const g = createGuard(parseConfig({ log: { level: 'silent' }, dataDir: null, ...config }), { now: () => T0 + 5_000 });
  guards.push(g);
  return g;
}

afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
});

function setup(input: H323SetupSpec | H323SetupShape, source = '198.51.100.66', time = T0): H323Attempt {
  return decodeSetupAttempt(encodeSetup(input).subarray(4), {
    source: { ip: source, port: 40_000 },
    time,
    adapter: 'test',
  });
}

const rules = (g: Guard, a: H323Attempt) => g.judge(a).reasons.map((r) => r.rule);

describe('judging decoded SETUPs', () => {
  it('refuses and bans the Metasploit h323_version SETUP from its first packet', () => {
    const g = guard();
    const v = g.judge(setup({ shape: 'metasploit-h323-version' }));
    expect(v.action).toBe('drop');
    expect(v.score).toBeGreaterThanOrEqual(100);
    expect(v.reasons.map((r) => r.rule)).toContain('fp.h323.msf-version-setup');
    expect(v.ban?.ip).toBe('198.51.100.66');
  });

  it('lets the recorded chan_ooh323 call and a room system SETUP through', () => {
    const g = guard();
    const recorded = decodeSetupAttempt(recordedSetup(), { source: { ip: '127.0.0.2', port: 12031 }, time: T0 });
    expect(g.judge(recorded)).toMatchObject({ action: 'allow', score: 0 });
    expect(g.judge(setup({ shape: 'room' }, '198.51.100.30'))).toMatchObject({ action: 'allow', score: 0 });
  });

  it('drops an OpenH323 tool that calls itself Cisco', () => {
    const v = guard().judge(setup({ shape: 'cisco-openh323' }));
    expect(v.action).toBe('drop');
    expect(v.reasons.map((r) => r.rule)).toEqual(
      expect.arrayContaining(['fp.h323.cisco-on-openh323', 'fp.h323.cisco-caller-name']),
    );
  });

  it('weighs an IP-only destination lightly on its own', () => {
    const v = guard().judge(setup({ shape: 'ip-only-destination' }));
    expect(v.reasons.map((r) => r.rule)).toEqual(['fp.h323.ip-only-destination']);
    expect(v.action).toBe('allow');
  });

  it('hands toll-fraud dialledDigits to the dial-shape layer', () => {
    const g = guard();
    for (const digits of ['900441224000000', '011972599000000', '0044207946000']) {
      expect(rules(g, setup({ shape: 'toll-fraud', dialledDigits: digits })), digits).toContain('dial.toll-fraud');
    }
    // Also when the number is only in the Called Party Number, or only an alias.
    const base = setupShapeSpec({ shape: 'room' });
    expect(rules(g, setup({ ...base, calledNumber: '900441224000000' }))).toContain('dial.toll-fraud');
    expect(
      rules(g, setup({ ...base, destinationAliases: [{ type: 'partyNumber', value: '00972599000000' }] })),
    ).toContain('dial.toll-fraud');
    expect(rules(g, setup(base))).not.toContain('dial.toll-fraud');
  });

  it('flags a dialled target that is not a known room when rooms are configured', () => {
    const g = guard({ dialShape: { knownTargets: ['4???', 'room-*'] } });
    expect(rules(g, setup({ shape: 'room' }))).not.toContain('dial.unknown-target');
    const base = setupShapeSpec({ shape: 'room' });
    expect(rules(g, setup({ ...base, destinationAliases: [{ type: 'dialedDigits', value: '9999' }] }))).toContain(
      'dial.unknown-target',
    );
  });

  it('sees a sweep of SETUPs to many numbers from one source as enumeration', () => {
    const g = guard({ dialShape: { knownTargets: ['4001'] } });
    const base = setupShapeSpec({ shape: 'room' });
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const a = setup(
        { ...base, callReference: i + 1, destinationAliases: [{ type: 'dialedDigits', value: String(100 + i) }] },
        '203.0.113.99',
        T0 + i * 50,
      );
      for (const r of rules(g, a)) seen.add(r);
    }
    expect(seen).toContain('behaviour.enumeration');
    expect(seen).toContain('behaviour.sequential-targets');
    expect(g.bans.get('203.0.113.99')).toBeDefined();
  });

  it('sees a sweep even without room knowledge, past the blind threshold', () => {
    const g = guard();
    const base = setupShapeSpec({ shape: 'room' });
    let enumerated = false;
    for (let i = 0; i < 60 && !enumerated; i++) {
      const digits = String(Math.floor(1000 + ((i * 7919) % 9000)));
      const a = setup({ ...base, callReference: i + 1, calledNumber: digits }, '203.0.113.98', T0 + i * 20);
      enumerated = rules(g, a).includes('behaviour.enumeration');
    }
    expect(enumerated).toBe(true);
  });
});
