/**
 * chan_ooh323 attributes a call to a configured `[user]` by the caller's Display name, from any address
 * (chan_ooh323.c find_user; recorded in ../shared/fixtures/asterisk-20.20.1-live/ami-h323-display-callerb-session.
 * follow.txt and chan_ooh323-h323_log-port1720.txt): the adapter must never judge (and ban) such a call as the
 * address a name suggests. With the H.323 gate in front (same guard) it takes the gate's verdict, which was
 * given with the caller's real address.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsteriskSectionSchema } from '@ghostguard/asterisk';
import { waitUntil } from '@ghostguard/asterisk/testing';
import { DaemonSectionSchema } from '@ghostguard/cli';
import { type Guard, loadConfigFile, parseAdapterSection } from '@ghostguard/core';
import { encodeSetup } from '@ghostguard/core/h323';
import { attachH323Gate, type H323GateAttachment, H323GateSectionSchema } from '@ghostguard/h323-gate';
import { type AmiPeer, recordedServerStream, type ScriptedCall, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { type Caller, dial, type StandInRoom, startStandInRoom } from '@ghostguard/stand-ins/h323';
import { afterEach, describe, expect, it } from 'vitest';
import { demoConfig, type Rig, ROOT, readAsteriskConf, rig, SHARED } from './support.js';

const LIVE = join(SHARED, 'asterisk-20.20.1-live');
const GATE_EXAMPLE = join(ROOT, 'examples/asterisk/h323-gate');

function readConf(text: string): Record<string, Record<string, string>> {
  return Object.fromEntries(readAsteriskConf(text).map((x) => [x.name, x.values]));
}

let peer: AmiPeer | undefined;
let r: Rig | undefined;
let gate: H323GateAttachment | undefined;
let upstream: StandInRoom | undefined;
const callers: Caller[] = [];
afterEach(async () => {
  for (const c of callers.splice(0)) c.socket.destroy();
  await r?.attachment.close();
  await gate?.close();
  await upstream?.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
  gate = undefined;
  upstream = undefined;
});

/** The recorded configured caller: ooh323.conf `[callerb]`, its SETUP's aliases (h323_log, UserEvent). */
const CALLERB = { display: 'callerb', h323Id: 'RealpeersCallerB', number: '2000' };
const TOLL_FRAUD = '011972599123456';

function setupFrom(callReference: number, called: string, display = CALLERB.display): Uint8Array {
  return encodeSetup({
    callReference,
    display,
    callingNumber: CALLERB.number,
    calledNumber: called,
    sourceAliases: [
      { type: 'h323-ID', value: CALLERB.h323Id },
      { type: 'dialedDigits', value: CALLERB.number },
    ],
    destinationAliases: [{ type: 'dialedDigits', value: called }],
  });
}

const bannedIps = (g: Guard) => g.bans.list().map((b) => b.ip);

