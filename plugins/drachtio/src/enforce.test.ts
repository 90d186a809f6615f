import { EventEmitter } from 'node:events';
import type { Guard } from '@ghostguard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DENIED_IP, guardThat } from './test-support/guards.js';
import { capturedLogger, closeAll, eventsOf, harness } from './test-support/harness.js';
import { SVMAP_INVITE, SVWAR_REGISTER } from './test-support/recorded.js';
import { srfRequestPair, waitUntil } from './testing.js';

afterEach(async () => {
  vi.useRealTimers();
  await closeAll();
});

describe('reject and drop', () => {
  it('rejects with 403 by default and adds no header that tells the scanner anything', () => {
    const { run } = harness(guardThat('reject'));
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(r.nexts()).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([403]);
    expect(Object.keys(r.sent[0]!.headers).sort()).toEqual(['call-id', 'cseq', 'from', 'to']);
  });

  it('rejects with the configured code', () => {
    const { run } = harness(guardThat('reject'), { reject: { status: 603 } });
    expect(run(SVWAR_REGISTER, DENIED_IP).sent.map((s) => s.status)).toEqual([603]);
  });

  it('drops: no response and no next, and drachtio-srf forgets the INVITE', () => {
    const { layer, attachment } = harness(guardThat('drop'), { methods: ['invite'] });
    const { req, res, sent } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
    // drachtio-srf's agent keeps each incoming INVITE by Call-ID until a final response is sent.
    const pending = new Map<unknown, unknown>([['96735918242087678274457', {}]]);
    (req.agent as Record<string, unknown>).mapServer = new Map([[req.socket, { pendingNetworkInvites: pending }]]);
    let nexts = 0;
    layer(req, res, () => nexts++);
    expect(nexts).toBe(0);
    expect(sent).toEqual([]);
    expect(pending.size).toBe(0);
    expect(attachment.stats().dropped).toBe(1);
  });
});

describe('tarpit', () => {
  it('tarpits an INVITE: 180 at once, the final 486 after the hold', async () => {
    const guard = guardThat('tarpit');
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60 } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(r.sent.map((s) => s.status)).toEqual([180]);
    expect(guard.tarpits.inUse).toBe(1);
    await waitUntil(() => r.sent.length === 2, 5_000, 'the final answer');
    expect(r.sent.map((s) => s.status)).toEqual([180, 486]);
    expect(guard.tarpits.inUse).toBe(0);
    expect(attachment.stats()).toMatchObject({ tarpitted: 1, tarpitsHeld: 0 });
  });

  it('tarpit ending in silence sends no final answer and frees the slot', async () => {
    const guard = guardThat('tarpit');
    const { run } = harness(guard, { tarpit: { holdFor: 30, final: 'silence' } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    await waitUntil(() => guard.tarpits.inUse === 0, 5_000, 'the hold to end');
    expect(r.sent.map((s) => s.status)).toEqual([180]);
  });

  it('a CANCEL ends the hold at once and clears its timer', () => {
    const guard = guardThat('tarpit');
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60_000 } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(guard.tarpits.inUse).toBe(1);
    expect(r.req.listenerCount('cancel')).toBe(1);
    r.cancel();
    expect(guard.tarpits.inUse).toBe(0);
    expect(r.req.listenerCount('cancel')).toBe(0);
    expect(attachment.stats().tarpitsHeld).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([180]);
  });

  it("a held call never keeps the process alive (its timers are unref'd), before or after the 180", () => {
    const guard = guardThat('tarpit');
    const timers = () => process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
    const { run } = harness(guard, { tarpit: { holdFor: 60_000, ringAfter: 50 } });
    const before = timers();
    run(SVMAP_INVITE, DENIED_IP);
    expect(guard.tarpits.inUse).toBe(1);
    expect(timers()).toBe(before);
    const { run: runNow } = harness(guardThat('tarpit'), { tarpit: { holdFor: 60_000 } });
    const r = runNow(SVMAP_INVITE, DENIED_IP);
    expect(r.sent.map((s) => s.status)).toEqual([180]);
    expect(timers()).toBe(before);
  });

  it('a held call whose drachtio-server connection closes ends at once, counted as tarpitLost, one line', () => {
    const guard = guardThat('tarpit');
    const { logger, lines } = capturedLogger();
    const { layer, attachment } = harness(guard, { tarpit: { holdFor: 60_000 }, logger });
    // drachtio-srf's request keeps the admin connection it came on (`req.socket`).
    const connection = new EventEmitter();
    const [a, b] = [SVMAP_INVITE, SVMAP_INVITE.replace('96735918242087678274457', 'second-call')].map((raw) => {
      const pair = srfRequestPair(raw, { address: DENIED_IP, port: 5060 });
      (pair.req as unknown as { socket: unknown }).socket = connection;
      layer(pair.req, pair.res, () => {});
      return pair;
    });
    expect(attachment.stats().tarpitsHeld).toBe(2);
    connection.emit('close');
    expect(attachment.stats()).toMatchObject({ tarpitsHeld: 0, tarpitLost: 2, errors: 0 });
    expect(guard.tarpits.inUse).toBe(0);
    expect(eventsOf(lines, 'tarpit-lost')).toEqual([expect.objectContaining({ calls: 2 })]);
    expect(connection.listenerCount('close')).toBe(0);
    // No final answer could go out: only the 180s were sent.
    expect([...a!.sent, ...b!.sent].map((s) => s.status)).toEqual([180, 180]);
  });

  it('drops instead of tarpitting once the guard tarpit cap is reached (tarpitNoSlot)', () => {
    const guard = guardThat('tarpit', { tarpit: { maxConcurrent: 2 } });
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60_000 } });
    const results = [0, 1, 2].map(() => run(SVMAP_INVITE, DENIED_IP));
    expect(results.map((r) => r.sent.map((s) => s.status))).toEqual([[180], [180], []]);
    expect(attachment.stats()).toMatchObject({ tarpitted: 2, dropped: 1, tarpitNoSlot: 1, tarpitsHeld: 2 });
  });

  it('logs the full cap at most once a second, each line with the count it held back', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const { logger, lines } = capturedLogger();
    const guard = guardThat('tarpit', { tarpit: { maxConcurrent: 1 } });
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60_000 }, logger });
    for (let i = 0; i < 6; i++) run(SVMAP_INVITE, DENIED_IP);
    expect(eventsOf(lines, 'tarpit-cap')).toEqual([expect.objectContaining({ maxConcurrent: 1, suppressed: 0 })]);
    vi.advanceTimersByTime(1_000);
    run(SVMAP_INVITE, DENIED_IP);
    expect(eventsOf(lines, 'tarpit-cap').map((l) => l.suppressed)).toEqual([0, 4]);
    expect(attachment.stats().tarpitNoSlot).toBe(6);
  });

  it('never tarpits a non-INVITE, even if a verdict says tarpit: it drops', () => {
    const real = guardThat('tarpit');
    const guard = Object.create(real) as Guard;
    guard.judge = (attempt) => ({ ...real.judge(attempt), action: 'tarpit', intended: 'tarpit' });
    const { run, attachment } = harness(guard);
    expect(run(SVWAR_REGISTER, DENIED_IP).sent).toEqual([]);
    expect(attachment.stats()).toMatchObject({ dropped: 1, tarpitted: 0 });
    expect(real.tarpits.inUse).toBe(0);
  });

  it('a request whose cancel listener cannot be installed releases its slot (onError decides the rest)', () => {
    const guard = guardThat('tarpit');
    const { layer, attachment } = harness(guard, { methods: ['invite'], onError: 'closed' });
    const { req, res, sent } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
    req.once = () => {
      throw new Error('not an emitter');
    };
    let nexts = 0;
    layer(req, res, () => nexts++);
    expect(nexts).toBe(0);
    expect(sent).toEqual([]);
    expect(guard.tarpits.inUse).toBe(0);
    expect(attachment.stats()).toMatchObject({ errors: 1, tarpitsHeld: 0, dropped: 1 });
  });
});

