import { describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '../config.js';
import { parseIp } from '../net/ip.js';
import type { Reason } from '../verdict.js';
import { BehaviourRules, type TargetObservation } from './behaviour.js';
import { RuleWeights } from './weights.js';

function rules(input: ConfigInput = {}) {
  const config = parseConfig(input);
  return new BehaviourRules(config, new RuleWeights(config.rules));
}

const T0 = 1_700_000_000_000;

function step(b: BehaviourRules, ip: string, t: number, target: TargetObservation): string[] {
  const out: Reason[] = [];
  b.evaluate(parseIp(ip)!, t, target, out);
  return out.map((r) => r.rule);
}

describe('behaviour', () => {
  it('flags enumeration of unknown targets from one source (svwar 100..)', () => {
    const b = rules();
    let last: string[] = [];
    for (let i = 0; i < 8; i++) last = step(b, '198.51.100.9', T0 + i * 6, { user: String(100 + i), known: false });
    expect(last).toContain('behaviour.enumeration');
    expect(last).toContain('behaviour.sequential-targets');
  });

  it('does not treat a bridge dialling 30 known rooms in 2 s as enumeration', () => {
    const b = rules();
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) {
      for (const r of step(b, '198.51.100.50', T0 + i * 66, { user: `room-${101 + i}`, known: true })) seen.add(r);
    }
    expect(seen.has('behaviour.enumeration')).toBe(false);
    expect(seen.has('behaviour.sequential-targets')).toBe(false);
    expect(seen.has('behaviour.rate')).toBe(true);
  });

  it('needs many more distinct targets when nothing is known about targets', () => {
    const b = rules();
    let last: string[] = [];
    for (let i = 0; i < 39; i++) last = step(b, '198.51.100.9', T0 + i, { user: `x${i}a`, known: undefined });
    expect(last).not.toContain('behaviour.enumeration');
    last = step(b, '198.51.100.9', T0 + 40, { user: 'x40a', known: undefined });
    expect(last).toContain('behaviour.enumeration');
  });

  it('sees a distributed sweep across one /24 through the prefix counters', () => {
    const b = rules();
    let last: string[] = [];
    for (let i = 0; i < 8; i++) last = step(b, `198.51.100.${10 + i}`, T0 + i, { user: `ext${i * 7}x`, known: false });
    expect(last).toContain('behaviour.prefix-enumeration');
    expect(last).not.toContain('behaviour.enumeration');
  });

  it('groups IPv6 sources by /64', () => {
    const b = rules();
    let last: string[] = [];
    for (let i = 0; i < 8; i++) last = step(b, `2001:db8:1:2::${i + 1}`, T0 + i, { user: `e${i * 3}z`, known: false });
    expect(last).toContain('behaviour.prefix-enumeration');
  });

  it('forgets a burst once the window has passed', () => {
    const b = rules({ behaviour: { window: '1s' } });
    for (let i = 0; i < 30; i++) step(b, '198.51.100.9', T0 + i, { user: undefined, known: undefined });
    expect(step(b, '198.51.100.9', T0 + 31, { user: undefined, known: undefined })).toContain('behaviour.rate');
    expect(step(b, '198.51.100.9', T0 + 5000, { user: undefined, known: undefined })).not.toContain('behaviour.rate');
  });

  it('flags PBX-reported failures and lets a completed call earn trust', () => {
    const b = rules();
    const ip = parseIp('198.51.100.77')!;
    for (let i = 0; i < 3; i++) b.recordFailure(ip, T0 + i, undefined);
    expect(step(b, '198.51.100.77', T0 + 10, { user: 'room-1', known: true })).toContain('behaviour.failures');
    b.recordCompletedCall(parseIp('198.51.100.78')!, T0);
    expect(step(b, '198.51.100.78', T0 + 10, { user: 'room-1', known: true })).toContain('trust.earned');
  });

  it('keeps memory bounded: never more than maxSources tracked', () => {
    const b = rules({ behaviour: { maxSources: 1000 } });
    for (let i = 0; i < 5000; i++)
      step(b, `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, T0 + i, { user: undefined, known: undefined });
    expect(b.sources.size).toBeLessThanOrEqual(1000);
    expect(b.prefixes.size).toBeLessThanOrEqual(1000);
    expect(b.sources.evicted).toBeGreaterThan(0);
  });
});

describe('behaviour: a flood cannot wash out a source with history', () => {
  it("keeps an enumerating source's counters through a flood of 10x maxSources one-shot sources from other /24s", () => {
    const maxSources = 1000;
    const b = rules({ behaviour: { maxSources } });
    for (let i = 0; i < 7; i++) step(b, '198.51.100.9', T0 + i, { user: `ext${i * 7}x`, known: false });
    for (let i = 0; i < 10 * maxSources; i++)
      step(b, `10.${(i >> 8) & 255}.${i & 255}.1`, T0 + 10 + (i >> 4), { user: undefined, known: undefined });
    expect(b.sources.size).toBeLessThanOrEqual(maxSources);
    expect(b.prefixes.size).toBeLessThanOrEqual(maxSources);
    // the eighth unknown target still meets the seven before it (threshold 8)
    expect(step(b, '198.51.100.9', T0 + 1000, { user: 'ext99x', known: false })).toContain('behaviour.enumeration');
  });

  it('keeps the same through a flood of fresh IPv6 /64s', () => {
    const maxSources = 500;
    const b = rules({ behaviour: { maxSources } });
    for (let i = 0; i < 7; i++) step(b, '2001:db8:1:2::9', T0 + i, { user: `ext${i * 7}x`, known: false });
    for (let i = 0; i < 10 * maxSources; i++)
      step(b, `2001:db8:${(i >> 8) & 255}:${(i & 255) + 256}::1`, T0 + 10, { user: undefined, known: undefined });
    expect(step(b, '2001:db8:1:2::9', T0 + 1000, { user: 'ext99x', known: false })).toContain('behaviour.enumeration');
  });
});

describe('behaviour: sources seen once', () => {
  it('keeps a lone first attempt as a bare window index, and counts it when the source comes back', () => {
    const b = rules({ behaviour: { ratePerSource: 1 } });
    expect(step(b, '198.51.100.90', T0, { user: 'room-1', known: true })).not.toContain('behaviour.rate');
    expect(typeof b.sources.peek(parseIp('198.51.100.90')!.v4 | 0)).toBe('number');
    // the second attempt sees two: the first was remembered
    expect(step(b, '198.51.100.90', T0 + 10, { user: 'room-1', known: true })).toContain('behaviour.rate');
    expect(typeof b.sources.peek(parseIp('198.51.100.90')!.v4 | 0)).toBe('object');
  });

  it('carries a lone first attempt into the next window like a full record would', () => {
    const b = rules({ behaviour: { ratePerSource: 1.5, window: '10s' } });
    step(b, '198.51.100.91', T0, { user: 'room-1', known: true });
    // 1 s into the next window: 1 + 1 × 0.9 of the previous window = 1.9 > 1.5
    expect(step(b, '198.51.100.91', T0 + 11_000, { user: 'room-1', known: true })).toContain('behaviour.rate');
  });

  it('creates a full record at once when the first attempt has something to remember', () => {
    const b = rules();
    step(b, '198.51.100.92', T0, { user: '4711', known: false });
    expect(typeof b.sources.peek(parseIp('198.51.100.92')!.v4 | 0)).toBe('object');
    const fresh = rules();
    fresh.recordFailure(parseIp('198.51.100.93')!, T0, undefined);
    expect(step(fresh, '198.51.100.93', T0 + 1, { user: 'room-1', known: true })).not.toContain('behaviour.failures');
    expect(fresh.describe(parseIp('198.51.100.93')!, T0 + 2)).toMatchObject({
      attemptsInWindow: 1,
      failuresInWindow: 1,
    });
  });
});
