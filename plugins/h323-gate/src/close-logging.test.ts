import { describe, expect, it } from 'vitest';
import { CLOSE_LOG_INTERVAL_MS } from './context.js';
import { everySetup, startGate } from './test-support/harness.js';
import { waitUntil } from './testing.js';

const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\nHost: 192.0.2.1:1720\r\n\r\n');
const PINO_INFO = 30;
const PINO_WARN = 40;

type Line = Record<string, unknown>;

/** Lines logged, plus the ones the throttle left out (the gate counts them all): every close is one or the other. */
function accounted(lines: Line[], suppressed: number): number {
  return lines.length + suppressed;
}

describe('connections closed without a verdict are counted and logged, throttled', () => {
  it('100 connections at once from one source: 80 over the per-source limit, 20 timing out, a few lines', async () => {
    const t = await startGate(everySetup('allow'), { firstSetupTimeout: 300 });
    const callers = await Promise.all(Array.from({ length: 100 }, () => t.call()));
    await waitUntil(() => t.gate.stats().firstFrameTimeouts === 20 && t.gate.stats().active === 0, 3_000);
    const s = t.gate.stats();
    expect(s).toMatchObject({
      connections: 100,
      tooManyFromSource: 80,
      firstFrameTimeouts: 20,
      closedWithoutVerdict: 100,
    });
    const limit = t.log.find('h323-source-limit');
    const notSetup = t.log.find('h323-not-setup');
    // Before the throttle: 80 h323-source-limit lines, and the 20 timeouts only at debug.
    expect(limit.length).toBeGreaterThanOrEqual(1);
    expect(limit.length).toBeLessThanOrEqual(2);
    expect(notSetup.length).toBeGreaterThanOrEqual(1);
    expect(notSetup.length).toBeLessThanOrEqual(2);
    expect(limit[0]).toMatchObject({ source: '127.0.0.1', limit: 20, suppressed: 0, level: PINO_INFO });
    expect(notSetup[0]).toMatchObject({ source: '127.0.0.1', kind: 'timeout', suppressed: 0, level: PINO_INFO });
    expect(accounted([...limit, ...notSetup], s.logLinesSuppressed)).toBe(100);
    for (const c of callers) c.socket.destroy();
  });

  it('garbage first bytes: logged at info, one line a second, the next line saying how many were left out', async () => {
    const t = await startGate(everySetup('allow'));
    const send = async (n: number) => {
      for (let i = 0; i < n; i++) await (await t.call(HTTP_GET)).closed;
    };
    await send(30);
    await waitUntil(() => t.gate.stats().notSetup === 30);
    const first = t.log.find('h323-not-setup');
    expect(first.length).toBeLessThanOrEqual(2);
    expect(first[0]).toMatchObject({ kind: 'not-tpkt', suppressed: 0, level: PINO_INFO });
    await new Promise((r) => setTimeout(r, CLOSE_LOG_INTERVAL_MS + 50));
    await send(1);
    await waitUntil(() => t.log.find('h323-not-setup').length > first.length);
    const lines = t.log.find('h323-not-setup');
    const last = lines.at(-1)!;
    // It says how many of the first 30 were left out since the line before it.
    expect(last.suppressed as number).toBeGreaterThan(0);
    expect(String(last.msg)).toMatch(/\(\d+ more like it not logged\)$/);
    expect(accounted(lines, t.gate.stats().logLinesSuppressed)).toBe(31);
    expect(t.gate.stats()).toMatchObject({ notSetup: 31, closedWithoutVerdict: 31 });
  });

  it('connections over maxConnections: warn lines, throttled', async () => {
    const t = await startGate(everySetup('allow'), { maxConnections: 2, firstSetupTimeout: 10_000 });
    const held = [
      await t.call(undefined, { localAddress: '127.0.0.2' }),
      await t.call(undefined, { localAddress: '127.0.0.3' }),
    ];
    await waitUntil(() => t.gate.stats().active === 2);
    // From the held connections' own /24: no busier network to take a slot from (flood.test.ts has the other case).
    const over = await Promise.all(
      Array.from({ length: 20 }, (_, i) => t.call(undefined, { localAddress: `127.0.0.${i + 10}` })),
    );
    await Promise.all(over.map((c) => c.closed));
    const lines = t.log.find('h323-too-many-connections');
    expect(lines.length).toBeGreaterThanOrEqual(1);
    expect(lines.length).toBeLessThanOrEqual(2);
    expect(lines[0]).toMatchObject({ limit: 2, level: PINO_WARN });
    expect(t.gate.stats()).toMatchObject({ tooManyConnections: 20, closedWithoutVerdict: 20 });
    for (const c of held) c.socket.destroy();
  });
});
