import { encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { everySetup, startGate } from './test-support/harness.js';
import { waitUntil } from './testing.js';

const scanner = encodeSetup(setupShapeSpec({ shape: 'metasploit-h323-version', seed: 3 }));

describe("the gate's lines for refused calls", () => {
  it('20 refused SETUPs from one source write one h323-call line, and the count of the rest when the gate closes', async () => {
    const t = await startGate(everySetup('reject'));
    for (let i = 0; i < 20; i++) {
      const caller = await t.call(scanner);
      await caller.closed;
    }
    await waitUntil(() => t.gate.stats().rejected === 20, 5_000, 'every SETUP refused'); // counting is untouched
    expect(t.log.find('h323-call')).toHaveLength(1);
    await t.gate.close();
    expect(t.log.find('refusals')).toEqual([
      expect.objectContaining({ of: 'h323-call', source: '127.0.0.1', refusals: 19, actions: { reject: 19 } }),
    ]);
  });

  it('monitor mode: would-be refusals aggregate the same way (one line, then the count)', async () => {
    const t = await startGate({ ...everySetup('drop'), mode: 'monitor' });
    for (let i = 0; i < 5; i++) {
      const caller = await t.call(scanner);
      caller.socket.destroy();
    }
    await waitUntil(() => t.gate.stats().judged === 5, 5_000, 'every SETUP judged');
    expect(t.log.find('h323-call')).toEqual([
      expect.objectContaining({ action: 'allow', intended: 'drop', monitor: true }),
    ]);
    await t.gate.close();
    expect(t.log.find('refusals')).toEqual([expect.objectContaining({ refusals: 4, actions: { drop: 4 } })]);
  });
});
