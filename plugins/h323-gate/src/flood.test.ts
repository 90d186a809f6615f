import { describe, expect, it } from 'vitest';
import { fairPrefix, PreSetupSlots } from './pre-setup-slots.js';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { type Caller, waitUntil } from './testing.js';

const call = recordedOoh323Call();

describe('pre-SETUP slots', () => {
  it('names the oldest waiting connection of the busiest network, only for a newcomer from a less busy one', () => {
    const slots = new PreSetupSlots<string>();
    for (let i = 0; i < 5; i++) slots.add(`a${i}`, 'A');
    for (let i = 0; i < 3; i++) slots.add(`b${i}`, 'B');
    expect(slots.victimFor('C')).toEqual({ item: 'a0', prefix: 'A', waiting: 5 });
    expect(slots.victimFor('B')).toEqual({ item: 'a0', prefix: 'A', waiting: 5 });
    // A network never evicts its own, nor one only one busier than itself.
    expect(slots.victimFor('A')).toBeUndefined();
    slots.remove('a0');
    slots.remove('a1');
    expect(slots.victimFor('B')).toBeUndefined(); // A 3, B 3
    // A tie between the busiest: the oldest of either.
    expect(['a2', 'b0']).toContain(slots.victimFor('C')?.item);
    expect(slots.victimFor('C')?.waiting).toBe(3);
    for (const x of ['a2', 'a3', 'a4', 'b0', 'b1', 'b2']) slots.remove(x);
    expect(slots.size).toBe(0);
    expect(slots.victimFor('C')).toBeUndefined();
  });

  it('groups IPv4 sources by /24 and IPv6 sources by /64', () => {
    expect(fairPrefix('198.51.100.7')).toBe(fairPrefix('198.51.100.200'));
    expect(fairPrefix('198.51.100.7')).not.toBe(fairPrefix('198.51.101.7'));
    expect(fairPrefix('2001:db8:0:1::5')).toBe(fairPrefix('2001:db8:0:1:ffff::9'));
    expect(fairPrefix('2001:db8:0:1::5')).not.toBe(fairPrefix('2001:db8:0:2::5'));
  });
});

describe('the gate under a connection flood', () => {
  it('relays every legitimate SETUP while flooding networks hold every slot and reopen at once; its lines stay throttled', async () => {
    const started = performance.now();
    const t = await startGate(everySetup('allow'), {
      maxConnections: 24,
      maxConnectionsPerSource: 4,
      firstSetupTimeout: 30_000,
    });
    // Four flooding /24s, two sources each, four connections a source: 32 connections for 24 slots.
    const floodAddresses = [1, 2, 3, 4].flatMap((net) => [1, 2].map((host) => `127.0.${net}.${host}`));
    const flood = (): Promise<Caller[]> =>
      Promise.all(floodAddresses.flatMap((a) => [0, 1, 2, 3].map(() => t.call(undefined, { localAddress: a }))));
    const first = await flood();
    await waitUntil(() => t.gate.stats().connections === 32);
    expect(t.gate.stats().active).toBe(24);

    // The flood drops every connection and reopens at once, while five callers from another network call.
    for (const c of first) c.socket.destroy();
    const legit = [1, 2, 3, 4, 5].map((host) => `127.1.0.${host}`);
    const [, callers] = await Promise.all([
      flood(),
      Promise.all(legit.map((a) => t.call(call.setup, { localAddress: a }))),
    ]);
    await waitUntil(() => t.room.frameCount() === legit.length, 5_000, 'every legitimate SETUP relayed');
    const relayed = t.log.find('h323-call').filter((l) => String(l.source).startsWith('127.1.0.'));
    expect(relayed.map((l) => l.action)).toEqual(legit.map(() => 'allow'));
    expect(t.gate.stats()).toMatchObject({ relayed: legit.length, allowed: legit.length });
    for (const c of callers) c.socket.destroy();

    // Whatever the gate closed for room was the flood's, each one counted and said at most once a second.
    const stats = t.gate.stats();
    const evictions = t.log.find('h323-evicted-before-setup');
    expect(evictions.every((l) => String(l.source).startsWith('127.0.'))).toBe(true);
    const refusals = t.log.find('h323-too-many-connections');
    const logged = (lines: typeof evictions) => lines.length + lines.reduce((n, l) => n + Number(l.suppressed), 0);
    expect(logged(evictions)).toBeLessThanOrEqual(stats.evictedBeforeSetup);
    expect(logged(refusals)).toBeLessThanOrEqual(stats.tooManyConnections);
    const seconds = Math.ceil((performance.now() - started) / 1000);
    expect(evictions.length).toBeLessThanOrEqual(seconds + 1);
    expect(refusals.length).toBeLessThanOrEqual(seconds + 1);
    expect(stats.evictedBeforeSetup + stats.tooManyConnections).toBeGreaterThan(0);
  });
});
