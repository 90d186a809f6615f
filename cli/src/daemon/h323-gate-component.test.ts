import { createServer } from 'node:net';
import { createGuard, GhostguardError, parseConfig } from '@ghostguard/core';
import { afterAll, describe, expect, it } from 'vitest';
import { h323GateComponent } from './h323-gate-component.js';

function validate(section: unknown): string | undefined {
  try {
    h323GateComponent.validate(parseConfig({ adapters: { h323Gate: section } }), 'gg.yaml');
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(GhostguardError);
    expect((err as GhostguardError).code).toBe('GG_CONFIG_INVALID');
    return (err as Error).message;
  }
}

const guard = createGuard({ log: { level: 'silent' } });
afterAll(() => guard.close());

describe('h323Gate component', () => {
  it('is started only when adapters.h323Gate is present', () => {
    expect(h323GateComponent.section(parseConfig({}))).toBeUndefined();
    expect(h323GateComponent.section(parseConfig({ adapters: { h323Gate: {} } }))).toEqual({});
  });

  it('validates the section with the gate schema, naming keys from the top of the file', () => {
    expect(validate({ listen: { host: '127.0.0.1', port: 1720 }, tarpit: { maxHold: '20s' } })).toBeUndefined();
    expect(validate({ listen: { port: 'x' } })).toContain('adapters.h323Gate.listen.port');
    expect(validate({ upstreams: { default: { host: 'room' } } })).toContain(
      'adapters.h323Gate.upstreams.default.port',
    );
    // What a host passes in code is not a configuration key.
    expect(validate({ guard: {} })).toContain('adapters.h323Gate');
    expect(validate({ logger: {} })).toContain('adapters.h323Gate');
    expect(validate({ reject: { reason: 'noSuchReason' } })).toContain('adapters.h323Gate.reject');
  });

  it('starts the gate on its listen address, with the shared counters as health', async () => {
    const config = parseConfig({ adapters: { h323Gate: { listen: { host: '127.0.0.1', port: 0 } } } });
    const running = await h323GateComponent.start(guard, config, guard.logger);
    try {
      expect(running.address).toMatchObject({ host: '127.0.0.1' });
      expect(running.address!.port).toBeGreaterThan(0);
      expect(running.health?.()).toMatchObject({ judged: 0, allowed: 0, malformed: 0, errors: 0, connections: 0 });
    } finally {
      await running.close();
    }
  });

  it('fails to start on a port in use with GG_H323_GATE_LISTEN, the system error in the message', async () => {
    const busy = createServer();
    const port = await new Promise<number>((resolve) =>
      busy.listen({ host: '127.0.0.1', port: 0 }, () => resolve((busy.address() as { port: number }).port)),
    );
    try {
      const config = parseConfig({ adapters: { h323Gate: { listen: { host: '127.0.0.1', port } } } });
      await expect(h323GateComponent.start(guard, config, guard.logger)).rejects.toMatchObject({
        code: 'GG_H323_GATE_LISTEN',
        message: expect.stringContaining('EADDRINUSE'),
      });
    } finally {
      await new Promise<void>((resolve) => busy.close(() => resolve()));
    }
  });
});
