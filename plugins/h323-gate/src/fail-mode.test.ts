import { type ConfigInput, createGuard, type Guard, type Verdict } from '@ghostguard/core';
import { decodeQ931 } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { attachH323Gate } from './index.js';
import { everySetup, memoryLogger, onCleanup, startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { decodeReply } from './test-support/replies.js';
import { dial, startStandInRoom, waitUntil } from './testing.js';

/** A Q.931 SETUP (call reference 0x2b) whose Display IE claims more bytes than the message has. */
const SETUP_WITH_OVERLONG_IE = Buffer.from([
  0x03, 0x00, 0x00, 0x0e, 0x08, 0x02, 0x00, 0x2b, 0x05, 0x28, 0x40, 0x41, 0x42, 0x43,
]);
/** A SETUP (call reference 0x2b) whose User-User IE holds bytes that are not an H323-UserInformation. */
const SETUP_WITH_GARBAGE_UUIE = Buffer.from([
  0x03, 0x00, 0x00, 0x11, 0x08, 0x02, 0x00, 0x2b, 0x05, 0x7e, 0x00, 0x05, 0x05, 0xff, 0xff, 0xff, 0xff,
]);
/** Says SETUP, but its call reference length (3) is not one H.225.0 uses: not even the header decodes. */
const SETUP_WITH_BROKEN_HEADER = Buffer.from([0x03, 0x00, 0x00, 0x0b, 0x08, 0x03, 0x00, 0x00, 0x2b, 0x05, 0x00]);
const PINO_INFO = 30;
const PINO_WARN = 40;

/** The guard's own policy (reject from 50, drop from 80); bans out of the way (every test calls from 127.0.0.1). */
const DEFAULT_POLICY: ConfigInput = { log: { level: 'silent' }, dataDir: null, bans: { banScore: 1_000_000 } };

describe('a SETUP the gate cannot read whole is judged on what it can read, never let through', () => {
  for (const [name, bytes, anomaly] of [
    ['a garbage User-User IE', SETUP_WITH_GARBAGE_UUIE, /^UUIE did not decode: H\.225 /],
    [
      'an IE longer than the message',
      SETUP_WITH_OVERLONG_IE,
      /^Q\.931 IE 0x28 at byte 5 says 64 bytes, 3 left: clipped$/,
    ],
  ] as const) {
    it(`refuses it with ReleaseComplete on its call reference, onInternalError open or not (${name})`, async () => {
      const t = await startGate({ ...DEFAULT_POLICY, policy: { onInternalError: 'open' } });
      const caller = await t.call(bytes);
      const [reply] = await caller.waitForFrames(1);
      expect(decodeReply(reply!)).toMatchObject({ messageName: 'ReleaseComplete', callReference: 0x2b, cause: 21 });
      await caller.closed;
      expect(t.room.calls).toHaveLength(0);
      expect(t.gate.stats()).toMatchObject({ judged: 1, malformed: 1, unreadableSetups: 0, rejected: 1, allowed: 0 });
      const [line] = t.log.find('h323-call');
      expect(line).toMatchObject({ action: 'reject', callReference: 0x2b, level: PINO_INFO });
      expect(line!.rules).toContain('input.undecodable');
      expect(line!.score).toBeGreaterThanOrEqual(60);
      expect((line!.anomalies as string[])[0]).toMatch(anomaly);
      expect(line).not.toHaveProperty('onInternalError');
      expect(String(line!.msg)).toContain('SETUP partly undecodable');
      expect(String(line!.msg)).not.toMatch(/fail-open/);
    });
  }

  it('scores a SETUP whose header does not decode through judgeMalformed, and drops it (no call reference)', async () => {
    const t = await startGate(DEFAULT_POLICY);
    const caller = await t.call(SETUP_WITH_BROKEN_HEADER);
    expect((await caller.closed).bytes).toBe(0);
    expect(t.room.calls).toHaveLength(0);
    expect(t.gate.stats()).toMatchObject({ judged: 1, malformed: 1, unreadableSetups: 1, dropped: 1, allowed: 0 });
    const [line] = t.log.find('h323-call');
    expect(line).toMatchObject({ action: 'drop', verdict: 'reject', level: PINO_INFO });
    expect(line).not.toHaveProperty('callReference');
    expect(line!.rules).toContain('input.undecodable');
    expect(String(line!.msg)).toContain('undecodable SETUP');
    expect(t.guard.stats().judged).toBe(1);
  });

  for (const action of ['drop', 'tarpit'] as const) {
    it(`carries out a ${action} policy on it like on any SETUP`, async () => {
      const t = await startGate(everySetup(action));
      const caller = await t.call(SETUP_WITH_GARBAGE_UUIE);
      if (action === 'drop') {
        expect((await caller.closed).bytes).toBe(0);
      } else {
        // The tarpit answers on the call reference it read: CallProceeding at once.
        const [proceeding] = await caller.waitForFrames(1);
        expect(decodeQ931(proceeding!)).toMatchObject({ messageName: 'CallProceeding', callReference: 0x2b });
        caller.socket.destroy();
      }
      expect(t.room.calls).toHaveLength(0);
      expect(t.gate.stats()).toMatchObject({ malformed: 1, [action === 'drop' ? 'dropped' : 'tarpitted']: 1 });
    });
  }

  it('in monitor mode relays it byte-exact and logs the refusal it would have made', async () => {
    const t = await startGate({ ...DEFAULT_POLICY, mode: 'monitor' });
    await t.call(SETUP_WITH_GARBAGE_UUIE);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.bytes().equals(SETUP_WITH_GARBAGE_UUIE)).toBe(true);
    const [line] = t.log.find('h323-call');
    expect(line).toMatchObject({ action: 'allow', intended: 'reject', monitor: true });
    expect(String(line!.msg)).toContain('monitor mode: would reject');
  });

  it('refuses it from a banned source on the ban as well', async () => {
    const t = await startGate(DEFAULT_POLICY);
    t.guard.bans.add('127.0.0.1', { reason: 'earlier scan' });
    const caller = await t.call(SETUP_WITH_GARBAGE_UUIE);
    expect((await caller.closed).bytes).toBe(0);
    expect(t.room.calls).toHaveLength(0);
    expect(t.log.find('h323-call')[0]).toMatchObject({ rules: ['known-bad.banned'], action: 'drop' });
  });

  it('passes an allowlisted source, as every SETUP from it', async () => {
    const t = await startGate({ ...DEFAULT_POLICY, trust: { cidrs: ['127.0.0.1/32'] } });
    await t.call(SETUP_WITH_GARBAGE_UUIE);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.log.find('h323-call')[0]).toMatchObject({ action: 'allow' });
  });
});

