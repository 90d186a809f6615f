import { decodeQ931 } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { everySetup, startGate } from './test-support/harness.js';
import { waitUntil } from './testing.js';

/** A Q.931 SETUP (call reference 0x2b) whose Display IE claims more bytes than the message has. */
const SETUP_WITH_OVERLONG_IE = Buffer.from([
  0x03, 0x00, 0x00, 0x0e, 0x08, 0x02, 0x00, 0x2b, 0x05, 0x28, 0x40, 0x41, 0x42, 0x43,
]);
/** A SETUP (call reference 0x2b) whose User-User IE holds bytes that are not an H323-UserInformation. */
const SETUP_WITH_GARBAGE_UUIE = Buffer.from([
  0x03, 0x00, 0x00, 0x11, 0x08, 0x02, 0x00, 0x2b, 0x05, 0x7e, 0x00, 0x05, 0x05, 0xff, 0xff, 0xff, 0xff,
]);
const PINO_WARN = 40;

describe('a SETUP that does not decode follows the guard’s fail mode', () => {
  for (const [name, bytes] of [
    ['an IE longer than the message', SETUP_WITH_OVERLONG_IE],
    ['a garbage User-User IE', SETUP_WITH_GARBAGE_UUIE],
  ] as const) {
    it(`fail-open relays it byte-exact and says so in the log (${name})`, async () => {
      const t = await startGate(everySetup('drop', { policy: { failMode: 'open' } }));
      await t.call(bytes);
      await waitUntil(() => t.room.frameCount() === 1);
      expect(t.room.calls[0]!.bytes().equals(bytes)).toBe(true);
      expect(t.gate.stats()).toMatchObject({ undecodableSetups: 1, allowed: 1, notSetup: 0 });
      const [line] = t.log.find('h323-call');
      expect(line).toMatchObject({
        action: 'allow',
        failMode: 'open',
        rules: ['guard.invalid-input'],
        level: PINO_WARN,
      });
      expect(String(line!.msg)).toContain('fail-open');
    });

    it(`fail-closed drops it without a word and says so in the log (${name})`, async () => {
      const t = await startGate(everySetup('allow', { policy: { failMode: 'closed' } }));
      const caller = await t.call(bytes);
      expect((await caller.closed).bytes).toBe(0);
      expect(t.room.calls).toHaveLength(0);
      expect(t.gate.stats()).toMatchObject({ undecodableSetups: 1, dropped: 1, allowed: 0 });
      const [line] = t.log.find('h323-call');
      expect(line).toMatchObject({ action: 'drop', failMode: 'closed', level: PINO_WARN });
      expect(String(line!.msg)).toContain('fail-closed');
    });
  }

  it('fail-closed with failClosedAction reject answers ReleaseComplete on the call reference it could read', async () => {
    const t = await startGate(everySetup('allow', { policy: { failMode: 'closed', failClosedAction: 'reject' } }));
    const caller = await t.call(SETUP_WITH_GARBAGE_UUIE);
    const [reply] = await caller.waitForFrames(1);
    expect(decodeQ931(reply!)).toMatchObject({ messageType: 0x5a, callReference: 0x2b, callReferenceFlag: true });
    expect(t.gate.stats()).toMatchObject({ undecodableSetups: 1, rejected: 1 });
  });

  it('fail-closed with failClosedAction reject drops a SETUP whose call reference it could not read', async () => {
    const t = await startGate(everySetup('allow', { policy: { failMode: 'closed', failClosedAction: 'reject' } }));
    const caller = await t.call(SETUP_WITH_OVERLONG_IE);
    expect((await caller.closed).bytes).toBe(0);
    expect(t.gate.stats()).toMatchObject({ undecodableSetups: 1, dropped: 1 });
  });

  it('in monitor mode relays it even when fail-closed', async () => {
    const t = await startGate(everySetup('allow', { mode: 'monitor', policy: { failMode: 'closed' } }));
    await t.call(SETUP_WITH_GARBAGE_UUIE);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.log.find('h323-call')[0]).toMatchObject({ action: 'allow', intended: 'drop', monitor: true });
  });

  it('does not let a banned source through on fail-open: the ban still applies', async () => {
    // The same policy relays an undecodable SETUP from an unknown source (see fail-open above).
    const t = await startGate(everySetup('drop', { policy: { failMode: 'open' } }));
    t.guard.bans.add('127.0.0.1', { reason: 'earlier scan' });
    const caller = await t.call(SETUP_WITH_GARBAGE_UUIE);
    expect((await caller.closed).bytes).toBe(0);
    expect(t.room.calls).toHaveLength(0);
    expect(t.gate.stats()).toMatchObject({ undecodableSetups: 1, dropped: 1, allowed: 0 });
    const [line] = t.log.find('h323-call');
    expect(line).toMatchObject({ rules: ['known-bad.banned'] });
    expect(line).not.toHaveProperty('failMode');
  });
});
