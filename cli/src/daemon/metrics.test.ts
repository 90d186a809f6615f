import { createGuard } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { attachH323Gate } from '@ghostguard/h323-gate';
import { dial, waitUntil } from '@ghostguard/h323-gate/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { LabelIndex } from './label-index.js';
import { DaemonMetrics } from './metrics.js';
import { roomSetup, sample } from './test-support/daemon-harness.js';

const guards: Array<{ close(): void }> = [];
afterEach(() => {
  for (const g of guards.splice(0)) g.close();
});

describe('label index', () => {
  it('numbers the first distinct values and puts the rest under other', () => {
    const cap = new LabelIndex(2);
    const names = ['a', 'b', 'c', 'a', 'd'].map((v) => cap.name(cap.index(v)));
    expect(names).toEqual(['a', 'b', 'other', 'a', 'other']);
    expect(cap.index('c')).toBe(2);
    const other = new LabelIndex(5);
    expect(other.name(other.index(undefined))).toBe('none');
    expect(other.name(other.index('y'.repeat(500)))).toBe('y'.repeat(64));
    expect(other.index('y'.repeat(500))).toBe(other.index(`${'y'.repeat(64)}`));
  });
});

describe('verdict tally', () => {
  it('caps the rule label: a flood of distinct rule ids adds one series, other', async () => {
    const guard = createGuard({ log: { level: 'silent' } });
    guards.push(guard);
    const metrics = new DaemonMetrics();
    metrics.attach(guard);
    // Custom fingerprints are the configurable source of rule ids: 600 distinct ones, all matching.
    guard.reconfigure({
      log: { level: 'silent' },
      bans: { banScore: 1_000_000 },
      fingerprints: {
        custom: Array.from({ length: 600 }, (_, i) => ({
          id: `custom.r${i}`,
          description: 'test',
          field: 'userAgent' as const,
          pattern: 'Cisco',
          weight: 0,
        })),
      },
    });
    guard.judge(sipAttempt());
    const text = (await metrics.render()).body;
    const series = text.split('\n').filter((l) => l.startsWith('ghostguard_verdict_reasons_total{'));
    expect(series.length).toBeLessThanOrEqual(513);
    expect(sample(text, 'ghostguard_verdict_reasons_total{rule="other"}')).toBeGreaterThan(0);
  });
});

describe('daemon metrics', () => {
  it('counts verdicts by action, protocol and adapter, reasons by rule, and times judge() while attached', async () => {
    const guard = createGuard({ log: { level: 'silent' }, deny: { cidrs: ['192.0.2.0/24'] } });
    guards.push(guard);
    const metrics = new DaemonMetrics();
    metrics.attach(guard);
    guard.judge(sipAttempt({ source: { ip: '198.51.100.1', port: 5060, transport: 'udp' }, adapter: 'drachtio' }));
    guard.judge(sipAttempt({ source: { ip: '192.0.2.7', port: 5060, transport: 'udp' }, adapter: 'drachtio' }));
    guard.bans.add('203.0.113.9', { reason: 'test' });
    let gateUp = false;
    metrics.watchComponents(() => [{ name: 'h323Gate', up: gateUp }]);
    let text = (await metrics.render()).body;
    expect(
      sample(text, 'ghostguard_verdicts_total{action="allow",intended="allow",protocol="sip",adapter="drachtio"}'),
    ).toBe(1);
    expect(
      sample(text, 'ghostguard_verdicts_total{action="drop",intended="drop",protocol="sip",adapter="drachtio"}'),
    ).toBe(1);
    expect(sample(text, 'ghostguard_verdict_reasons_total{rule="known-bad.denylist"}')).toBe(1);
    expect(sample(text, 'ghostguard_judge_seconds_count')).toBe(2);
    expect(sample(text, 'ghostguard_bans_total{origin="local"}')).toBe(1);
    expect(sample(text, 'ghostguard_bans_active')).toBe(1);
    expect(sample(text, 'ghostguard_component_up{component="h323Gate"}')).toBe(0);
    gateUp = true;
    expect(sample((await metrics.render()).body, 'ghostguard_component_up{component="h323Gate"}')).toBe(1);

    metrics.detach();
    guard.judge(sipAttempt({ source: { ip: '198.51.100.2', port: 5060, transport: 'udp' } }));
    text = (await metrics.render()).body;
    expect(sample(text, 'ghostguard_judge_seconds_count')).toBe(2);
  });

  it('uses its own registry: two daemons in one process do not collide', async () => {
    const a = new DaemonMetrics();
    const b = new DaemonMetrics();
    a.watchComponents(() => [{ name: 'x', up: true }]);
    expect(sample((await b.render()).body, 'ghostguard_component_up{component="x"}')).toBeUndefined();
  });
});

describe('call outcome metrics', () => {
  it('counts an allowed H.323 call with no room system to go to as no-route, apart from the allow verdict, and connections without a SETUP as closed-before-setup', async () => {
    const guard = createGuard({ log: { level: 'silent' }, dataDir: null });
    guards.push(guard);
    const metrics = new DaemonMetrics();
    metrics.attach(guard);
    // No default upstream and no alias the SETUP dials: an allowed call gets a ReleaseComplete.
    const gate = attachH323Gate(
      guard,
      { host: '127.0.0.1', port: 0 },
      {
        upstreams: { byAlias: { 'no-such-room': { host: '127.0.0.1', port: 9 } } },
      },
    );
    try {
      await gate.ready;
      const addr = gate.address()!;
      metrics.watchComponents(() => [{ name: 'h323Gate', up: true, health: { ...gate.stats() } }]);
      const caller = await dial({ host: addr.address, port: addr.port, send: roomSetup() });
      await caller.closed;
      const garbage = await dial({ host: addr.address, port: addr.port, send: Buffer.from('GET / HTTP/1.1\r\n\r\n') });
      await garbage.closed;
      await waitUntil(() => gate.stats().closedWithoutVerdict === 1 && gate.stats().noRoute === 1);
      const text = (await metrics.render()).body;
      expect(
        sample(text, 'ghostguard_verdicts_total{action="allow",intended="allow",protocol="h323",adapter="h323-gate"}'),
      ).toBe(1);
      expect(sample(text, 'ghostguard_call_outcomes_total{adapter="h323Gate",outcome="no-route"}')).toBe(1);
      expect(sample(text, 'ghostguard_call_outcomes_total{adapter="h323Gate",outcome="relayed"}')).toBe(0);
      expect(sample(text, 'ghostguard_call_outcomes_total{adapter="h323Gate",outcome="closed-before-setup"}')).toBe(1);
    } finally {
      metrics.detach();
      await gate.close();
    }
  });
});

describe('feed metrics', () => {
  it('shows each reputation feed with its size and its age', async () => {
    const guard = createGuard({ log: { level: 'silent' } });
    guards.push(guard);
    const metrics = new DaemonMetrics();
    metrics.attach(guard);
    guard.feeds.set('apiban', ['203.0.113.1', '203.0.113.2', '198.51.100.0/24']);
    const text = (await metrics.render()).body;
    expect(text).toMatch(/ghostguard_feed_entries\{feed="apiban"\} 3/);
    const age = Number(/ghostguard_feed_age_seconds\{feed="apiban"\} ([\d.e-]+)/.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);
    metrics.detach();
  });
});
