import { describe, expect, it } from 'vitest';
import { REPLY_LINGER_MS } from './enforce.js';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { decodeReply, OOH323_SETUP_IDS } from './test-support/replies.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();

describe('refused calls', () => {
  it("reject: ReleaseComplete with the configured reason and cause, answering the SETUP's call reference and callIdentifier, then close", async () => {
    const t = await startGate(everySetup('reject'), { reject: { reason: 'destinationRejection', cause: 17 } });
    const caller = await t.call(call.setup);
    const [reply, ...more] = await caller.waitForFrames(1);
    // The SETUP's call reference (flag set: from the called side), callIdentifier and H.225.0 version.
    expect(decodeReply(reply!)).toEqual({
      messageName: 'ReleaseComplete',
      fromCalledSide: true,
      cause: 17,
      body: 'releaseComplete',
      releaseReason: 'destinationRejection',
      ...OOH323_SETUP_IDS,
    });
    expect(more).toEqual([]);
    const closed = await caller.closed;
    expect(closed.hadError).toBe(false);
    expect(t.room.calls).toHaveLength(0);
    await waitUntil(() => t.gate.stats().active === 0);
    expect(t.gate.stats()).toMatchObject({ rejected: 1, allowed: 0 });
    expect(t.log.find('h323-call')[0]).toMatchObject({ action: 'reject', source: '127.0.0.1', target: '5551234' });
  });

  it('reject defaults to callRejected / cause 21', async () => {
    const t = await startGate(everySetup('reject'));
    const caller = await t.call(call.setup);
    const [reply] = await caller.waitForFrames(1);
    // H.225.0 has no "callRejected" reason: the encoder sends destinationRejection with cause 21.
    expect(decodeReply(reply!)).toMatchObject({
      messageName: 'ReleaseComplete',
      cause: 21,
      releaseReason: 'destinationRejection',
    });
  });

  it('drop: closes without sending a byte, and nothing reaches the room', async () => {
    const t = await startGate(everySetup('drop'));
    const caller = await t.call(call.setup);
    const closed = await caller.closed;
    expect(closed.bytes).toBe(0);
    expect(t.room.calls).toHaveLength(0);
    await waitUntil(() => t.gate.stats().active === 0);
    expect(t.gate.stats()).toMatchObject({ dropped: 1 });
  });

  it('destroys a rejected caller that never closes its side', async () => {
    const t = await startGate(everySetup('reject'));
    const caller = await t.call(call.setup);
    // The caller ignores the gate's FIN (allowHalfOpen, no end()): the gate's linger timer closes it.
    caller.socket.removeAllListeners('end');
    await caller.waitForFrames(1);
    expect(t.gate.stats().active).toBe(1);
    await waitUntil(() => t.gate.stats().active === 0, REPLY_LINGER_MS + 1_000, 'the linger timer');
  });
});
