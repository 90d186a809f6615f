import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { attachDrachtio } from './attach.js';
import { forgetPendingInvite, moveLayersToFront } from './link.js';
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