describe('a verdict ghostguard could not reach on its own account (onInternalError)', () => {
  /** The guard, with judge() answering as it does when a rule throws: policy.onInternalError decided. */
  function faultyGuard(config: ConfigInput): Guard {
    const guard = createGuard(config);
    onCleanup(() => guard.close());
    const fault: Verdict = {
      action: 'allow',
      intended: 'allow',
      score: 0,
      reasons: [{ rule: 'guard.internal-error', detail: 'internal error: boom (fail-open)', weight: 0 }],
      monitor: false,
    };
    return new Proxy(guard, {
      get: (target, key, receiver) => (key === 'judge' ? () => fault : Reflect.get(target, key, receiver)),
    });
  }

  it('is logged at warn with onInternalError, not as anything the caller sent', async () => {
    const { logger, sink } = memoryLogger();
    const room = await startStandInRoom();
    onCleanup(() => room.close());
    const gate = attachH323Gate(
      faultyGuard({ ...DEFAULT_POLICY, policy: { onInternalError: 'open' } }),
      { host: '127.0.0.1', port: 0 },
      { logger, upstreams: { default: { host: room.host, port: room.port } } },
    );
    onCleanup(() => gate.close());
    await gate.ready;
    const addr = gate.address()!;
    const caller = await dial({ host: addr.address, port: addr.port, send: recordedOoh323Call().setup });
    onCleanup(() => caller.socket.destroy());
    await waitUntil(() => room.frameCount() === 1);
    const [line] = sink.find('h323-call');
    expect(line).toMatchObject({ action: 'allow', onInternalError: 'open', level: PINO_WARN });
    expect(String(line!.msg)).toContain('ghostguard fault, onInternalError open');
  });
});
