/**
 * Monitor mode changes nothing a caller sees (issue 17, defect 2, for Asterisk): every recorded call, scanner or
 * legitimate, continues in the dialplan as it does with no guard at all (no ghostguard connected: the check routine
 * times out and follows the example's fail-open policy). Enforce mode is the control that the script can fail.
 */
import { join } from 'node:path';
import { type AmiPeer, type CallOutcome, type ChannelTech, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it } from 'vitest';
import { demoConfig, invitesAsCalls, type Rig, ROOT, rig } from './support.js';

const SCRIPT: Array<[string, ChannelTech]> = [
  ['recorded/kamailio-svwar-invite.sip.txt', 'SIP'],
  ['recorded/kamailio-svmap-invite.sip.txt', 'PJSIP'],
  ['recorded/baresip-room-svmap-invite.sip.txt', 'PJSIP'],
  ['ghost/domain-uri-extension-1000.sip.txt', 'PJSIP'],
  ['legit/room-calls.sip.txt', 'PJSIP'],
  ['legit/bridge-30-rooms.sip.txt', 'PJSIP'],
  ['recorded/baresip-legit-register-call.sip.txt', 'PJSIP'],
];

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

async function runScript(mode: 'none' | 'monitor' | 'enforce'): Promise<CallOutcome[]> {
  // With no guard the check waits its whole timeout: keep it short (the fail policy is the example's: open).
  peer = await startAmiPeer({ checkTimeoutMs: mode === 'none' ? 20 : 5_000, tarpitHoldMs: 50 });
  if (mode !== 'none') {
    r = rig(peer, { ...demoConfig(), mode });
    await r.attachment.ready;
  }
  const out: CallOutcome[] = [];
  for (const [file, tech] of SCRIPT) {
    for (const call of invitesAsCalls(join(ROOT, 'test/fixtures', file), tech))
      out.push(await peer.placeCall(call).outcome);
  }
  await r?.attachment.close();
  r?.guard.close();
  await peer.close();
  r = undefined;
  peer = undefined;
  return out;
}

describe('Asterisk in monitor mode', () => {
  it('lets every recorded scanner, ghost and legitimate call continue as with no guard, and enforce mode does not', async () => {
    const none = await runScript('none');
    const monitor = await runScript('monitor');
    expect(monitor.length).toBeGreaterThan(140);
    expect(none.map((o) => o.kind)).toEqual(monitor.map((o) => o.kind));
    expect(monitor.filter((o) => o.kind !== 'allowed')).toEqual([]);
    const enforce = await runScript('enforce');
    expect(enforce.filter((o) => o.kind !== 'allowed').length).toBeGreaterThan(100);
  });
});
