import { describe, expect, it } from 'vitest';
import type { CallAttempt, H323Attempt } from '../attempt.js';
import { createGuard } from '../guard.js';
import { ROOM_VIDEO_SDP, roomCall } from '../test-support/room-call.js';

function invite(src: string, fromHost: string, target = 'room-exec', time = 1_000_000): CallAttempt {
  return roomCall({ src, from: `alice@${fromHost}`, target, time, sdp: ROOM_VIDEO_SDP, transport: 'TLS' });
}

const config = {
  log: { level: 'silent' as const },
  dialShape: { domains: ['video.example.com'], knownTargets: ['room-*'] },
  rooms: {
    static: [
      {
        name: 'room-exec',
        callers: {
          allow: { domains: ['partner.example.net'], cidrs: ['192.0.2.0/24'], aliases: ['ceo-office'] },
          deny: { cidrs: ['198.51.100.66'] },
          others: 'known' as const,
        },
      },
    ],
    callers: { deny: { domains: ['spam.example.org'] } },
  },
};

describe('who may call a room', () => {
  it('a room in known mode takes listed callers only: by network, by domain, by H.323 alias', () => {
    const guard = createGuard(config);
    expect(guard.judge(invite('192.0.2.5', 'anything.example')).action).toBe('allow');
    expect(guard.judge(invite('198.51.100.9', 'partner.example.net')).action).toBe('allow');
    const stranger = guard.judge(invite('198.51.100.10', 'stranger.example.com'));
    expect(stranger.action).toBe('reject');
    expect(stranger.reasons.map((r) => r.rule)).toEqual(['callers.not-listed']);
    const setup: H323Attempt = {
      protocol: 'h323',
      method: 'SETUP',
      source: { ip: '198.51.100.11' },
      target: { user: 'room-exec' },
      caller: {},
      time: 1_000_000,
      h323: {
        callReference: 1,
        sourceAliases: [{ type: 'h323-ID', value: 'CEO-Office' }],
        destinationAliases: [{ type: 'h323-ID', value: 'room-exec' }],
        fastStartCount: 2,
      },
    };
    expect(guard.judge(setup).action).toBe('allow');
    guard.close();
  });

  it('a policy refusal bans nobody and is not remembered: the caller may still call open rooms', () => {
    const guard = createGuard(config);
    for (let i = 0; i < 5; i++)
      expect(guard.judge(invite('198.51.100.10', 'stranger.example.com', 'room-exec', 1_000_000 + i)).action).toBe(
        'reject',
      );
    expect(guard.bans.get('198.51.100.10')).toBeUndefined();
    expect(guard.judge(invite('198.51.100.10', 'stranger.example.com', 'room-lobby', 1_000_010)).action).toBe('allow');
    guard.close();
  });

  it('deny lists win over allow lists, and the default policy applies to every other room', () => {
    const guard = createGuard(config);
    expect(guard.judge(invite('198.51.100.66', 'partner.example.net')).reasons.map((r) => r.rule)).toEqual([
      'callers.denied',
    ]);
    expect(guard.judge(invite('198.51.100.12', 'spam.example.org', 'room-lobby')).action).toBe('reject');
    guard.close();
  });

  it('a forged From host (our own domain, from outside) never matches a listed domain', () => {
    const guard = createGuard({
      ...config,
      rooms: {
        static: [
          { name: 'room-exec', callers: { allow: { domains: ['video.example.com'] }, others: 'known' as const } },
        ],
      },
    });
    const v = guard.judge(invite('198.51.100.13', 'video.example.com'));
    expect(v.reasons.map((r) => r.rule)).toContain('callers.not-listed');
    expect(v.action).toBe('reject');
    guard.close();
  });

  it('the refuse action is configurable (tarpit holds an INVITE)', () => {
    const guard = createGuard({
      ...config,
      rooms: { callers: { others: 'known' as const, refuse: 'tarpit' as const } },
    });
    expect(guard.judge(invite('198.51.100.14', 'x.example', 'room-lobby')).action).toBe('tarpit');
    guard.close();
  });

  it('a bad network in a caller list names its key path', () => {
    expect(() => createGuard({ rooms: { callers: { allow: { cidrs: ['10.0.0.0/33'] } } } })).toThrow(
      /rooms\.callers\.allow\.cidrs\.0: an IP address or CIDR/,
    );
  });
});
