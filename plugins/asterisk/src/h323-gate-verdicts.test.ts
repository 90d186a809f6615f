import type { CallAttempt } from '@ghostguard/core';
import { createGuard } from '@ghostguard/core';
import { h323Attempt } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { GateVerdicts, MAX_GATE_VERDICTS } from './h323-gate-verdicts.js';

const guards: Array<{ close(): void }> = [];
afterEach(() => {
  for (const g of guards.splice(0)) g.close();
});

function setup(windowMs = 10_000) {
  const guard = createGuard({ log: { level: 'silent' }, dataDir: null });
  guards.push(guard);
  const verdicts = new GateVerdicts(guard, windowMs);
  guards.push(verdicts);
  return { guard, verdicts };
}

/** A SETUP the gate judged: h323-ID alias and the called number are what the check event carries. */
function gateSetup(ip: string, h323Id: string, called: string, time: number): CallAttempt {
  const a = h323Attempt({ source: { ip, port: 40_000, transport: 'tcp' }, time, adapter: 'h323-gate' });
  return {
    ...a,
    target: { user: called },
    h323: { ...a.h323, sourceAliases: [{ type: 'h323-ID', value: h323Id }] },
  } as CallAttempt;
}

describe('the H.323 gate’s verdicts, for checks of calls it relayed', () => {
  it('keeps what the gate allowed, keyed by h323-ID and the called number; each answers one check', () => {
    const { guard, verdicts } = setup();
    // The gate judges on this guard (guard.judge emits `verdict`); a banned caller is refused, not relayed.
    guard.bans.add('198.51.100.66', { reason: 'test' });
    expect(guard.judge(gateSetup('198.51.100.7', 'RealpeersCallerB', '5551234', 1_000)).action).toBe('allow');
    expect(guard.judge(gateSetup('198.51.100.66', 'RealpeersCallerB', '011972599123456', 1_000)).action).not.toBe(
      'allow',
    );
    guard.judge({ ...gateSetup('198.51.100.8', 'x', '5551234', 1_000), adapter: 'asterisk' } as CallAttempt);
    expect(verdicts.take('RealpeersCallerB', '011972599123456', 1_100)).toBeUndefined();
    expect(verdicts.take('x', '5551234', 1_100)).toBeUndefined();
    expect(verdicts.take('RealpeersCallerB', '5551234', 1_100)).toMatchObject({ source: '198.51.100.7' });
    expect(verdicts.take('RealpeersCallerB', '5551234', 1_100)).toBeUndefined();
  });

  it('forgets after the window, stays bounded, and stops listening on close', () => {
    const { guard, verdicts } = setup(1_000);
    const emit = (a: CallAttempt) => expect(guard.judge(a).action).toBe('allow');
    emit(gateSetup('198.51.100.7', 'a', '1', 0));
    expect(verdicts.take('a', '1', 1_001)).toBeUndefined();
    for (let i = 0; i <= MAX_GATE_VERDICTS; i++) emit(gateSetup(`10.9.${i >> 8}.${i & 255}`, `id-${i}`, '1', 5_000));
    expect(verdicts.take('id-0', '1', 5_000)).toBeUndefined();
    expect(verdicts.take(`id-${MAX_GATE_VERDICTS}`, '1', 5_000)).toBeDefined();
    verdicts.close();
    emit(gateSetup('198.51.100.7', 'b', '1', 6_000));
    expect(verdicts.take('b', '1', 6_000)).toBeUndefined();
  });
});
