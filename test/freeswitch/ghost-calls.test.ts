import { resolve } from 'node:path';
import { type CallAttempt, createGuard, type GhostguardConfig, type Verdict } from '@ghostguard/core';
import type { FreeswitchAttachment } from '@ghostguard/freeswitch';
import { type CallResult, placeCall, type SipCallInfo } from '@ghostguard/stand-ins/esl';
import { describe, type ExpectStatic, it } from 'vitest';
import { GHOST_VARIANTS, ghostSiteConfig } from '../ghost-fixtures.js';
import { attachOutbound, fixtureInvites } from './support.js';

const _ROOT = resolve(import.meta.dirname, '../..');
/** examples/freeswitch/dialplan: `sched_transfer +3 … ghostguard-fallback`, and the default fail-open. */
const DIALPLAN = { decisionTimeoutMs: 3_000, failPolicy: 'open' } as const;
/**
 * The adapter's tarpit hold (ring_ready, sleep, hangup; default the guard's tarpit.holdFor, 30 s) shortened: it
 * changes how long a refused call rings, not what the guard decides, and keeps the paced replay short.
 */
const TARPIT_HOLD_MS = 300;

interface Rig {
  fs: FreeswitchAttachment;
  port: number;
  verdicts: Map<string, { attempt: CallAttempt; verdict: Verdict }>;
  close(): Promise<void>;
}

async function rig(config: GhostguardConfig): Promise<Rig> {
  const guard = createGuard(config);
  const verdicts: Rig['verdicts'] = new Map();
  guard.on('verdict', (attempt, verdict) => {
    if (attempt.callId !== undefined) verdicts.set(attempt.callId, { attempt, verdict });
  });
  let fs: FreeswitchAttachment;
  try {
    fs = await attachOutbound(guard, { tarpit: { maxHold: TARPIT_HOLD_MS } });
  } catch (err) {
    guard.close();
    throw err;
  }
  return {
    fs,
    port: fs.outbound!.port,
    verdicts,
    close: async () => {
      await fs.close();
      guard.close();
    },
  };
}

const sleep = (ms: number) => new Promise<void>((ok) => setTimeout(ok, ms));

/**
 * Places each call at its recorded time (`paced`) or one after another, without waiting for the previous one to
 * leave the socket (a tarpitted call still rings when the next INVITE comes); resolves with every result.
 */
async function placeAll(
  r: Rig,
  invites: ReadonlyArray<{ t: number; call: SipCallInfo }>,
  paced: boolean,
): Promise<CallResult[]> {
  const start = performance.now();
  const t0 = invites[0]?.t ?? 0;
  const results: Array<Promise<CallResult>> = [];
  for (const { t, call } of invites) {
    if (paced) {
      const wait = start + (t - t0) * 1000 - performance.now();
      if (wait > 0) await sleep(wait);
      results.push(placeCall({ port: r.port, call, dialplan: DIALPLAN }));
    } else {
      results.push(Promise.resolve(await placeCall({ port: r.port, call, dialplan: DIALPLAN })));
    }
  }
  return Promise.all(results);
}

