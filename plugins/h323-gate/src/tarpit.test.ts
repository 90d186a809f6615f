import { performance } from 'node:perf_hooks';
import { decodeQ931 } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { decodeReply, OOH323_SETUP_IDS } from './test-support/replies.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();
const CALL_PROCEEDING = 0x02;
const ALERTING = 0x01;

describe('tarpit', () => {
  it('sends CallProceeding, then Alerting, holds without answering, and frees its slot when the caller hangs up', async () => {
    const t = await startGate(everySetup('tarpit'), { tarpit: { alertAfter: 150, maxHold: 20_000 } });
    const t0 = performance.now();
    const caller = await t.call(call.setup);
    const [proceeding] = await caller.waitForFrames(1);
    const tProceeding = performance.now();
    expect(decodeReply(proceeding!)).toMatchObject({
      messageName: 'CallProceeding',
      body: 'callProceeding',
      fromCalledSide: true,
      ...OOH323_SETUP_IDS,
    });
    expect(t.guard.tarpits.inUse).toBe(1);
    const frames = await caller.waitForFrames(2);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(tProceeding - t0).toBeLessThan(150);
    expect(decodeReply(frames[1]!)).toMatchObject({ messageName: 'Alerting', body: 'alerting', ...OOH323_SETUP_IDS });
    // Held: nothing more comes, the room never hears of it, the connection stays open.
    await new Promise((r) => setTimeout(r, 200));
    expect(caller.frames).toHaveLength(2);
    expect(caller.isClosed).toBe(false);
    expect(t.room.calls).toHaveLength(0);
    expect(t.gate.stats()).toMatchObject({ tarpitted: 1, tarpitsHeld: 1 });
    caller.socket.end();
    await caller.closed;
    await waitUntil(() => t.guard.tarpits.inUse === 0, 2_000, 'the slot to be released');
    expect(t.gate.stats()).toMatchObject({ tarpitsHeld: 0, active: 0 });
  });

  it('frees the slot when the caller resets the connection', async () => {
    const t = await startGate(everySetup('tarpit'), { tarpit: { alertAfter: 50, maxHold: 20_000 } });
    const caller = await t.call(call.setup);
    await caller.waitForFrames(1);
    caller.socket.resetAndDestroy();
    await waitUntil(() => t.guard.tarpits.inUse === 0, 2_000, 'the slot to be released');
    expect(t.gate.stats()).toMatchObject({ tarpitsHeld: 0 });
  });

  it('closes quietly after maxHold (no ReleaseComplete) and frees the slot', async () => {
    const t = await startGate(everySetup('tarpit'), { tarpit: { alertAfter: 50, maxHold: 300 } });
    const t0 = performance.now();
    const caller = await t.call(call.setup);
    await caller.closed;
    expect(performance.now() - t0).toBeGreaterThanOrEqual(290);
    expect(caller.frames.map((f) => decodeQ931(f).messageType)).toEqual([CALL_PROCEEDING, ALERTING]);
    await waitUntil(() => t.guard.tarpits.inUse === 0, 1_000, 'the slot to be released');
  });

  it('drops beyond the guard’s tarpit cap, and holds again once a slot is free', async () => {
    // Every refusal itemised (window 0): the third call from this source is the one whose line is read.
    const t = await startGate(
      everySetup('tarpit', { tarpit: { maxConcurrent: 2 }, log: { level: 'silent', refusals: { window: 0 } } }),
      {
        tarpit: { alertAfter: 5_000, maxHold: 20_000 },
      },
    );
    const held = [await t.call(call.setup), await t.call(call.setup)];
    for (const c of held) await c.waitForFrames(1);
    const third = await t.call(call.setup);
    const closed = await third.closed;
    expect(closed.bytes).toBe(0);
    expect(t.gate.stats()).toMatchObject({ tarpitted: 2, tarpitNoSlot: 1, dropped: 1, tarpitsHeld: 2 });
    expect(t.log.find('h323-call').at(-1)).toMatchObject({ action: 'drop', verdict: 'tarpit', outcome: 'tarpit-cap' });
    held[0]!.socket.end();
    await waitUntil(() => t.guard.tarpits.inUse === 1);
    const fourth = await t.call(call.setup);
    await fourth.waitForFrames(1);
    expect(t.gate.stats()).toMatchObject({ tarpitted: 3, tarpitsHeld: 2 });
  });

  it('closes on a held caller that floods it', async () => {
    const t = await startGate(everySetup('tarpit'), {
      tarpit: { alertAfter: 5_000, maxHold: 20_000, maxDiscardBytes: 1000 },
    });
    const caller = await t.call(call.setup);
    await caller.waitForFrames(1);
    caller.socket.write(Buffer.alloc(4000, 0x41));
    await caller.closed;
    await waitUntil(() => t.guard.tarpits.inUse === 0);
  });
});
