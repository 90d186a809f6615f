import type { Guard } from '@ghostguard/core';
import type { FreeswitchAttachment } from '@ghostguard/freeswitch';
import { placeCall } from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { attachOutbound, capturingGuard } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
afterEach(async () => {
  await fs?.close();
  guard?.close();
  fs = undefined;
  guard = undefined;
});

describe("outbound socket: refused calls' log lines", () => {
  it('30 refused calls from one source write one freeswitch-call line, and the count of the rest on close', async () => {
    const c = capturingGuard();
    guard = c.guard;
    fs = await attachOutbound(guard, {});
    const port = fs.outbound!.port;
    for (let i = 0; i < 30; i++) {
      const r = await placeCall({
        port,
        call: {
          protocol: 'h323',
          source: { ip: '203.0.113.66' },
          destination: `90097259555${1000 + i}`,
          callerNumber: '1000',
        },
      });
      expect(r.reached).toBe(false);
    }
    const refused = fs.stats().rejected + fs.stats().dropped + fs.stats().tarpitted;
    expect(refused).toBe(30); // counting is untouched
    expect(c.lines.filter((l) => l.event === 'freeswitch-call')).toHaveLength(1);
    await fs.close();
    fs = undefined;
    const windows = c.lines.filter((l) => l.event === 'refusals' && l.of === 'freeswitch-call');
    expect(windows).toEqual([expect.objectContaining({ source: '203.0.113.66', refusals: 29 })]);
  });
});