describe('chan_ooh323 calls attributed by name', () => {
  it('the recorded spoofed-Display session (OOH323/callerb-N, Source empty) bans nobody, h323Peers or not', async () => {
    peer = await startAmiPeer();
    // What an operator had configured: the partner's address for the name (now ignored, with a warning).
    r = rig(peer, demoConfig(), { h323Peers: { callerb: '192.0.2.50' }, failMode: 'closed' });
    await r.attachment.ready;
    expect(r.logs.events('asterisk-h323-peers-ignored')).toHaveLength(1);
    const checks = recordedServerStream(join(LIVE, 'ami-h323-display-callerb-session.follow.txt'), 5138).filter(
      (b) => b.startsWith('Event: UserEvent') && b.includes('UserEvent: GhostguardCheck'),
    );
    expect(checks.length).toBeGreaterThanOrEqual(10);
    expect(checks.every((b) => /Channel: OOH323\/callerb-\d+\r\n/.test(b) && b.includes('Source: \r\n'))).toBe(true);
    // Ten of them dial abroad (toll fraud): the run that banned the partner's 192.0.2.50 (ghostguard-h323-display-callerb.log).
    expect(checks.filter((b) => !b.includes('Dialed: 5551234\r\n')).length).toBeGreaterThanOrEqual(10);
    for (const block of checks) peer.sendRaw(block);
    await waitUntil(() => r!.attachment.stats().checks === checks.length, 10_000, 'every check');
    // Every one follows the fail mode; none is judged as 192.0.2.50, and no ban lands anywhere.
    expect(r.attachment.stats().unjudgeable).toBe(checks.length);
    expect(r.attachment.stats().judged).toBe(0);
    expect(bannedIps(r.guard)).toEqual([]);
    expect(r.guard.bans.get('192.0.2.50')).toBeUndefined();
    expect(r.logs.events('asterisk-check-unjudgeable')[0]).toMatchObject({ failMode: 'closed', action: 'drop' });
  });

  it('examples/asterisk/h323-gate pastes: chan_ooh323 on loopback behind the gate, the gate its only [user]', () => {
    const file = join(GATE_EXAMPLE, 'ghostguard.yaml');
    const config = loadConfigFile(file);
    const gateSection = parseAdapterSection(H323GateSectionSchema, config, 'h323Gate', file);
    const asterisk = parseAdapterSection(AsteriskSectionSchema, config, 'asterisk', file);
    DaemonSectionSchema.parse((config as { daemon?: unknown }).daemon ?? {});
    const conf = readConf(readFileSync(join(GATE_EXAMPLE, 'ooh323.conf'), 'utf8'));
    expect(Object.keys(conf)).toEqual(['general', 'ghostguard-gate']);
    expect(conf.general).toMatchObject({ bindaddr: '127.0.0.1', gatekeeper: 'DISABLE', context: 'from-h323' });
    // The gate relays to chan_ooh323, from the address its [user] names; the adapter knows that user.
    expect(gateSection.upstreams.default).toEqual({ host: conf.general!.bindaddr, port: Number(conf.general!.port) });
    expect(conf['ghostguard-gate']).toMatchObject({ type: 'user', ip: '127.0.0.1', context: 'from-h323' });
    expect(asterisk.h323Gate.callers).toEqual(['ghostguard-gate']);
    expect(gateSection.listen.port).toBe(1720);
    // The dialplan context chan_ooh323 uses runs the check (examples/asterisk/extensions.conf).
    const dialplan = readFileSync(join(ROOT, 'examples/asterisk/extensions.conf'), 'utf8');
    expect(dialplan).toMatch(/\[from-h323\]\n(?:;.*\n)*exten => [^\n]*Gosub\(ghostguard-check,s,1/);
  });

  it('behind the H.323 gate (the example): the partner’s call takes the gate’s verdict; spoofed toll fraud is refused and banned at its real source', async () => {
    const file = join(GATE_EXAMPLE, 'ghostguard.yaml');
    const example = loadConfigFile(file);
    const {
      listen: _listen,
      upstreams: _up,
      ...gateOptions
    } = parseAdapterSection(H323GateSectionSchema, example, 'h323Gate', file);
    const asterisk = parseAdapterSection(AsteriskSectionSchema, example, 'asterisk', file);
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    // chan_ooh323 behind the gate: it accepts what the gate relays (site values: loopback, free ports).
    upstream = await startStandInRoom();
    r = rig(peer, demoConfig(), { h323Gate: asterisk.h323Gate, failMode: asterisk.failMode! });
    gate = attachH323Gate(
      r.guard,
      { host: '127.0.0.1', port: 0 },
      { ...gateOptions, upstreams: { default: { host: '127.0.0.1', port: upstream.port } } },
    );
    await Promise.all([r.attachment.ready, gate.ready]);
    const at = gate.address()!;

    // The partner calls the room from its own address through the gate: relayed.
    const partner = await dial({
      host: at.address,
      port: at.port,
      localAddress: '127.0.0.2',
      send: setupFrom(1, '5551234'),
    });
    callers.push(partner);
    await waitUntil(() => upstream!.calls.length === 1, 5_000, 'the relayed SETUP');
    // chan_ooh323 raises the check for the relayed call, on the gate's user (ooh323.conf [ghostguard-gate]).
    const relayed: ScriptedCall = {
      tech: 'OOH323',
      source: { ip: '127.0.0.1' },
      h323Name: 'ghostguard-gate',
      exten: '5551234',
      callerNum: CALLERB.number,
      callerName: CALLERB.display,
      h323Id: CALLERB.h323Id,
      h323Digits: CALLERB.number,
    };
    expect(await peer.placeCall(relayed).outcome).toMatchObject({ kind: 'allowed', by: 'verdict' });
    expect(r.logs.events('asterisk-call')[0]).toMatchObject({ judgedBy: 'h323-gate', source: '127.0.0.2' });
    expect(r.attachment.stats()).toMatchObject({ fromGate: 1, judged: 0 });

    // Ten toll-fraud SETUPs with the partner's Display name from a scanner: the gate sees 127.0.0.66.
    for (let i = 0; i < 10; i++) {
      const c = await dial({
        host: at.address,
        port: at.port,
        localAddress: '127.0.0.66',
        send: setupFrom(100 + i, TOLL_FRAUD),
      }).catch(() => undefined);
      if (c) callers.push(c);
    }
    await waitUntil(() => gate!.stats().judged >= 3, 10_000, 'the gate’s verdicts');
    await waitUntil(() => r!.guard.bans.get('127.0.0.66') !== undefined, 10_000, 'the scanner’s ban');
    expect(upstream.calls).toHaveLength(1);
    // A check on the gate's channel that no gate verdict matches is not judged as the gate's address.
    const stray = await peer.placeCall({ ...relayed, exten: TOLL_FRAUD }).outcome;
    expect(stray).toMatchObject({ kind: 'hungup' });
    expect(r.logs.events('asterisk-check-unjudgeable').at(-1)).toMatchObject({ failMode: 'closed' });
    expect(bannedIps(r.guard)).toEqual(['127.0.0.66']);
  });
});
