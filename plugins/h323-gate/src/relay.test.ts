import { decodeSetupAttempt } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { everySetup, onCleanup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { decodeReply, OOH323_SETUP_IDS } from './test-support/replies.js';
import { dial, startStandInRoom, waitUntil } from './testing.js';

const call = recordedOoh323Call();
const OOH323_CALL_REFERENCE = 0x2b;

describe('relay of allowed calls', () => {
  it('relays the real ooh323 call byte-exact both ways to the room its dialled number names', async () => {
    const other = await startStandInRoom();
    onCleanup(() => other.close());
    // The room answers the SETUP with what the real called side sent (CallProceeding … ReleaseComplete).
    const t = await startGate(
      everySetup('allow'),
      (room) => ({
        upstreams: {
          byAlias: { '5551234': { host: room.host, port: room.port } },
          default: { host: other.host, port: other.port },
        },
      }),
      { answer: (_frame, c) => (c.frames.length === 1 ? call.roomSegments : undefined) },
    );
    const caller = await t.call(call.callerStream);
    await waitUntil(() => caller.received().length >= call.roomStream.length, 2_000, 'the room answers');
    expect(caller.received().equals(call.roomStream)).toBe(true);
    await waitUntil(() => (t.room.calls[0]?.bytes().length ?? 0) >= call.callerStream.length);
    expect(t.room.calls).toHaveLength(1);
    expect(t.room.calls[0]!.bytes().equals(call.callerStream)).toBe(true);
    expect(other.calls).toHaveLength(0);
    caller.socket.end();
    await caller.closed;
    const s = t.gate.stats();
    expect(s).toMatchObject({ connections: 1, allowed: 1, relayed: 1, rejected: 0, dropped: 0 });
    expect(s.relayedBytes).toEqual({ toUpstream: call.callerStream.length, toCaller: call.roomStream.length });
  });

  it('takes the default upstream when no alias matches, and logs the decision with its reasons', async () => {
    const t = await startGate(everySetup('allow'), (room) => ({
      upstreams: {
        byAlias: { 'room-elsewhere': { host: '127.0.0.1', port: 9 } },
        default: { host: room.host, port: room.port },
      },
    }));
    await t.call(call.setup);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.bytes().equals(Buffer.from(call.setup))).toBe(true);
    const [line] = t.log.find('h323-call');
    expect(line).toMatchObject({
      source: '127.0.0.1',
      target: '5551234',
      action: 'allow',
      verdict: 'allow',
      upstream: `${t.room.host}:${t.room.port}`,
      callReference: OOH323_CALL_REFERENCE,
    });
    expect(line!.alias).toBeUndefined();
    expect(Array.isArray(line!.rules)).toBe(true);
  });

  it('passes a half-close on: the caller sends SETUP and FIN, the room still answers and then closes', async () => {
    const t = await startGate(everySetup('allow'), {}, { answer: () => call.roomSegments });
    const caller = await t.call();
    caller.socket.end(call.setup);
    await waitUntil(() => t.room.calls[0]?.ended === true, 2_000, 'the FIN to reach the room');
    // Room's own 'end' handler closes its side after answering: the whole answer arrives, then the close.
    const closed = await caller.closed;
    expect(closed.hadError).toBe(false);
    expect(caller.received().equals(call.roomStream)).toBe(true);
    expect(Buffer.from(t.room.calls[0]!.bytes()).equals(Buffer.from(call.setup))).toBe(true);
  });

  it('relays 1 MB each way after the SETUP byte-exact (backpressure through pipe)', async () => {
    const big = Buffer.alloc(1_000_000); // under the stand-in's 1 MiB record cap
    for (let i = 0; i < big.length; i++) big[i] = (i * 7 + (i >> 9)) & 0xff;
    const t = await startGate(
      everySetup('allow'),
      {},
      { answer: (_f, c) => (c.frames.length === 1 ? big : undefined) },
    );
    const caller = await t.call(call.setup);
    await waitUntil(() => t.room.frameCount() === 1);
    caller.socket.write(big);
    await waitUntil(() => caller.received().length >= big.length, 10_000, '1 MB back');
    await waitUntil(
      () => t.room.calls[0]!.bytes().length >= call.setup.length + big.length,
      10_000,
      '1 MB to the room',
    );
    expect(caller.received().equals(big)).toBe(true);
    expect(t.room.calls[0]!.bytes().equals(Buffer.concat([call.setup, big]))).toBe(true);
    expect(t.gate.stats().relayedBytes).toEqual({ toUpstream: call.setup.length + big.length, toCaller: big.length });
  });

  it('answers ReleaseComplete (unreachableDestination, cause 27) when the room system is down', async () => {
    const down = await startStandInRoom();
    const downPort = down.port;
    await down.close();
    const t = await startGate(everySetup('allow'), { upstreams: { default: { host: '127.0.0.1', port: downPort } } });
    const caller = await t.call(call.setup);
    const [reply] = await caller.waitForFrames(1);
    expect(decodeReply(reply!)).toMatchObject({
      messageName: 'ReleaseComplete',
      cause: 27,
      releaseReason: 'unreachableDestination',
      ...OOH323_SETUP_IDS,
    });
    await caller.closed;
    expect(t.gate.stats()).toMatchObject({ allowed: 1, upstreamErrors: 1, relayed: 0 });
    expect(t.log.find('h323-upstream-error')).toHaveLength(1);
  });

  it('answers ReleaseComplete (cause 1, unallocated number) when no upstream serves the called alias', async () => {
    const t = await startGate(everySetup('allow'), {
      upstreams: { byAlias: { 'room-other': { host: '127.0.0.1', port: 9 } } },
    });
    const caller = await t.call(call.setup);
    const [reply] = await caller.waitForFrames(1);
    expect(decodeReply(reply!)).toMatchObject({
      messageName: 'ReleaseComplete',
      cause: 1,
      releaseReason: 'unreachableDestination',
      ...OOH323_SETUP_IDS,
    });
    expect(t.gate.stats()).toMatchObject({ noRoute: 1, allowed: 0 });
  });

  it('listens and relays over IPv6 (::1)', async () => {
    const room6 = await startStandInRoom({ host: '::1', answer: () => call.roomSegments });
    const t = await startGate(everySetup('allow'), {
      listen: { host: '::1', port: 0 },
      upstreams: { default: { host: '::1', port: room6.port } },
    });
    try {
      expect(t.addr.family).toBe('IPv6');
      const caller = await t.call(call.setup);
      await waitUntil(() => caller.received().length >= call.roomStream.length);
      expect(caller.received().equals(call.roomStream)).toBe(true);
      expect(room6.calls[0]!.remote.ip).toBe('::1');
      expect(t.log.find('h323-call')[0]).toMatchObject({ source: '::1', action: 'allow' });
    } finally {
      await room6.close();
    }
  });

  it('on a dual-stack listener (::) sees an IPv4 caller as its IPv4 address', async () => {
    const t = await startGate(everySetup('allow'), { listen: { host: '::', port: 0 } });
    const caller = await dial({ host: '127.0.0.1', port: t.addr.port, send: call.setup });
    onCleanup(() => caller.socket.destroy());
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.log.find('h323-call')[0]).toMatchObject({ source: '127.0.0.1', action: 'allow' });
  });

  it('in monitor mode relays a SETUP the policy would refuse, and logs what it would have done', async () => {
    const t = await startGate(everySetup('reject', { mode: 'monitor' }));
    const caller = await t.call(call.setup);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(Buffer.from(t.room.calls[0]!.bytes()).equals(Buffer.from(call.setup))).toBe(true);
    expect(caller.received().length).toBe(0);
    expect(t.log.find('h323-call')[0]).toMatchObject({ action: 'allow', intended: 'reject', monitor: true });
  });
});

