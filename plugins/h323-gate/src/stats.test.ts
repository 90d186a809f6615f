import { emptyCallStats } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { emptyStats, type H323GateStats, snapshot } from './stats.js';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();
/** A SETUP (call reference 0x2b) whose User-User IE holds bytes that are not an H323-UserInformation. */
const SETUP_WITH_GARBAGE_UUIE = Buffer.from([
  0x03, 0x00, 0x00, 0x11, 0x08, 0x02, 0x00, 0x2b, 0x05, 0x7e, 0x00, 0x05, 0x05, 0xff, 0xff, 0xff, 0xff,
]);
/** Says SETUP, but not even its Q.931 header decodes. */
const SETUP_WITH_BROKEN_HEADER = Buffer.from([0x03, 0x00, 0x00, 0x0b, 0x08, 0x03, 0x00, 0x00, 0x2b, 0x05, 0x00]);
const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\n\r\n');

/** One action counted per judged SETUP (CallStats). */
function enforced(s: H323GateStats): number {
  return s.allowed + s.rejected + s.dropped + s.tarpitted;
}

describe('gate stats', () => {
  it('has every counter of CallStats, from zero', () => {
    const s = emptyStats();
    expect(s).toMatchObject(emptyCallStats());
    for (const key of Object.keys(emptyCallStats())) expect(s).toHaveProperty(key, 0);
  });

  it('counts each judged SETUP once under what was done, the unreadable ones under malformed too', async () => {
    const t = await startGate(everySetup('reject'));
    for (const bytes of [call.setup, SETUP_WITH_GARBAGE_UUIE, SETUP_WITH_BROKEN_HEADER, HTTP_GET]) {
      await (await t.call(bytes)).closed;
    }
    await waitUntil(() => t.gate.stats().active === 0);
    const s = t.gate.stats();
    expect(s).toMatchObject({
      connections: 4,
      judged: 3,
      rejected: 2,
      // No call reference to answer: the refusal is a silent close.
      dropped: 1,
      malformed: 2,
      unreadableSetups: 1,
      notSetup: 1,
      closedWithoutVerdict: 1,
      errors: 0,
    });
    expect(enforced(s)).toBe(s.judged);
    expect(t.guard.stats().judged).toBe(s.judged);
  });

  it('counts an allowed call with no room system to go to as rejected, and under noRoute', async () => {
    const t = await startGate(everySetup('allow'), {
      upstreams: { byAlias: { 'room-other': { host: '127.0.0.1', port: 9 } } },
    });
    await (await t.call(call.setup)).closed;
    const s = t.gate.stats();
    expect(s).toMatchObject({ judged: 1, allowed: 0, rejected: 1, noRoute: 1 });
    expect(enforced(s)).toBe(s.judged);
  });

  it('hands out snapshots that later counting does not change', () => {
    const live = emptyStats();
    const snap = snapshot(live);
    live.judged++;
    live.relayedBytes.toCaller += 10;
    expect(snap.judged).toBe(0);
    expect(snap.relayedBytes).toEqual({ toUpstream: 0, toCaller: 0 });
  });
});