describe('close() ends the holds', () => {
  it('answers every held call with the final code now, and frees every slot and timer', async () => {
    const guard = guardThat('tarpit');
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60_000, final: 603 } });
    const held = [0, 1].map(() => run(SVMAP_INVITE, DENIED_IP));
    expect(guard.tarpits.inUse).toBe(2);
    await attachment.close();
    expect(held.map((r) => r.sent.map((s) => s.status))).toEqual([
      [180, 603],
      [180, 603],
    ]);
    expect(held.map((r) => r.req.listenerCount('cancel'))).toEqual([0, 0]);
    expect(guard.tarpits.inUse).toBe(0);
    expect(attachment.stats().tarpitsHeld).toBe(0);
  });

  it('answers a call still waiting for its 180 with the final code alone', async () => {
    const guard = guardThat('tarpit');
    const { run, attachment } = harness(guard, { tarpit: { ringAfter: 60_000, holdFor: 60_000 } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(r.sent).toEqual([]);
    await attachment.close();
    expect(r.sent.map((s) => s.status)).toEqual([486]);
    expect(guard.tarpits.inUse).toBe(0);
  });

  it('with final silence, ends the holds without an answer and drachtio-srf forgets the INVITEs', async () => {
    const guard = guardThat('tarpit');
    const { layer, attachment } = harness(guard, { tarpit: { holdFor: 60_000, final: 'silence' } });
    const { req, res, sent } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
    const pending = new Map<unknown, unknown>([['96735918242087678274457', {}]]);
    (req.agent as Record<string, unknown>).mapServer = new Map([[req.socket, { pendingNetworkInvites: pending }]]);
    layer(req, res, () => {});
    await attachment.close();
    expect(sent.map((s) => s.status)).toEqual([180]);
    expect(pending.size).toBe(0);
    expect(guard.tarpits.inUse).toBe(0);
  });

  it('a final answer that cannot be sent still frees the slot and counts as an error', async () => {
    const guard = guardThat('tarpit');
    const { layer, attachment } = harness(guard, { methods: ['invite'], tarpit: { holdFor: 60_000 } });
    const { req } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
    const sent: number[] = [];
    const res = {
      send: (status: number) => {
        if (status !== 180) throw new Error('socket gone');
        sent.push(status);
      },
    };
    layer(req, res as never, () => {});
    await attachment.close();
    expect(sent).toEqual([180]);
    expect(guard.tarpits.inUse).toBe(0);
    expect(attachment.stats()).toMatchObject({ errors: 1, tarpitsHeld: 0 });
  });
});
