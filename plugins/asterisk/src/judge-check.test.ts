import { createGuard, type Guard } from '@ghostguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { judgeCheck } from './judge-check.js';
import { resolveAsteriskOptions } from './options.js';

let guard: Guard | undefined;
afterEach(() => {
  guard?.close();
  guard = undefined;
});

function setup() {
  guard = createGuard({ log: { level: 'silent' }, dataDir: null });
  return { g: guard, o: resolveAsteriskOptions({ username: 'u', secret: 's' }, {}, guard) };
}

const check = (over: Record<string, string> = {}) => ({
  event: 'UserEvent',
  userevent: 'GhostguardCheck',
  channel: 'PJSIP/anonymous-00000007',
  uniqueid: '1795292631.7',
  tech: 'PJSIP',
  source: '127.0.0.2%3A5061',
  dialed: '101',
  useragent: 'friendly-scanner',
  requesturi: 'sip%3A101%40127.0.0.1',
  ...over,
});

describe('judging a GhostguardCheck event', () => {
  it('judges a decodable check and names the channel to act on', () => {
    const { g, o } = setup();
    const d = judgeCheck(g, o, check(), Date.now());
    expect(d).toMatchObject({ kind: 'judged', source: '127.0.0.2', target: { channel: 'PJSIP/anonymous-00000007' } });
    if (d.kind === 'judged') expect(d.verdict.reasons.map((r) => r.rule)).toContain('fp.ua.friendly-scanner');
  });

  it('has nothing to act on when the event names no channel', () => {
    const { g, o } = setup();
    const { channel: _, ...noChannel } = check();
    expect(judgeCheck(g, o, noChannel, Date.now()).kind).toBe('no-channel');
  });

  it('leaves a call without a usable source to the fail mode', () => {
    const { g, o } = setup();
    expect(judgeCheck(g, o, check({ source: 'nowhere' }), Date.now())).toMatchObject({ kind: 'unjudgeable' });
  });

  it('judges a check with an undecodable field on what did decode, plus input.undecodable', () => {
    const { g, o } = setup();
    const d = judgeCheck(g, o, check({ via: '%E0%A4%A' }), Date.now());
    expect(d.kind).toBe('judged');
    if (d.kind !== 'judged') return;
    expect(d.malformed).toBeDefined();
    expect(d.verdict.reasons.map((r) => r.rule)).toContain('input.undecodable');
  });
});
