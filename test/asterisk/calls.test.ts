import { join } from 'node:path';
import { waitUntil } from '@ghostguard/asterisk/testing';
import { type AmiPeer, type CallOutcome, type ScriptedCall, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it } from 'vitest';
import { demoConfig, invitesAsCalls, type Rig, ROOT, rig } from './support.js';

const RECORDED = join(ROOT, 'test/fixtures/recorded');
const LEGIT = join(ROOT, 'test/fixtures/legit');

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

async function setup(config = demoConfig(), peerOpts = {}) {
  peer = await startAmiPeer({ checkTimeoutMs: 5_000, tarpitHoldMs: 100, ...peerOpts });
  r = rig(peer, config);
  await r.attachment.ready;
  return { peer, r };
}

/** Places the calls one after another; resolves with each outcome. */
async function run(p: AmiPeer, calls: readonly ScriptedCall[]): Promise<CallOutcome[]> {
  const out: CallOutcome[] = [];
  for (const c of calls) out.push(await p.placeCall(c).outcome);
  return out;
}

describe('Asterisk adapter: a verdict per call, from recorded traffic', () => {
  it('lets every legitimate room call through on PJSIP (Setvar GHOSTGUARD_VERDICT=allow)', async () => {
    const { peer, r } = await setup();
    const calls = [
      ...invitesAsCalls(join(LEGIT, 'room-calls.sip.txt'), 'PJSIP'),
      ...invitesAsCalls(join(LEGIT, 'bridge-30-rooms.sip.txt'), 'PJSIP'),
      ...invitesAsCalls(join(RECORDED, 'baresip-legit-register-call.sip.txt'), 'PJSIP'),
    ];
    expect(calls.length).toBe(6 + 30 + 1);
    const outcomes = await run(peer, calls);
    expect(outcomes.filter((o) => !(o.kind === 'allowed' && o.by === 'verdict'))).toEqual([]);
    const setvars = peer.received.filter((a) => a.message.get('Action') === 'Setvar');
    expect(setvars.length).toBe(calls.length);
    expect(setvars[0]!.message.get('Variable')).toBe('GHOSTGUARD_VERDICT');
    expect(r.attachment.stats().allowed).toBe(calls.length);
  });

  it('refuses every recorded SIPVicious INVITE on chan_sip (svwar, svmap) and lets none continue', async () => {
    const { peer, r } = await setup();
    const calls = [
      ...invitesAsCalls(join(RECORDED, 'kamailio-svwar-invite.sip.txt'), 'SIP'),
      ...invitesAsCalls(join(RECORDED, 'kamailio-svmap-invite.sip.txt'), 'SIP'),
      ...invitesAsCalls(join(RECORDED, 'baresip-room-svmap-invite.sip.txt'), 'SIP'),
    ];
    expect(calls.length).toBe(101 + 1 + 1);
    const outcomes = await run(peer, calls);
    expect(outcomes.filter((o) => o.kind === 'allowed')).toEqual([]);
    // The demo policy tarpits scanner INVITEs; the sources are banned on their first call.
    expect(outcomes[0]).toMatchObject({ kind: 'redirected', context: 'ghostguard-tarpit', exten: 's', priority: 1 });
    expect(r.guard.bans.get('127.0.0.2')).toBeDefined();
    // chan_sip names the svmap call's channel after its From host, as recorded
    expect(peer.received.some((a) => a.message.get('Channel')?.startsWith('SIP/1.1.1.1-'))).toBe(true);
  });

  it('judges the same scanner on PJSIP from CHANNEL(pjsip,remote_addr) and the INVITE headers', async () => {
    const { peer, r } = await setup(
      demoConfig({
        policy: {
          tiers: [
            { minScore: 80, action: 'drop' },
            { minScore: 50, action: 'reject' },
          ],
        },
      }),
    );
    const [first] = invitesAsCalls(join(RECORDED, 'kamailio-svwar-invite.sip.txt'), 'PJSIP');
    const outcome = await peer.placeCall(first!).outcome;
    // drop on PJSIP: Hangup cause 1 (404, the answer a missing extension gets)
    expect(outcome).toMatchObject({ kind: 'hungup', cause: 1, by: 'action' });
    const line = r.logs.events('asterisk-call')[0]!;
    expect(line).toMatchObject({ action: 'drop', tech: 'PJSIP', source: '127.0.0.2' });
    expect(line.rules).toEqual(expect.arrayContaining(['fp.ua.friendly-scanner']));
  });

  it('rejects with cause 21 (SIP 403) and keeps the tarpit bounded: beyond the cap a call is dropped', async () => {
    const { peer, r } = await setup(
      demoConfig({
        tarpit: { maxConcurrent: 1 },
        bans: { banScore: 1_000_000 },
        policy: {
          tiers: [
            { minScore: 80, action: 'tarpit' },
            { minScore: 1, action: 'reject' },
          ],
        },
      }),
      { tarpitHoldMs: 60_000 },
    );
    const base: ScriptedCall = {
      tech: 'PJSIP',
      source: { ip: '203.0.113.7', port: 5060 },
      exten: '100',
      userAgent: 'friendly-scanner',
      via: 'SIP/2.0/UDP 203.0.113.7:5060;branch=z9hG4bK-1234;rport',
      from: '"sipvicious"<sip:100@1.1.1.1>;tag=6331323334',
      to: '"sipvicious"<sip:100@1.1.1.1>',
      requestUri: 'sip:100@198.51.100.1',
    };
    const held = await peer.placeCall(base).outcome;
    expect(held).toMatchObject({ kind: 'redirected' });
    expect(r.guard.tarpits.inUse).toBe(1);
    const second = await peer.placeCall({ ...base, source: { ip: '203.0.113.8', port: 5060 } }).outcome;
    expect(second).toMatchObject({ kind: 'hungup', cause: 1 });
    expect(r.attachment.stats().tarpitNoSlot).toBe(1);
    expect(r.logs.events('asterisk-call')[1]).toMatchObject({ action: 'drop' });
    // A weaker signal gets a reject: cause 21.
    const weak = await peer.placeCall({
      tech: 'PJSIP',
      source: { ip: '198.51.100.99', port: 5060 },
      exten: 'room-boardroom',
      userAgent: 'Z 5.5',
      via: 'SIP/2.0/UDP 198.51.100.99:5060;branch=z9hG4bKabc',
      from: '<sip:alice@partner.example.net>;tag=1',
      to: '<sip:room-boardroom@198.51.100.1>',
      requestUri: 'sip:room-boardroom@198.51.100.1',
    }).outcome;
    expect(weak).toMatchObject({ kind: 'hungup', cause: 21 });
  });

  it('releases the tarpit slot when the tarpitted channel hangs up', async () => {
    const { peer, r } = await setup(undefined, { tarpitHoldMs: 50 });
    const [first] = invitesAsCalls(join(RECORDED, 'kamailio-svwar-invite.sip.txt'), 'PJSIP');
    const call = peer.placeCall(first!);
    expect(await call.outcome).toMatchObject({ kind: 'redirected', context: 'ghostguard-tarpit' });
    expect(await call.ended).toBe(19);
    await waitUntil(() => r.guard.tarpits.inUse === 0, 5_000, 'the slot to be released');
    expect(r.attachment.stats().tarpitsHeld).toBe(0);
  });

  it('judges chan_ooh323 calls by the connection address in the channel name; a configured (named) caller follows the fail mode', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    r = rig(peer, demoConfig(), { failMode: 'open' });
    await r.attachment.ready;
    // The recorded call: configured caller "callerb" (OOH323/callerb-0), CALLER_H323ID, CALLER_H323DIALEDDIGITS.
    const recorded: ScriptedCall = {
      tech: 'OOH323',
      source: { ip: '127.0.0.2' },
      h323Name: 'callerb',
      exten: '5551234',
      callerNum: '2000',
      callerName: 'caller-b',
      h323Id: 'RealpeersCallerB',
      h323Digits: '2000',
    };
    const call = peer.placeCall(recorded);
    expect(call.channel).toBe('OOH323/callerb-0');
    // chan_ooh323 matched the name from any address: not judged as any address (fail-open here).
    expect(await call.outcome).toMatchObject({ kind: 'allowed', by: 'verdict' });
    expect(r.logs.events('asterisk-check-unjudgeable')[0]).toMatchObject({ channel: 'OOH323/callerb-0' });
    // OOH323/<ip>-<n>: chan_ooh323's call->remoteIP, the TCP connection's address.
    const unconfigured = peer.placeCall({ ...recorded, h323Name: undefined, source: { ip: '192.0.2.44' } });
    expect(unconfigured.channel).toBe('OOH323/192.0.2.44-1');
    expect(await unconfigured.outcome).toMatchObject({ kind: 'allowed', by: 'verdict' });
    // A toll-fraud dial from an unconfigured H.323 caller is refused.
    const fraud = await peer.placeCall({
      ...recorded,
      h323Name: undefined,
      source: { ip: '192.0.2.45' },
      exten: '011972599123456',
    }).outcome;
    expect(fraud.kind).not.toBe('allowed');
    const lines = r.logs.events('asterisk-call');
    expect(lines.map((l) => l.source)).toEqual([undefined, '192.0.2.44', '192.0.2.45']);
  });

  it('a configured chan_ooh323 caller without an address follows the adapter fail mode, logged', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    r = rig(peer, demoConfig(), { failMode: 'closed' });
    await r.attachment.ready;
    const outcome = await peer.placeCall({
      tech: 'OOH323',
      source: { ip: '127.0.0.2' },
      h323Name: 'callerb',
      exten: '5551234',
    }).outcome;
    // fail-closed with the guard's failClosedAction (drop): Hangup cause 1
    expect(outcome).toMatchObject({ kind: 'hungup', cause: 1 });
    expect(r.logs.events('asterisk-check-unjudgeable')[0]).toMatchObject({ failMode: 'closed', action: 'drop' });
  });

  it('the peer runs the wait as the dialplan does: an allow is seen at the next look (the former 50 ms loop here)', async () => {
    // Before issue 15 the routine looked every 50 ms (While/Wait(0.05)): a real Asterisk added 52.5 ms per call.
    peer = await startAmiPeer({ checkTimeoutMs: 5_000, verdictPollMs: 50 });
    r = rig(peer, demoConfig());
    await r.attachment.ready;
    const [first] = invitesAsCalls(join(LEGIT, 'room-calls.sip.txt'), 'PJSIP');
    const checked = await peer.placeCall(first!).outcome;
    expect(checked).toMatchObject({ kind: 'allowed', by: 'verdict' });
    expect(checked.setupMs!).toBeGreaterThanOrEqual(50);
    expect(checked.setupMs!).toBeGreaterThanOrEqual(checked.roundTripMs!);
    // A context without the Gosub raises no check.
    const plain = await peer.placeCall({ ...first!, noCheck: true }).outcome;
    expect(plain).toMatchObject({ kind: 'allowed', by: 'no-check' });
    expect(r.attachment.stats().checks).toBe(1);
  });

  it('monitor mode lets scanners through and logs what it would have done', async () => {
    const { peer, r } = await setup(demoConfig({ mode: 'monitor' }));
    const [first] = invitesAsCalls(join(RECORDED, 'kamailio-svwar-invite.sip.txt'), 'PJSIP');
    expect(await peer.placeCall(first!).outcome).toMatchObject({ kind: 'allowed', by: 'verdict' });
    expect(r.logs.events('asterisk-call')[0]).toMatchObject({ action: 'allow', intended: 'tarpit', monitor: true });
  });

  it('a channel that hung up before the verdict is normal: counted, not an error', async () => {
    const { peer, r } = await setup();
    const [first] = invitesAsCalls(join(LEGIT, 'room-calls.sip.txt'), 'PJSIP');
    const call = peer.placeCall(first!);
    call.hangup();
    await waitUntil(() => r.attachment.stats().channelGone === 1, 5_000, 'the No such channel answer');
    expect(r.attachment.stats().errors).toBe(0);
    expect(r.logs.events('asterisk-action-failed')).toEqual([]);
  });
});
