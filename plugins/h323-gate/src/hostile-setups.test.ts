import { fileURLToPath } from 'node:url';
import { type ConfigInput, loadConfigFile } from '@ghostguard/core';
import { encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { startGate } from './test-support/harness.js';
import { recordedOoh323Call } from './test-support/ooh323-call.js';
import { mutateSetup } from './test-support/setup-mutations.js';
import { waitUntil } from './testing.js';

/**
 * Issue 13 end to end, over loopback: the Metasploit h323_version SETUP and four ways of breaking it that a
 * real stack would still take (a zeroed UUIE tail, a flipped bit, a Q.931 IE length that lies, bytes after it
 * in the same segment). None may reach the stand-in room; the recorded chan_ooh323 call still does.
 */

const metasploit = encodeSetup(setupShapeSpec({ shape: 'metasploit-h323-version', seed: 1 }));
const VARIANTS: ReadonlyArray<readonly [string, Uint8Array]> = [
  ['intact', metasploit],
  ['UUIE tail zeroed', mutateSetup(metasploit, { kind: 'zeroed-uuie-tail', bytes: 40 })],
  // The Setup-UUIE's conferenceGoal becomes alternative 3, which does not exist.
  ['a bit flipped', mutateSetup(metasploit, { kind: 'uuie-bit-flip', at: 2, bit: 3 })],
  // The Display IE (the 2nd) says 255 bytes: it runs over the User-User IE.
  ['an IE length that lies', mutateSetup(metasploit, { kind: 'lying-ie-length', ie: 1, length: 0xff })],
  ['trailing garbage', Buffer.concat([metasploit, Buffer.from('GET / HTTP/1.0\r\n\r\n')])],
];

const demo = loadConfigFile(fileURLToPath(new URL('../../../examples/demo/ghostguard.yaml', import.meta.url)));
const CONFIGS: ReadonlyArray<readonly [string, ConfigInput]> = [
  ['the default config', { log: { level: 'silent' }, dataDir: null }],
  ['the demo config', { ...demo, log: { level: 'silent' }, dataDir: null }],
];

describe('the five Metasploit SETUP variants of issue 13 through the gate', () => {
  for (const [configName, config] of CONFIGS) {
    it(`none reaches the room under ${configName}; the recorded legitimate call does`, async () => {
      const t = await startGate(config);
      // One source each, so that no variant is refused only for the ban an earlier one earned.
      for (const [i, [name, bytes]] of VARIANTS.entries()) {
        const caller = await t.call(bytes, { localAddress: `127.0.13.${i + 1}` });
        await waitUntil(() => t.log.find('h323-call').length === i + 1, 2_000, `the verdict on ${name}`);
        const line = t.log.find('h323-call')[i]!;
        expect(line.action, name).not.toBe('allow');
        expect(line.score as number, name).toBeGreaterThanOrEqual(80);
        if (name !== 'intact') {
          expect(line.rules, name).toContain('input.undecodable');
          expect((line.anomalies as string[]).length, name).toBeGreaterThan(0);
        }
        // Metasploit's fixed call reference still counts when the UUIE does not decode.
        expect(line.rules, name).toContain('fp.h323.msf-call-reference');
        expect(line.callReference, name).toBe(0x733f);
        caller.socket.destroy();
      }
      const [, zeroed, flipped, lying, trailing] = t.log.find('h323-call');
      for (const line of [zeroed, flipped]) expect(line!.rules).toContain('fp.h323.msf-version-setup');
      expect(lying!.anomalies).toContain('SETUP without an H.225.0 User-User IE');
      expect((trailing!.anomalies as string[]).at(-1)).toMatch(
        /^18 bytes after the SETUP are not TPKT: TPKT version 71/,
      );
      expect(t.gate.stats()).toMatchObject({ malformed: 4, unreadableSetups: 0, allowed: 0, notSetup: 0 });

      const legit = recordedOoh323Call();
      await t.call(legit.setup, { localAddress: '127.0.13.99' });
      await waitUntil(() => t.room.frameCount() === 1, 2_000, 'the legitimate call at the room');
      expect(t.room.calls).toHaveLength(1);
      expect(t.room.calls[0]!.bytes().equals(Buffer.from(legit.setup))).toBe(true);
      expect(t.log.find('h323-call').at(-1)).toMatchObject({ action: 'allow', score: 0 });
      expect(t.log.find('h323-call').at(-1)).not.toHaveProperty('anomalies');
    });
  }

  it('in monitor mode relays the broken ones too, byte-exact, and logs what it would have done', async () => {
    const t = await startGate({ log: { level: 'silent' }, dataDir: null, mode: 'monitor' });
    const [, bytes] = VARIANTS[4]!; // trailing garbage
    await t.call(bytes, { localAddress: '127.0.13.50' });
    // The stand-in room frames what it receives, and garbage after a frame is not a frame: wait for the bytes.
    await waitUntil(() => t.room.calls[0]?.bytes().length === bytes.length);
    expect(t.room.calls[0]!.bytes().equals(Buffer.from(bytes))).toBe(true);
    expect(t.log.find('h323-call')[0]).toMatchObject({ action: 'allow', intended: 'drop', monitor: true });
    expect(String(t.log.find('h323-call')[0]!.msg)).toContain('SETUP partly undecodable');
  });
});
