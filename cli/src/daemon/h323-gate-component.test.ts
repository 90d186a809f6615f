import { GhostguardError, parseConfig } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
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
});
