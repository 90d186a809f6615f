import { createGuard, GhostguardError, parseConfig } from '@ghostguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { freeswitchSection, resolveFreeswitchOptions } from './options.js';

const guard = createGuard({
  log: { level: 'silent' },
  dataDir: null,
  policy: { failMode: 'closed' },
  tarpit: { holdFor: '20s' },
});
afterAll(() => guard.close());

describe('options', () => {
  it('fills defaults: outbound 127.0.0.1:8084, inbound 8021, 403 Forbidden, fail policy from the guard', () => {
    const o = resolveFreeswitchOptions({}, {}, guard);
    expect(o.outbound).toMatchObject({
      host: '127.0.0.1',
      port: 8084,
      channelDataTimeout: 2_000,
      cancelFallback: true,
    });
    expect(o.inbound).toMatchObject({
      port: 8021,
      password: 'ClueCon',
      reconnect: { initialDelay: 500, maxDelay: 30_000 },
    });
    expect(o.reject).toEqual({ code: 403, reason: 'Forbidden' });
    expect(o.drop.hangupCause).toBe('NO_USER_RESPONSE');
    expect(o.tarpit).toEqual({ maxHold: 20_000, hangupCause: 'NO_ANSWER' });
    expect(o.failPolicy).toBe('closed');
  });

  it('takes durations as text and names every bad key', () => {
    expect(resolveFreeswitchOptions({}, { outbound: { settleTimeout: '3s' } }, guard).outbound.settleTimeout).toBe(
      3_000,
    );
    let err: unknown;
    try {
      resolveFreeswitchOptions(
        {},
        { reject: { code: 200 }, drop: { hangupCause: 'call rejected' }, bogus: 1 } as never,
        guard,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GhostguardError);
    expect((err as GhostguardError).code).toBe('GG_CONFIG_INVALID');
    expect((err as Error).message).toMatch(/reject\.code/);
    expect((err as Error).message).toMatch(/drop\.hangupCause/);
  });

  it('reads adapters.freeswitch from a config file and reports paths from its top', () => {
    const cfg = parseConfig({ adapters: { freeswitch: { inbound: { port: 70_000 } } } });
    expect(() => freeswitchSection(cfg)).toThrow(/adapters\.freeswitch\.inbound\.port/);
    const ok = parseConfig({ adapters: { freeswitch: { outbound: { port: 9000 } } } });
    expect(freeswitchSection(ok).outbound?.port).toBe(9000);
  });
});
