import { EventEmitter } from 'node:events';
import { memoryLogger } from '@ghostguard/core/testing';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { attachDrachtio } from './attach.js';
import { forgetPendingInvite, moveLayersToFront, watchSrfConnection } from './link.js';
import { withMethods } from './srf-types.js';
import { guardThat } from './test-support/guards.js';
import { capturedLogger, closeAll, eventsOf, harness } from './test-support/harness.js';

afterEach(closeAll);

describe('routing on the Srf', () => {
  it('runs before handlers the app registered earlier (real drachtio-srf layer stack)', async () => {
    const srf = withMethods(new Srf());
    srf.invite(() => {});
    srf.use('register', () => {});
    const guard = guardThat('reject');
    const att = attachDrachtio(guard, srf, { methods: ['invite', 'register'] });
    const stack = srf.app.stack;
    const methods = stack.map((l) => l.method);
    expect(methods.slice(0, 3)).toEqual(['*', 'invite', 'register']);
    expect(stack[1]!.handle).toBe(stack[2]!.handle);
    expect(methods.slice(3)).toEqual(['invite', 'register']);
    expect(att.methods).toEqual(['invite', 'register']);
    await att.close();
    guard.close();
  });

  it('says so when it cannot find the layer stack to move its layer to the front', () => {
    const { logger, lines } = capturedLogger();
    harness(guardThat('reject'), { logger });
    expect(eventsOf(lines, 'layer-order-unknown')).toHaveLength(1);
    expect(eventsOf(lines, 'attached')).toEqual([expect.objectContaining({ adapter: 'drachtio' })]);
  });

  it('moves only the given layers, right after the first one (drachtio-srf dialog layer)', () => {
    const app = {
      stack: [
        { method: '*', handle: 'dialog' },
        { method: 'invite', handle: 'app' },
        { method: 'invite', handle: 'g' },
      ],
    };
    expect(moveLayersToFront(app, new Set(['g']))).toBe(true);
    expect(app.stack.map((l) => l.handle)).toEqual(['dialog', 'g', 'app']);
    expect(moveLayersToFront({}, new Set(['g']))).toBe(false);
  });
});

describe('forgetPendingInvite', () => {
  it('removes the INVITE drachtio-srf keeps by Call-ID, and does nothing for a request without its internals', () => {
    const socket = {};
    const pending = new Map<unknown, unknown>([['c1', {}]]);
    const req = {
      agent: { mapServer: new Map([[socket, { pendingNetworkInvites: pending }]]) },
      socket,
      get: () => 'c1',
    };
    expect(forgetPendingInvite(req)).toBe(true);
    expect(pending.size).toBe(0);
    expect(forgetPendingInvite({})).toBe(false);
    expect(
      forgetPendingInvite({
        get: () => {
          throw new Error('no header');
        },
      }),
    ).toBe(false);
  });
});

describe('watchSrfConnection', () => {
  const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9022'), { code: 'ECONNREFUSED' });

  it('one line up, one line down, one line back; failed retries at debug without a stack; quiet after stop', () => {
    const { logger, sink } = memoryLogger('debug');
    const lines = () => sink.lines();
    const srf = new EventEmitter();
    let now = 1_000;
    const link = watchSrfConnection(srf, logger, () => now);
    srf.emit('connect', null, 'udp/127.0.0.1:5060', 'v0.9.10');
    expect(link.connected).toBe(true);
    srf.emit('close');
    now += 4_000;
    for (let i = 0; i < 3; i++) srf.emit('error', refused());
    srf.emit('connect', null, 'udp/127.0.0.1:5060', 'v0.9.10');
    const events = lines().map((l) => [l.level, l.event]);
    expect(events).toEqual([
      [30, 'drachtio-connected'],
      [40, 'drachtio-disconnected'],
      [20, 'drachtio-retry'],
      [20, 'drachtio-retry'],
      [20, 'drachtio-retry'],
      [30, 'drachtio-reconnected'],
    ]);
    expect(lines().at(-1)).toMatchObject({ downForMs: 4_000, attempts: 3, serverVersion: 'v0.9.10' });
    expect(lines()[2]).toMatchObject({ code: 'ECONNREFUSED', detail: 'connect ECONNREFUSED 127.0.0.1:9022' });
    expect(JSON.stringify(lines())).not.toContain('stack');
    link.stop();
    srf.emit('close');
    // Still the error listener: an unlistened 'error' would throw out of the process.
    expect(() => srf.emit('error', refused())).not.toThrow();
    expect(lines()).toHaveLength(6);
  });

  it('says once that drachtio-server cannot be reached, and names a refused secret', () => {
    const { logger, sink } = memoryLogger('debug');
    const lines = () => sink.lines();
    const srf = new EventEmitter();
    watchSrfConnection(srf, logger);
    srf.emit('error', refused());
    srf.emit('error', refused());
    srf.emit('connect', new Error('failed to authenticate to server'));
    expect(lines().map((l) => [l.level, l.event])).toEqual([
      [40, 'drachtio-unreachable'],
      [20, 'drachtio-retry'],
      [50, 'drachtio-auth-failed'],
    ]);
  });
});