describe('ghost calls through the FreeSWITCH outbound socket (ESL stand-in, example dialplan)', () => {
  for (const file of GHOST_VARIANTS) {
    it.concurrent(`${file}: goes on in the dialplan at most once in ten with the site config`, async ({ expect }) => {
      const invites = fixtureInvites(`ghost/${file}`);
      expect(invites).toHaveLength(10);
      const r = await rig(ghostSiteConfig());
      try {
        const results = await placeAll(r, invites, true);
        const callIds = invites.map((i) => i.call.callId);
        const verdicts = callIds.map((c) => r.verdicts.get(c));
        const reached = results.filter((x) => x.reached).length;
        console.log(
          `ghost freeswitch ${file}: reached ${reached} / sent ${results.length} (actions ${verdicts.map((v) => v?.verdict.action ?? 'none').join(' ')}; SIP ${results.map((x) => (x.reached ? 'on' : (x.sipStatus ?? '-'))).join(' ')})`,
        );
        // The measurement.
        expect(
          reached,
          JSON.stringify(verdicts.map((v) => v?.verdict.reasons.map((x) => `${x.rule}:${x.weight}`))),
        ).toBeLessThanOrEqual(1);
        // It measured what it says: every call was judged from the address FreeSWITCH saw, left the socket on
        // the guard's verdict (no deadline, no fail-open), and went on exactly when the guard allowed it.
        expect(verdicts.every((v) => v !== undefined)).toBe(true);
        expect(verdicts.map((v) => v!.attempt.source.ip)).toEqual(invites.map((i) => i.call.source.ip));
        expect(results.map((x) => x.path)).toEqual(Array(10).fill('verdict'));
        expect(results.map((x) => x.reached)).toEqual(verdicts.map((v) => v!.verdict.action === 'allow'));
        expect(results.map((x) => x.variables.ghostguard_verdict)).toEqual(verdicts.map((v) => v!.verdict.action));
        for (const [i, x] of results.entries()) {
          if (verdicts[i]!.verdict.action === 'tarpit')
            expect(x.applications).toEqual(['ring_ready', `sleep ${TARPIT_HOLD_MS}`, 'hangup NO_ANSWER']);
        }
        // Over the offer: variable_switch_r_sdp carries it, and the guard read it (or read that there was none).
        const sdp = !file.startsWith('no-sdp');
        for (const v of verdicts) expect(v!.attempt.media?.offered).toBe(sdp);
        // A repeat offender ends banned (IPv4), or refused on its /64's memory when every call comes from a new
        // IPv6 address (FreeSWITCH reports each call's own address: the rotation is carried).
        expect(verdicts.at(-1)!.verdict.reasons.map((x) => x.rule)).toContain(
          file.startsWith('ipv6') ? 'memory.refused-recently' : 'known-bad.banned',
        );
      } finally {
        await r.close();
      }
    }, 60_000);
  }

  it('control: in monitor mode the same calls all go on (the count above can fail)', async ({ expect }) => {
    const r = await rig(ghostSiteConfig({ mode: 'monitor' }));
    try {
      const invites = fixtureInvites('ghost/ip-uri-extension-1001.sip.txt');
      const results = await placeAll(r, invites, false);
      expect(results.filter((x) => x.reached)).toHaveLength(10);
      const intended = invites.map((i) => r.verdicts.get(i.call.callId)?.verdict.intended);
      expect(intended.filter((a) => a !== 'allow').length).toBeGreaterThanOrEqual(9);
    } finally {
      await r.close();
    }
  });
});

describe('with the same adapter and site config, legitimate room calls go on', () => {
  const expectAllReached = (expect: ExpectStatic, label: string, results: CallResult[], expected: number) => {
    const reached = results.filter((x) => x.reached).length;
    console.log(`legit freeswitch ${label}: reached ${reached} / sent ${results.length}`);
    expect(results).toHaveLength(expected);
    expect(
      results.filter((x) => !(x.reached && x.path === 'verdict' && x.variables.ghostguard_verdict === 'allow')),
    ).toEqual([]);
  };

  it('the room-to-room INVITEs (IPv4 and IPv6, over TCP as recorded) and the bridge dialling 30 rooms', async ({
    expect,
  }) => {
    const r = await rig(ghostSiteConfig());
    try {
      // The room calls one after another (the recording spreads them over minutes), the bridge at its own pace.
      expectAllReached(
        expect,
        'room-calls.sip.txt',
        await placeAll(r, fixtureInvites('legit/room-calls.sip.txt'), false),
        6,
      );
      expectAllReached(
        expect,
        'bridge-30-rooms.sip.txt',
        await placeAll(r, fixtureInvites('legit/bridge-30-rooms.sip.txt'), true),
        30,
      );
      for (const { verdict } of r.verdicts.values()) expect(verdict.score).toBeLessThan(50);
    } finally {
      await r.close();
    }
  }, 60_000);
});
