import { describe, expect, it } from 'vitest';
import type { SipAttempt } from '../attempt.js';
import { createGuard } from '../guard.js';
import { ROOM_VIDEO_SDP, roomCall, SITE } from '../test-support/room-call.js';

const VIDEO = ROOM_VIDEO_SDP;

function invite(src: string, time: number, opts: { target?: string; callId?: string; sdp?: string } = {}): SipAttempt {
  return roomCall({ src, time, from: 'support@partner.example.net', ...opts });
}

describe('memory of refusals and of "maybe" attempts', () => {
  it('ten maybe calls a second apart to one room: the first rings, the second is refused, the source is banned', () => {
    const guard = createGuard(SITE, { now: () => 1_010_000 });
    const actions = Array.from(
      { length: 10 },
      (_, i) => guard.judge(invite('198.51.100.70', 1_000_000 + i * 1000)).action,
    );
    expect(actions[0]).toBe('allow');
    expect(actions.slice(1)).not.toContain('allow');
    expect(guard.bans.get('198.51.100.70')?.reason).toMatch(/memory\.refusals|score/);
    expect(guard.bans.explain('198.51.100.70').memory?.refusals).toBeGreaterThanOrEqual(1);
    guard.close();
  });

  it('a retry of the same call (same Call-ID, after a 407) is not a repeat', () => {
    const guard = createGuard(SITE);
    guard.judge(invite('198.51.100.70', 1_000_000, { callId: 'one' }));
    const retry = guard.judge(invite('198.51.100.70', 1_000_050, { callId: 'one' }));
    expect(retry.reasons.map((r) => r.rule)).toEqual(['media.audio-only-to-video-room']);
    guard.close();
  });

  it('a phone that redials a video room after a minute is not refused', () => {
    const guard = createGuard(SITE);
    expect(guard.judge(invite('198.51.100.70', 1_000_000)).action).toBe('allow');
    const again = guard.judge(invite('198.51.100.70', 1_060_000));
    expect(again.action).toBe('allow');
    expect(again.reasons.map((r) => r.rule)).toContain('memory.repeat-suspect');
    guard.close();
  });

  it('a partner offering video is never remembered, however often it calls', () => {
    const guard = createGuard(SITE);
    for (let i = 0; i < 10; i++) {
      expect(guard.judge(invite('198.51.100.71', 1_000_000 + i * 2000, { sdp: VIDEO })).score).toBe(0);
    }
    expect(guard.stats().rememberedSources).toBe(0);
    guard.close();
  });

  it('refusalsToBan refusals ban the source whatever each one scored', () => {
    const guard = createGuard(
      { ...SITE, policy: { tiers: [{ minScore: 20, action: 'reject' }] } },
      { now: () => 1_130_000 },
    );
    for (let i = 0; i < 3; i++) guard.judge(invite('198.51.100.72', 1_000_000 + i * 60_000, { target: `room-${i}` }));
    expect(guard.bans.get('198.51.100.72')?.reason).toMatch(/^memory\.refusals: refused 3 times/);
    guard.close();
  });

  it('a flood of one-shot sources does not wash out a repeat offender', () => {
    const guard = createGuard({ ...SITE, memory: { maxSources: 1000 } });
    const offender = '198.51.100.73';
    guard.judge(invite(offender, 1_000_000, { target: 'room-a' }));
    guard.judge(invite(offender, 1_100_000, { target: 'room-b' }));
    // 20,000 distinct scanners, each with one "maybe" call: 20 times the memory's size.
    for (let i = 0; i < 20_000; i++) {
      guard.judge(invite(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, 1_200_000 + i));
    }
    expect(guard.stats().rememberedSources).toBeLessThanOrEqual(1000);
    const next = guard.judge(invite(offender, 1_250_000, { target: 'room-c' }));
    expect(next.reasons.find((r) => r.rule === 'memory.repeat-suspect')?.detail).toMatch(/^2 earlier/);
    guard.close();
  });

  it('a long silence starts the source afresh', () => {
    const guard = createGuard(SITE);
    guard.judge(invite('198.51.100.74', 1_000_000));
    const later = guard.judge(invite('198.51.100.74', 1_000_000 + 601_000));
    expect(later.reasons.map((r) => r.rule)).toEqual(['media.audio-only-to-video-room']);
    guard.close();
  });

  it('monitor mode remembers and bans as enforce would, and allows every call', () => {
    const guard = createGuard({ ...SITE, mode: 'monitor' });
    const verdicts = Array.from({ length: 5 }, (_, i) => guard.judge(invite('198.51.100.75', 1_000_000 + i * 1000)));
    expect(verdicts.map((v) => v.action)).toEqual(['allow', 'allow', 'allow', 'allow', 'allow']);
    expect(verdicts.at(-1)!.intended).not.toBe('allow');
    guard.close();
  });
});
