import { join } from 'node:path';
import type { AsteriskAttachment } from '@ghostguard/asterisk';
import type { CallAttempt, GhostguardConfig, Verdict } from '@ghostguard/core';
import { type AmiPeer, type CallOutcome, type ScriptedCall, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { describe, type ExpectStatic, it } from 'vitest';
import { GHOST_DIR, GHOST_VARIANTS, ghostSiteConfig, requestTimes } from '../ghost-fixtures.js';
import { rig as attachedRig, invitesAsCalls, ROOT } from './support.js';

const LEGIT = join(ROOT, 'test/fixtures/legit');
const RECORDED = join(ROOT, 'test/fixtures/recorded');
interface GhostRig {
  peer: AmiPeer;
  attachment: AsteriskAttachment;
  verdicts: Map<string, { attempt: CallAttempt; verdict: Verdict }>;
  close(): Promise<void>;
}

async function rig(config: GhostguardConfig): Promise<GhostRig> {
  // The tarpit context's ring (GHOSTGUARD_TARPIT_HOLD) is shortened: the outcome is known at the Redirect.
  const peer = await startAmiPeer({ tarpitHoldMs: 100 });
  const { guard, attachment } = attachedRig(peer, config);
  const verdicts: GhostRig['verdicts'] = new Map();
  guard.on('verdict', (attempt, verdict) => {
    if (attempt.callId !== undefined) verdicts.set(attempt.callId, { attempt, verdict });
  });
  const close = async () => {
    await attachment.close();
    guard.close();
    await peer.close();
  };
  try {
    await attachment.ready;
  } catch (err) {
    await close();
    throw err;
  }
  return { peer, attachment, verdicts, close };
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/** Places the calls at `times` (s, recorded) or one after another; resolves with each outcome. */
async function placeAll(
  r: GhostRig,
  calls: readonly ScriptedCall[],
  times?: readonly number[],
): Promise<CallOutcome[]> {
  const start = performance.now();
  const t0 = times?.[0] ?? 0;
  const outcomes: Array<Promise<CallOutcome>> = [];
  for (const [i, call] of calls.entries()) {
    if (times) {
      const wait = start + (times[i]! - t0) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      outcomes.push(r.peer.placeCall(call).outcome);
    } else {
      outcomes.push(Promise.resolve(await r.peer.placeCall(call).outcome));
    }
  }
  return Promise.all(outcomes);
}

const reachedRoom = (o: CallOutcome) => o.kind === 'allowed';

describe('ghost calls through the Asterisk adapter (AMI stand-in, example dialplan, PJSIP anonymous endpoint)', () => {
  for (const file of GHOST_VARIANTS) {
    it.concurrent(`${file}: continues to the room at most once in ten with the site config`, async ({ expect }) => {
      const calls = invitesAsCalls(join(GHOST_DIR, file), 'PJSIP');
      const times = requestTimes(join(GHOST_DIR, file));
      expect(calls).toHaveLength(10);
      expect(times).toHaveLength(10);
      const r = await rig(ghostSiteConfig());
      try {
        const outcomes = await placeAll(r, calls, times);
        const verdicts = calls.map((c) => r.verdicts.get(c.callId!));
        const reached = outcomes.filter(reachedRoom).length;
        console.log(
          `ghost asterisk ${file}: reached ${reached} / sent ${outcomes.length} (actions ${verdicts.map((v) => v?.verdict.action ?? 'none').join(' ')})`,
        );
        // The measurement.
        expect(
          reached,
          JSON.stringify(verdicts.map((v) => v?.verdict.reasons.map((x) => `${x.rule}:${x.weight}`))),
        ).toBeLessThanOrEqual(1);
        // It measured what it says: every call was judged from its own recorded address and port, every outcome
        // is the guard's (no fail-open), and a call continued exactly when the guard allowed it.
        expect(verdicts.every((v) => v !== undefined)).toBe(true);
        expect(verdicts.map((v) => `${v!.attempt.source.ip} ${v!.attempt.source.port}`)).toEqual(
          calls.map((c) => `${c.source.ip} ${c.source.port}`),
        );
        expect(outcomes.filter((o) => o.kind === 'allowed' && o.by !== 'verdict')).toEqual([]);
        expect(outcomes.map(reachedRoom)).toEqual(verdicts.map((v) => v!.verdict.action === 'allow'));
        const setvars = r.peer.received.filter(
          (a) => a.message.get('Action') === 'Setvar' && a.message.get('Variable') === 'GHOSTGUARD_VERDICT',
        );
        expect(setvars.filter((a) => a.message.get('Value') === 'allow')).toHaveLength(reached);
        // What the dialplan shows of the offer: the intersection with the endpoint's allow (PCMU only), or none.
        for (const v of verdicts) {
          expect(v!.attempt.media).toEqual(
            file.startsWith('no-sdp')
              ? { offered: false, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] }
              : { offered: true, kinds: ['audio'], codecs: ['pcmu'], bfcp: false, connectionAddresses: [] },
          );
        }
        // A repeat offender ends banned (IPv4), or refused on its /64's memory when every call comes from a new
        // IPv6 address (a ban is per address).
        expect(verdicts.at(-1)!.verdict.reasons.map((x) => x.rule)).toContain(
          file.startsWith('ipv6') ? 'memory.refused-recently' : 'known-bad.banned',
        );
      } finally {
        await r.close();
      }
    }, 60_000);
  }

  it('control: in monitor mode the same calls all continue (the count above can fail)', async ({ expect }) => {
    const r = await rig(ghostSiteConfig({ mode: 'monitor' }));
    try {
      const calls = invitesAsCalls(join(GHOST_DIR, 'ip-uri-extension-1001.sip.txt'), 'PJSIP');
      const outcomes = await placeAll(r, calls);
      expect(outcomes.filter(reachedRoom)).toHaveLength(10);
      const intended = calls.map((c) => r.verdicts.get(c.callId!)?.verdict.intended);
      expect(intended.filter((a) => a !== 'allow').length).toBeGreaterThanOrEqual(9);
    } finally {
      await r.close();
    }
  });
});

describe('with the same adapter and site config, legitimate room calls continue', () => {
  const expectAllReached = (expect: ExpectStatic, label: string, outcomes: CallOutcome[], expected: number) => {
    console.log(`legit asterisk ${label}: reached ${outcomes.filter(reachedRoom).length} / sent ${outcomes.length}`);
    expect(outcomes).toHaveLength(expected);
    expect(outcomes.filter((o) => !(o.kind === 'allowed' && o.by === 'verdict'))).toEqual([]);
  };

  it('the room-to-room INVITEs, the bridge dialling 30 rooms and the recorded baresip call', async ({ expect }) => {
    const r = await rig(ghostSiteConfig());
    try {
      const bridge = join(LEGIT, 'bridge-30-rooms.sip.txt');
      // The room calls one after another (the recording spreads them over minutes), the bridge at its own pace.
      expectAllReached(
        expect,
        'room-calls.sip.txt',
        await placeAll(r, invitesAsCalls(join(LEGIT, 'room-calls.sip.txt'), 'PJSIP')),
        6,
      );
      expectAllReached(
        expect,
        'bridge-30-rooms.sip.txt',
        await placeAll(r, invitesAsCalls(bridge, 'PJSIP'), requestTimes(bridge)),
        30,
      );
      expectAllReached(
        expect,
        'baresip-legit-register-call.sip.txt',
        await placeAll(r, invitesAsCalls(join(RECORDED, 'baresip-legit-register-call.sip.txt'), 'PJSIP')),
        1,
      );
      for (const { verdict } of r.verdicts.values()) expect(verdict.score).toBeLessThan(50);
    } finally {
      await r.close();
    }
  }, 60_000);
});
