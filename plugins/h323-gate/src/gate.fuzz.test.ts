import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyFirstMessage } from './attempt.js';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();
const setup = Buffer.from(call.setup);
const ctx = { source: { ip: '192.0.2.7', port: 1720 }, time: 0 };

/** A first TPKT frame: random bytes, or the real SETUP with bit flips, cuts, splices or a wrong TPKT length. */
const firstBytes = fc.oneof(
  fc.uint8Array({ minLength: 0, maxLength: 400 }).map((a) => Buffer.from(a)),
  fc
    .array(fc.tuple(fc.nat(setup.length - 1), fc.integer({ min: 0, max: 7 })), { minLength: 1, maxLength: 8 })
    .map((flips) => {
      const b = Buffer.from(setup);
      for (const [at, bit] of flips) b[at] = b[at]! ^ (1 << bit);
      return b;
    }),
  fc.nat(setup.length).map((n) => setup.subarray(0, n)),
  fc
    .tuple(fc.nat(setup.length), fc.uint8Array({ maxLength: 64 }))
    .map(([at, junk]) => Buffer.concat([setup.subarray(0, at), junk, setup.subarray(at)])),
  fc.integer({ min: 0, max: 0xffff }).map((len) => {
    const b = Buffer.from(setup);
    b.writeUInt16BE(len, 2);
    return b;
  }),
);

describe('fuzz', () => {
  it('classifies any first frame payload without throwing', () => {
    fc.assert(
      fc.property(firstBytes, (bytes) => {
        const payload = bytes.subarray(Math.min(4, bytes.length));
        const m = classifyFirstMessage(payload, ctx);
        expect(['setup', 'not-setup', 'undecodable-setup']).toContain(m.kind);
      }),
      { numRuns: 5_000, seed: 0x6a7e },
    );
  });

  it('survives 300 connections with random and mutated first frames, then still relays a real call', async () => {
    const t = await startGate(everySetup('allow'), { firstSetupTimeout: 300, maxConnectionsPerSource: 1_000 });
    const samples = fc.sample(firstBytes, { numRuns: 300, seed: 0x1720 });
    const batch = 20;
    for (let i = 0; i < samples.length; i += batch) {
      await Promise.all(
        samples.slice(i, i + batch).map(async (bytes) => {
          const c = await t.call();
          c.socket.end(bytes);
          const closed = c.closed;
          // Relayed calls stay up as long as the stand-in room keeps them; hang up after a moment.
          const timer = setTimeout(() => c.socket.destroy(), 1_000);
          await closed;
          clearTimeout(timer);
        }),
      );
    }
    await waitUntil(() => t.gate.stats().active === 0, 5_000, 'every fuzz connection to close');
    const s = t.gate.stats();
    expect(s.connections).toBe(samples.length);
    const accounted =
      s.notSetup + s.firstFrameTimeouts + s.oversized + s.closedBeforeSetup + s.allowed + s.rejected + s.dropped;
    expect(accounted).toBe(samples.length);
    const frames = t.room.frameCount();
    const caller = await t.call(setup);
    await waitUntil(() => t.room.frameCount() > frames, 2_000, 'a real call after the fuzzing');
    caller.socket.destroy();
  });
});
