import { createGuard } from '@ghostguard/core';
import { h323Attempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import { attachH323Gate } from './index.js';

describe('rooms behind the gate', () => {
  it('tells the guard that the upstreams by alias are rooms, so calls to them are not to unknown targets', async () => {
    const guard = createGuard({ log: { level: 'silent' } });
    const gate = attachH323Gate(
      guard,
      { host: '127.0.0.1', port: 0 },
      {
        upstreams: {
          byAlias: { '5551234': { host: '10.0.0.20', port: 1720 }, boardroom: { host: '10.0.0.21', port: 1720 } },
        },
      },
    );
    try {
      expect(guard.rooms.list().map((r) => [r.aor, r.contact, r.static])).toEqual([
        ['5551234', '10.0.0.20:1720', true],
        ['boardroom', '10.0.0.21:1720', true],
      ]);
      const call = (alias: string) =>
        guard.judge(
          h323Attempt({
            target: { user: alias },
            h323: { destinationAliases: [{ type: 'dialedDigits', value: alias }] },
          }),
        );
      expect(call('5551234').reasons.map((r) => r.rule)).not.toContain('dial.unknown-target');
      expect(call('5550000').reasons.map((r) => r.rule)).toContain('dial.unknown-target');
    } finally {
      await gate.close();
      guard.close();
    }
  });
});
