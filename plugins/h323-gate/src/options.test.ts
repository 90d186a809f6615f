import { createGuard, GhostguardError } from '@ghostguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { createH323Gate, resolveGateOptions } from './index.js';

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
    const o = resolveGateOptions({ guard });
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
    const o = resolveGateOptions({ guard, firstSetupTimeout: '2s', tarpit: { alertAfter: '500ms', maxHold: '1m' } });
    expect(o.firstSetupTimeout).toBe(2_000);
    expect(o.tarpit).toMatchObject({ alertAfter: 500, maxHold: 60_000 });
  });

  it('names every bad key', () => {
    const err = configError(() =>
      createH323Gate({
        guard,
        listen: { host: '', port: 70_000 },
        upstreams: { default: { host: 'room', port: 0 } },
        maxFirstBytes: 10,
        // @ts-expect-error: unknown key
        extra: true,
      }),
    );
    for (const key of ['listen.host', 'listen.port', 'upstreams.default.port', 'maxFirstBytes']) {
      expect(err.message).toContain(key);
    }
  });

  it('refuses something that is not a guard', () => {
    // @ts-expect-error: not a guard
    expect(configError(() => createH323Gate({ guard: {} })).message).toContain('guard');
  });

  it('refuses a ReleaseComplete reason the encoder does not know', () => {
    expect(
      configError(() => createH323Gate({ guard, reject: { reason: 'pleaseGoAway', cause: 21 } })).message,
    ).toContain('reject');
  });
});
