import { createGuard, type Guard } from '@ghostguard/core';
import { memoryLogger } from '@ghostguard/core/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { actionFor, Enforcer } from './enforce.js';
import type { ActionResult } from './link.js';
import { resolveAsteriskOptions } from './options.js';
import { emptyStats } from './stats.js';

let guard: Guard | undefined;
afterEach(() => {
  guard?.close();
  guard = undefined;
});

/** An AMI link that records what is sent and answers as told (or is down). */
function rig(answer: ActionResult | 'down' = { ok: true, response: {} } as ActionResult, tarpitMax = 1) {
  guard = createGuard({ log: { level: 'silent' }, dataDir: null, tarpit: { maxConcurrent: tarpitMax } });
  const o = resolveAsteriskOptions({ username: 'u', secret: 's' }, {}, guard);
  const sent: Record<string, string>[] = [];
  const link = {
    send(request: Record<string, string>, done: (r: ActionResult) => void): boolean {
      if (answer === 'down') return false;
      sent.push(request);
      done(answer);
      return true;
    },
  };
  const stats = emptyStats();
  return { enforcer: new Enforcer(guard, link, o, stats), sent, stats, guard, o };
}

const pjsip = { channel: 'PJSIP/anonymous-00000007', tech: 'PJSIP' as const, uniqueid: '1795292631.7' };

describe('carrying out a verdict on an Asterisk channel', () => {
  it('sends Setvar for allow, Hangup with the cause per driver for reject and drop, Redirect for tarpit', () => {
    const { o } = rig();
    expect(actionFor('allow', pjsip, o)).toEqual({
      action: 'Setvar',
      channel: pjsip.channel,
      variable: 'GHOSTGUARD_VERDICT',
      value: 'allow',
    });
    expect(actionFor('reject', pjsip, o)).toMatchObject({ action: 'Hangup', cause: '21' });
    expect(actionFor('drop', { channel: 'OOH323/x-1', tech: 'OOH323' }, o)).toMatchObject({ cause: '1' });
    expect(actionFor('tarpit', pjsip, o)).toMatchObject({ action: 'Redirect', context: 'ghostguard-tarpit' });
  });

  it('counts under the shared names and holds a tarpit slot until the channel hangs up', () => {
    const { enforcer, stats, guard: g } = rig();
    enforcer.enforce(pjsip, 'tarpit', {});
    expect(stats).toMatchObject({ tarpitted: 1, tarpitsHeld: 1 });
    expect(g.tarpits.inUse).toBe(1);
    enforcer.hungUp(pjsip.uniqueid, pjsip.channel);
    expect(stats.tarpitsHeld).toBe(0);
    expect(g.tarpits.inUse).toBe(0);
  });

  it('drops a tarpit verdict when no slot is free, and says so in tarpitNoSlot', () => {
    const { enforcer, stats, sent } = rig(undefined, 1);
    enforcer.enforce(pjsip, 'tarpit', {});
    enforcer.enforce({ ...pjsip, uniqueid: '2', channel: 'PJSIP/b-2' }, 'tarpit', {});
    expect(stats).toMatchObject({ tarpitted: 1, dropped: 1, tarpitNoSlot: 1 });
    expect(sent[1]).toMatchObject({ action: 'Hangup', cause: '1' });
  });

  it('frees the slot and counts channelGone (not an error) when the caller hung up meanwhile', () => {
    const { enforcer, stats, guard: g } = rig({ ok: false, message: 'Channel does not exist: x' } as ActionResult);
    enforcer.enforce(pjsip, 'tarpit', {});
    expect(stats).toMatchObject({ channelGone: 1, errors: 0, tarpitsHeld: 0 });
    expect(g.tarpits.inUse).toBe(0);
  });

  it('counts notSent and frees the slot when AMI is down', () => {
    const { enforcer, stats, guard: g } = rig('down');
    enforcer.enforce(pjsip, 'tarpit', {});
    expect(stats).toMatchObject({ notSent: 1, tarpitsHeld: 0 });
    expect(g.tarpits.inUse).toBe(0);
  });

  it('close() releases every slot', () => {
    const { enforcer, stats, guard: g } = rig(undefined, 5);
    enforcer.enforce(pjsip, 'tarpit', {});
    enforcer.enforce({ ...pjsip, uniqueid: '2' }, 'tarpit', {});
    enforcer.close();
    expect(stats.tarpitsHeld).toBe(0);
    expect(g.tarpits.inUse).toBe(0);
  });
});

describe("refused calls' log lines", () => {
  it('a source refused 1,000 times writes one asterisk-call line, and its count when the adapter closes', () => {
    const { logger, sink } = memoryLogger('info');
    guard = createGuard({ log: { level: 'silent' }, dataDir: null });
    const o = resolveAsteriskOptions({ username: 'u', secret: 's' }, { logger }, guard);
    const link = {
      send(_r: Record<string, string>, done: (r: ActionResult) => void): boolean {
        done({ ok: true, response: {} } as ActionResult);
        return true;
      },
    };
    const stats = emptyStats();
    const enforcer = new Enforcer(guard, link, o, stats);
    const reasons = [{ rule: 'known-bad.banned', detail: 'banned', weight: 100 }];
    for (let i = 0; i < 1_000; i++)
      enforcer.enforce(
        { ...pjsip, uniqueid: `u${i}`, channel: `PJSIP/x-${i}` },
        'drop',
        { source: '192.0.2.66' },
        reasons,
      );
    expect(stats.dropped).toBe(1_000); // counting is untouched
    expect(sink.find('asterisk-call')).toHaveLength(1);
    enforcer.close();
    expect(sink.find('refusals')).toEqual([
      expect.objectContaining({ of: 'asterisk-call', source: '192.0.2.66', refusals: 999, actions: { drop: 999 } }),
    ]);
  });
});
