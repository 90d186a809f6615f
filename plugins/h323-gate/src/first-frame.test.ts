import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { everySetup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { waitUntil } from './testing.js';

const call = recordedOoh323Call();

/** A TLS 1.2 ClientHello's first bytes (record header, handshake header, version, start of the random). */
const TLS_CLIENT_HELLO = Buffer.from(
  '160301009e0100009a03035f1b6a1e4c0d5e2f7a8b9c0d1e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c00002cc02bc02fc02cc030cca9cca8',
  'hex',
);
const HTTP_GET = Buffer.from('GET / HTTP/1.1\r\nHost: 192.0.2.1:1720\r\nUser-Agent: Mozilla/5.0\r\n\r\n');
/** nmap's GenericLines probe. */
const NMAP_GENERIC_LINES = Buffer.from('\r\n\r\n');

/** Deterministic pseudo-random bytes (xorshift32). */
function noise(n: number, seed: number): Buffer {
  const out = Buffer.alloc(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

describe('first bytes that are not a SETUP', () => {
  const notSetup: Array<[string, Buffer]> = [
    ['random bytes', Buffer.concat([Buffer.from([0x5a]), noise(200, 7)])],
    ['a TLS ClientHello', TLS_CLIENT_HELLO],
    ['an HTTP GET', HTTP_GET],
    ['nmap GenericLines', NMAP_GENERIC_LINES],
    ['a TPKT frame that is not Q.931', Buffer.from([0x03, 0x00, 0x00, 0x0a, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06])],
  ];
  for (const [name, bytes] of notSetup) {
    it(`closes and counts ${name} at once, without a reply and without a verdict`, async () => {
      const t = await startGate(everySetup('allow'));
      const t0 = performance.now();
      const caller = await t.call(bytes);
      const closed = await caller.closed;
      expect(performance.now() - t0).toBeLessThan(1_000);
      expect(closed.bytes).toBe(0);
      await waitUntil(() => t.gate.stats().active === 0);
      expect(t.gate.stats()).toMatchObject({ connections: 1, notSetup: 1, allowed: 0 });
      expect(t.guard.stats().judged).toBe(0);
      expect(t.room.calls).toHaveLength(0);
    });
  }

  it('closes and counts an H.225 Alerting sent instead of a SETUP (the real one from the ooh323 call)', async () => {
    const alerting = call.roomSegments[1]!;
    expect(alerting[4 + 4]).toBe(0x01); // TPKT header, discriminator, CR length, 2-byte CR, message type
    const t = await startGate(everySetup('allow'));
    const caller = await t.call(alerting);
    expect((await caller.closed).bytes).toBe(0);
    expect(t.gate.stats()).toMatchObject({ notSetup: 1, allowed: 0 });
    expect(t.room.calls).toHaveLength(0);
  });

  it('gives a silent caller (nmap NULL probe) and a slow sender firstSetupTimeout, then closes', async () => {
    const t = await startGate(everySetup('allow'), { firstSetupTimeout: 250 });
    const t0 = performance.now();
    const silent = await t.call();
    const slow = await t.call(call.setup.subarray(0, 40));
    await Promise.all([silent.closed, slow.closed]);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(240);
    await waitUntil(() => t.gate.stats().active === 0);
    expect(t.gate.stats()).toMatchObject({ firstFrameTimeouts: 2, allowed: 0, active: 0 });
    expect(t.room.calls).toHaveLength(0);
  });

  it('reassembles a SETUP that trickles in byte by byte within the timeout', async () => {
    const t = await startGate(everySetup('allow'), { firstSetupTimeout: 5_000 });
    const caller = await t.call();
    for (let i = 0; i < call.setup.length; i += 16) {
      caller.socket.write(call.setup.subarray(i, i + 16));
      await new Promise((r) => setTimeout(r, 1));
    }
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.bytes().equals(Buffer.from(call.setup))).toBe(true);
  });

  it('skips an empty TPKT keep-alive before the SETUP and relays both byte-exact', async () => {
    const t = await startGate(everySetup('allow'));
    const bytes = Buffer.concat([Buffer.from([0x03, 0x00, 0x00, 0x04]), call.setup]);
    await t.call(bytes);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.bytes().equals(bytes)).toBe(true);
  });

  for (const [name, after] of [
    ['an HTTP request', Buffer.from('GET / HTTP/1.0\r\n\r\n')],
    ['two stray bytes (fewer than a TPKT header)', Buffer.from([0x0d, 0x0a])],
    ['a header that is not TPKT', Buffer.from([0x03, 0x01, 0x00, 0x08])],
  ] as const) {
    it(`judges a SETUP followed in the same segment by ${name}, the bytes an anomaly`, async () => {
      const t = await startGate(everySetup('drop'));
      const caller = await t.call(Buffer.concat([call.setup, after]));
      expect((await caller.closed).bytes).toBe(0);
      expect(t.gate.stats()).toMatchObject({ notSetup: 0, malformed: 1, dropped: 1, closedWithoutVerdict: 0 });
      const anomalies = t.log.find('h323-call')[0]!.anomalies as string[];
      expect(anomalies).toEqual([
        expect.stringMatching(new RegExp(`^${after.length} bytes after the SETUP are not TPKT: TPKT`)),
      ]);
    });
  }

  it('takes a SETUP followed by the start of the next TPKT frame in the same segment as it is', async () => {
    const t = await startGate(everySetup('allow'));
    const bytes = Buffer.concat([call.setup, call.callerStream.subarray(call.setup.length, call.setup.length + 6)]);
    await t.call(bytes);
    await waitUntil(() => t.room.calls[0]?.bytes().length === bytes.length);
    expect(t.log.find('h323-call')[0]).not.toHaveProperty('anomalies');
  });

  it('closes at once on a first frame that announces more than maxFirstBytes', async () => {
    const t = await startGate(everySetup('allow'), { maxFirstBytes: 1024, firstSetupTimeout: 5_000 });
    const t0 = performance.now();
    const header = Buffer.from([0x03, 0x00, 0xea, 0x60]); // 60000 bytes
    const caller = await t.call(Buffer.concat([header, Buffer.alloc(2000, 0x08)]));
    await caller.closed;
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(t.gate.stats()).toMatchObject({ oversized: 1, notSetup: 0, allowed: 0 });
  });

  it('accepts a first frame whose payload is exactly maxFirstBytes, arriving in two pieces', async () => {
    const t = await startGate(everySetup('allow'), { maxFirstBytes: call.setup.length - 4 });
    const caller = await t.call(call.setup.subarray(0, call.setup.length - 1));
    await new Promise((r) => setTimeout(r, 20));
    caller.socket.write(call.setup.subarray(call.setup.length - 1));
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.gate.stats().oversized).toBe(0);
  });

  it('closes a first frame one byte over maxFirstBytes, and a flood of keep-alives past it', async () => {
    const t = await startGate(everySetup('allow'), { maxFirstBytes: call.setup.length - 5 });
    const over = await t.call(call.setup);
    await over.closed;
    const keepAlives = await t.call(Buffer.alloc(4 * 100, Buffer.from([0x03, 0x00, 0x00, 0x04])));
    await keepAlives.closed;
    await waitUntil(() => t.gate.stats().active === 0);
    expect(t.gate.stats()).toMatchObject({ oversized: 2, allowed: 0 });
  });

  it('counts a caller that closes before its first frame is complete', async () => {
    const t = await startGate(everySetup('allow'));
    const caller = await t.call();
    caller.socket.end(call.setup.subarray(0, 100));
    await caller.closed;
    await waitUntil(() => t.gate.stats().active === 0);
    expect(t.gate.stats()).toMatchObject({ closedBeforeSetup: 1, allowed: 0 });
  });
});
