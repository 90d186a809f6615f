import type { ConfigInput } from '@ghostguard/core';
import { decodeSetupAttempt, encodeSetup, setupShapeSpec } from '@ghostguard/core/h323';
import { describe, expect, it } from 'vitest';
import { onCleanup, startGate } from './test-support/harness.js';
import { decodeReply } from './test-support/replies.js';
import { startStandInRoom, waitUntil } from './testing.js';

/** A room deployment: the guard's own detection, rooms known by number, scanners refused with a reply. */
const ROOMS: ConfigInput = {
  log: { level: 'silent' },
  dataDir: null,
  dialShape: { knownTargets: ['4001', '4002'] },
  policy: { methods: { SETUP: [{ minScore: 50, action: 'reject' }] } },
};

const metasploit = encodeSetup(setupShapeSpec({ shape: 'metasploit-h323-version', seed: 7 }));
const roomCall = encodeSetup(setupShapeSpec({ shape: 'room' }));

function idsOf(frame: Uint8Array) {
  const a = decodeSetupAttempt(frame.subarray(4), { source: { ip: '192.0.2.1' }, time: 0 });
  return { callReference: a.h323.callReference, callIdentifier: a.callId, protocolVersion: a.h323.protocolVersion };
}

describe('scanner and room-system SETUPs through the gate (the guard’s own rules)', () => {
  it('answers a Metasploit h323_version SETUP with the configured ReleaseComplete; the room never hears of it', async () => {
    const t = await startGate(ROOMS, { reject: { reason: 'securityDenied', cause: 21 } });
    const caller = await t.call(metasploit);
    const [reply, ...more] = await caller.waitForFrames(1);
    expect(more).toEqual([]);
    const ids = idsOf(metasploit);
    expect(ids).toMatchObject({ callReference: 0x733f, protocolVersion: 6 });
    expect(decodeReply(reply!)).toEqual({
      messageName: 'ReleaseComplete',
      fromCalledSide: true,
      cause: 21,
      body: 'releaseComplete',
      releaseReason: 'securityDenied',
      ...ids,
    });
    await caller.closed;
    expect(t.room.calls).toHaveLength(0);
    const [line] = t.log.find('h323-call');
    expect(line).toMatchObject({ action: 'reject', source: '127.0.0.1', callReference: 0x733f });
    expect(line!.rules).toContain('fp.h323.msf-version-setup');
  });

  it('relays a room system’s SETUP to the upstream its dialled alias names, and the room’s answer back', async () => {
    const other = await startStandInRoom();
    onCleanup(() => other.close());
    const answer = Buffer.from('0300000808028001', 'hex'); // any bytes: the gate relays, it does not judge answers
    const t = await startGate(
      ROOMS,
      (room) => ({
        upstreams: {
          byAlias: { '4001': { host: room.host, port: room.port }, '4002': { host: other.host, port: other.port } },
        },
      }),
      { answer: () => answer },
    );
    const caller = await t.call(roomCall);
    await waitUntil(() => caller.received().length >= answer.length);
    expect(caller.received().equals(answer)).toBe(true);
    expect(t.room.calls[0]!.bytes().equals(Buffer.from(roomCall))).toBe(true);
    expect(other.calls).toHaveLength(0);
    expect(t.log.find('h323-call')[0]).toMatchObject({ action: 'allow', alias: '4001', target: '4001' });
  });

  it('relays the IPv6 room shape over ::1', async () => {
    const room6 = await startStandInRoom({ host: '::1' });
    onCleanup(() => room6.close());
    const setup = encodeSetup(setupShapeSpec({ shape: 'ipv6' }));
    const t = await startGate(ROOMS, {
      listen: { host: '::1', port: 0 },
      upstreams: { byAlias: { '4001': { host: '::1', port: room6.port } } },
    });
    await t.call(setup);
    await waitUntil(() => room6.frameCount() === 1);
    expect(room6.calls[0]!.bytes().equals(Buffer.from(setup))).toBe(true);
  });

  it('in monitor mode relays the Metasploit SETUP to the room and logs the refusal it would have made', async () => {
    const t = await startGate({ ...ROOMS, mode: 'monitor' }, (room) => ({
      upstreams: { default: { host: room.host, port: room.port } },
    }));
    const caller = await t.call(metasploit);
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.room.calls[0]!.bytes().equals(Buffer.from(metasploit))).toBe(true);
    expect(caller.frames).toEqual([]);
    const [line] = t.log.find('h323-call');
    expect(line).toMatchObject({ action: 'allow', intended: 'reject', monitor: true });
    expect(String(line!.msg)).toContain('monitor mode: would reject');
  });

  it('refuses toll-fraud digits and passes a room call from the same gate', async () => {
    const t = await startGate(ROOMS);
    const fraud = await t.call(encodeSetup(setupShapeSpec({ shape: 'toll-fraud' })), { localAddress: '127.0.0.5' });
    await fraud.waitForFrames(1);
    expect(decodeReply(fraud.frames[0]!)).toMatchObject({ messageName: 'ReleaseComplete', cause: 21 });
    await t.call(roomCall, { localAddress: '127.0.0.6' });
    await waitUntil(() => t.room.frameCount() === 1);
    expect(t.gate.stats()).toMatchObject({ rejected: 1, allowed: 1 });
  });
});