describe('relay in front of chan_ooh323 (rewriteSourceAddress)', () => {
  it("names the gate's own end of the connection as the SETUP's caller address, and changes nothing else", async () => {
    const t = await startGate(everySetup('allow'), (room) => ({
      upstreams: { default: { host: room.host, port: room.port } },
      rewriteSourceAddress: true,
    }));
    await t.call(call.setup);
    await waitUntil(() => t.room.frameCount() === 1);
    const relayed = t.room.calls[0]!.bytes();
    const payload = (b: Uint8Array) => b.subarray(4);
    const ctx = { source: { ip: '127.0.0.1', port: 1 }, time: 0 };
    const before = decodeSetupAttempt(payload(call.setup), ctx);
    const after = decodeSetupAttempt(payload(relayed), ctx);
    // The recorded SETUP names 127.0.0.2:12031; the room now sees the gate's socket address (loopback here).
    expect(before.h323.sourceCallSignalAddress).toBe('127.0.0.2:12031');
    expect(after.h323.sourceCallSignalAddress).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(after.h323.sourceCallSignalAddress).not.toBe(before.h323.sourceCallSignalAddress);
    expect({ ...after.h323, sourceCallSignalAddress: '' }).toEqual({ ...before.h323, sourceCallSignalAddress: '' });
    expect(relayed.length).toBe(call.setup.length);
  });

  it('relays the SETUP byte for byte when the option is off (the default)', async () => {
    const t = await startGate(everySetup('allow'), (room) => ({
      upstreams: { default: { host: room.host, port: room.port } },
    }));
    await t.call(call.setup);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.bytes().equals(Buffer.from(call.setup))).toBe(true);
  });
});
