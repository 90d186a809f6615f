import { createGuard, createLogger } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { reportAuthFailure, reportAuthOutcomes } from './auth-outcomes.js';
import { SVWAR_REGISTER } from './test-support/recorded.js';
import { srfRequestPair } from './testing.js';

const WITH_CREDENTIALS = SVWAR_REGISTER.replace(
  'Content-Length: 0',
  'Authorization: Digest username="100", realm="127.0.0.1", nonce="x", uri="sip:127.0.0.1", response="0123"\r\nContent-Length: 0',
);

function silentGuard() {
  return createGuard(
    { log: { level: 'silent' }, bans: { failuresToBan: 3 } },
    { logger: createLogger({ log: { level: 'silent' } }) },
  );
}

describe('auth outcome reporting', () => {
  it('reports a 403 to a request that carried credentials, and bans after bans.failuresToBan', () => {
    const guard = silentGuard();
    const mw = reportAuthOutcomes(guard);
    for (let i = 0; i < 3; i++) {
      const { req, res } = srfRequestPair(WITH_CREDENTIALS, { address: '198.51.100.9', port: 5060 });
      let nexts = 0;
      mw(req, res as never, () => nexts++);
      expect(nexts).toBe(1);
      res.send(403);
    }
    expect(guard.bans.get('198.51.100.9')?.reason).toMatch(/auth-failure/);
    expect(guard.bans.explain('198.51.100.9').activity?.failuresInWindow).toBeGreaterThanOrEqual(3);
    guard.close();
  });

  it('does not count a first challenge (no credentials yet) or a success', () => {
    const guard = silentGuard();
    const mw = reportAuthOutcomes(guard);
    for (const [raw, status] of [
      [SVWAR_REGISTER, 401],
      [WITH_CREDENTIALS, 200],
      [SVWAR_REGISTER, 401],
      [WITH_CREDENTIALS, 200],
    ] as const) {
      const { req, res } = srfRequestPair(raw, { address: '198.51.100.10', port: 5060 });
      mw(req, res as never, () => {});
      res.send(status);
    }
    expect(guard.bans.explain('198.51.100.10').activity?.failuresInWindow ?? 0).toBe(0);
    guard.close();
  });

  it('reportAuthFailure names the account and never throws on a strange request', () => {
    const guard = silentGuard();
    const { req } = srfRequestPair(WITH_CREDENTIALS, { address: '198.51.100.11', port: 5060 });
    expect(reportAuthFailure(guard, req, 'wrong password')).toBeUndefined();
    expect(guard.bans.explain('198.51.100.11').activity?.failuresInWindow).toBe(1);
    expect(() =>
      reportAuthFailure(guard, {
        source_address: 42,
        get: () => {
          throw new Error('no header');
        },
      }),
    ).not.toThrow();
    guard.close();
  });
});
