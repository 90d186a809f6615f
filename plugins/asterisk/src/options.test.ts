import { createGuard, parseAdapterSection, parseConfig } from '@ghostguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { AsteriskSectionSchema, resolveAsteriskOptions } from './options.js';

const guard = createGuard({ log: { level: 'silent' }, tarpit: { holdFor: '20s' }, policy: { failMode: 'closed' } });
afterAll(() => guard.close());

describe('asterisk options', () => {
  it('fills defaults: AMI on loopback, causes per driver, tarpit context, fail mode from the guard', () => {
    const o = resolveAsteriskOptions({ username: 'ghostguard', secret: 's' }, {}, guard);
    expect(o).toMatchObject({
      host: '127.0.0.1',
      port: 5038,
      eventMask: 'call,user,security,system',
      rooms: { enabled: true, pjsip: true, chanSip: true, eventExpires: 7_200 },
      checkEvent: 'GhostguardCheck',
      verdictVariable: 'GHOSTGUARD_VERDICT',
      rejectCause: { PJSIP: 21, SIP: 21, OOH323: 21, other: 21 },
      dropCause: { PJSIP: 1, SIP: 1, OOH323: 1, other: 1 },
      tarpit: { context: 'ghostguard-tarpit', exten: 's', priority: 1, releaseAfter: 25_000 },
      failMode: 'closed',
      reconnect: { minDelay: 500, maxDelay: 5_000, factor: 2 },
    });
  });

  it('names every bad key, from the top of the file when read from adapters.asterisk', () => {
    const config = parseConfig({
      adapters: { asterisk: { port: 0, secret: '', extra: 1, rejectCause: { SIP: 200 } } },
    });
    let message = '';
    try {
      parseAdapterSection(AsteriskSectionSchema, config, 'asterisk', 'g.yaml');
    } catch (err) {
      message = (err as Error).message;
    }
    for (const key of [
      'adapters.asterisk.port',
      'adapters.asterisk.username',
      'adapters.asterisk.secret',
      'adapters.asterisk.rejectCause.SIP',
    ]) {
      expect(message).toContain(key);
    }
    expect(() =>
      resolveAsteriskOptions(
        { username: 'u', secret: 's' },
        { reconnect: { minDelay: 10_000, maxDelay: 1_000 } },
        guard,
      ),
    ).toThrow(/reconnect\.maxDelay/);
    expect(() => resolveAsteriskOptions({ username: 'u', secret: 's' }, { verdictVariable: 'a b' }, guard)).toThrow(
      /verdictVariable/,
    );
  });

  it('adds the system category (ContactStatus, PeerStatus) to a custom event mask while rooms are followed', () => {
    expect(resolveAsteriskOptions({ username: 'u', secret: 's' }, { eventMask: 'call,user' }, guard).eventMask).toBe(
      'call,user,system',
    );
    expect(
      resolveAsteriskOptions(
        { username: 'u', secret: 's' },
        { eventMask: 'call,user', rooms: { enabled: false } },
        guard,
      ).eventMask,
    ).toBe('call,user');
    expect(resolveAsteriskOptions({ username: 'u', secret: 's' }, { eventMask: 'on' }, guard).eventMask).toBe('on');
  });

  it('requires an IP address for every configured chan_ooh323 caller', () => {
    expect(() =>
      resolveAsteriskOptions({ username: 'u', secret: 's' }, { h323Peers: { callerb: 'host.example' } }, guard),
    ).toThrow(/h323Peers\.callerb: an IP address/);
    expect(
      resolveAsteriskOptions({ username: 'u', secret: 's' }, { h323Peers: { callerb: '192.0.2.50' } }, guard).h323Peers,
    ).toEqual({
      callerb: '192.0.2.50',
    });
  });
});
