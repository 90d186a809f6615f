import { createGuard, GhostguardError } from '@ghostguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { attachH323Gate, H323GateSectionSchema, resolveGateOptions } from './index.js';

const guard = createGuard({ log: { level: 'silent' }, tarpit: { holdFor: '20s' } });
afterAll(() => guard.close());

function configError(fn: () => unknown): GhostguardError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(GhostguardError);
    expect((err as GhostguardError).code).toBe('GG_CONFIG_INVALID');
    return err as GhostguardError;
  }
  throw new Error('expected GG_CONFIG_INVALID');
}

describe('gate options', () => {
  it('fills in the defaults', () => {
    const o = resolveGateOptions(guard, {});
    expect(o.listen).toEqual({ host: '0.0.0.0', port: 1720 });
    expect(o.firstSetupTimeout).toBe(5_000);
    expect(o.maxFirstBytes).toBe(16_384);
    expect(o.maxConnectionsPerSource).toBe(20);
    expect(o.reject).toEqual({ reason: 'callRejected', cause: 21 });
    expect(o.tarpit.maxHold).toBe(20_000); // the guard's tarpit.holdFor
    expect(o.logger).toBe(guard.logger);
    expect(o.upstreams.default).toBeUndefined();
  });

  it('takes durations as numbers or text', () => {
    const o = resolveGateOptions(
      guard,
      {},
      { firstSetupTimeout: '2s', tarpit: { alertAfter: '500ms', maxHold: '1m' } },
    );
    expect(o.firstSetupTimeout).toBe(2_000);
    expect(o.tarpit).toMatchObject({ alertAfter: 500, maxHold: 60_000 });
  });

  it('names every bad key', () => {
    const err = configError(() =>
      attachH323Gate(
        guard,
        { host: '', port: 70_000 },
        {
          upstreams: { default: { host: 'room', port: 0 } },
          maxFirstBytes: 10,
          // @ts-expect-error: unknown key
          extra: true,
        },
      ),
    );
    for (const key of ['listen.host', 'listen.port', 'upstreams.default.port', 'maxFirstBytes', '"extra"']) {
      expect(err.message).toContain(key);
    }
  });

  it('refuses something that is not a guard', () => {
    // @ts-expect-error: not a guard
    expect(configError(() => attachH323Gate({}, {})).message).toContain('guard: a Guard');
  });

  it('takes the listen address as the platform, not as an option', () => {
    // @ts-expect-error: listen is attachH323Gate's second argument
    expect(configError(() => attachH323Gate(guard, {}, { listen: { port: 1720 } })).message).toContain('"listen"');
  });

  it('refuses a ReleaseComplete reason the encoder does not know', () => {
    expect(
      configError(() => attachH323Gate(guard, {}, { reject: { reason: 'pleaseGoAway', cause: 21 } })).message,
    ).toContain('reject.reason');
  });

  it('reads a configuration section: listen beside the options, no logger', () => {
    const section = H323GateSectionSchema.parse({ listen: { port: 11720 }, maxConnections: 5 });
    expect(section.listen).toEqual({ host: '0.0.0.0', port: 11720 });
    expect(section.maxConnections).toBe(5);
    expect(H323GateSectionSchema.safeParse({ logger: {} }).success).toBe(false);
    expect(H323GateSectionSchema.safeParse({ reject: { reason: 'pleaseGoAway' } }).success).toBe(false);
  });
});
