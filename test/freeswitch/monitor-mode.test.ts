/**
 * Monitor mode changes nothing a caller sees (issue 17, defect 2, for FreeSWITCH): every recorded call, scanner or
 * legitimate, goes on in the dialplan exactly as it would with no guard at all (the example's fail-open: the call
 * continues towards the room), with no answer, ring or hangup from the adapter. Enforce mode is the control that
 * the same script can fail.
 */
import type { Guard } from '@ghostguard/core';
import type { FreeswitchAttachment } from '@ghostguard/freeswitch';
import { type CallResult, placeCall } from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { attachOutbound, capturingGuard, fixtureInvites, ROOMS_CONFIG } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
afterEach(async () => {
  await fs?.close();
  guard?.close();
  fs = undefined;
  guard = undefined;
});

const SCRIPT = [
  'recorded/kamailio-svwar-invite.sip.txt',
  'recorded/kamailio-svmap-invite.sip.txt',
  'recorded/baresip-room-svmap-invite.sip.txt',
  'ghost/domain-uri-extension-1000.sip.txt',
  'ghost/spoofed-target-identity.sip.txt',
  'legit/room-calls.sip.txt',
  'legit/bridge-30-rooms.sip.txt',
  'recorded/baresip-legit-register-call.sip.txt',
];

async function runScript(mode: 'monitor' | 'enforce'): Promise<CallResult[]> {
  const c = capturingGuard({ ...ROOMS_CONFIG, mode }, 'warn');
  guard = c.guard;
  fs = await attachOutbound(guard);
  const port = fs.outbound!.port;
  const results: CallResult[] = [];
  for (const file of SCRIPT) for (const { call } of fixtureInvites(file)) results.push(await placeCall({ port, call }));
  await fs.close();
  guard.close();
  fs = undefined;
  guard = undefined;
  return results;
}

/** What the caller sees of a call: whether it went on, and any answer, ring or hangup on the way. */
const seen = (r: CallResult) => ({
  reached: r.reached,
  sipStatus: r.sipStatus,
  ringing: r.ringing,
  hangup: r.hangupCause,
});

describe('FreeSWITCH in monitor mode', () => {
  it('lets every recorded scanner, ghost and legitimate call go on as with no guard, and enforce mode does not', async () => {
    const monitor = await runScript('monitor');
    expect(monitor.length).toBeGreaterThan(140);
    const unguarded = { reached: true, sipStatus: undefined, ringing: false, hangup: undefined };
    expect(monitor.map(seen).filter((s) => JSON.stringify(s) !== JSON.stringify(unguarded))).toEqual([]);
    const enforce = await runScript('enforce');
    expect(enforce.filter((r) => !r.reached).length).toBeGreaterThan(100);
  });
});
