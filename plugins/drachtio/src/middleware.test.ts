import type { Guard, Verdict } from '@ghostguard/core';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { attachGuard, type GuardAttachment } from './attach.js';
import type { AttachOptions } from './options.js';
import { withMethods } from './srf-types.js';
import { CLEAN_IP, DENIED_IP, guardThat } from './test-support/guards.js';
import { ROOM_INVITE, SVMAP_INVITE, SVWAR_REGISTER } from './test-support/recorded.js';
import { type DetachedRequest, type DetachedResponse, srfRequestPair, waitUntil } from './testing.js';

type Handler = (req: DetachedRequest, res: DetachedResponse, next: () => void) => void;

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** Attaches to a stand-in srf that only records the layer, and returns a function that runs one request through it. */
function harness(guard: Guard, options?: AttachOptions) {
  let layer: Handler | undefined;
  const routed: string[] = [];
  const attachment: GuardAttachment = attachGuard(
    {
      use: (method: string, h: unknown) => {
        routed.push(method);
        layer = h as Handler;
      },
    },
    guard,
    options,
  );
  cleanups.push(() => {
    attachment.releaseTarpits();
    guard.close();
  });
  const run = (raw: string, ip: string) => {
    const pair = srfRequestPair(raw, { address: ip, port: 5060 });
    let nexts = 0;
    layer!(pair.req, pair.res, () => {
      nexts++;
    });
    return { ...pair, nexts: () => nexts };
  };
  return { attachment, routed, run };
}

describe('attachGuard middleware', () => {
  it('routes each guarded method itself', () => {
    const { routed } = harness(guardThat('reject'));
    expect(routed).toEqual(['invite', 'register', 'options', 'subscribe', 'message']);
  });

  it('allows a clean room call through to the app untouched', () => {
    const { run, attachment } = harness(guardThat('reject'));
    const r = run(ROOM_INVITE.replace('sip:555@127.0.0.1:5080', 'sip:room-a@127.0.0.1:5080'), CLEAN_IP);
    expect(r.nexts()).toBe(1);
    expect(r.sent).toEqual([]);
    expect(attachment.stats()).toMatchObject({ judged: 1, allowed: 1 });
  });

  it('rejects with 403 by default and adds no header that tells the scanner anything', () => {
    const { run } = harness(guardThat('reject'));
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(r.nexts()).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([403]);
    expect(Object.keys(r.sent[0]!.headers).sort()).toEqual(['call-id', 'cseq', 'from', 'to']);
  });

  it('rejects with the configured code', () => {
    const { run } = harness(guardThat('reject'), { reject: { status: 603 } });
    expect(run(SVWAR_REGISTER, DENIED_IP).sent.map((s) => s.status)).toEqual([603]);
  });

  it('drops: no response and no next, and drachtio-srf forgets the INVITE', () => {
    let layer: Handler | undefined;
    const att = attachGuard({ use: (_m: string, fn: unknown) => (layer = fn as Handler) }, guardThat('drop'), {
      methods: ['invite'],
    });
    const { req, res, sent } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
    // drachtio-srf's agent keeps each incoming INVITE by Call-ID until a final response is sent.
    const pending = new Map<unknown, unknown>([['96735918242087678274457', {}]]);
    (req.agent as Record<string, unknown>).mapServer = new Map([[req.socket, { pendingNetworkInvites: pending }]]);
    let nexts = 0;
    layer!(req, res, () => nexts++);
    expect(nexts).toBe(0);
    expect(sent).toEqual([]);
    expect(pending.size).toBe(0);
    expect(att.stats().dropped).toBe(1);
  });

  it('tarpits an INVITE: 180 at once, the final 486 after the hold', async () => {
    const guard = guardThat('tarpit');
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60 } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(r.sent.map((s) => s.status)).toEqual([180]);
    expect(guard.tarpits.inUse).toBe(1);
    await waitUntil(() => r.sent.length === 2, 5_000, 'the final answer');
    expect(r.sent.map((s) => s.status)).toEqual([180, 486]);
    expect(guard.tarpits.inUse).toBe(0);
    expect(attachment.stats().tarpitsHeld).toBe(0);
  });

  it('tarpit ending in silence sends no final answer and frees the slot', async () => {
    const guard = guardThat('tarpit');
    const { run } = harness(guard, { tarpit: { holdFor: 30, final: 'silence' } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    await waitUntil(() => guard.tarpits.inUse === 0, 5_000, 'the hold to end');
    expect(r.sent.map((s) => s.status)).toEqual([180]);
  });

  it('a CANCEL ends the hold at once and clears its timer', () => {
    const guard = guardThat('tarpit');
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60_000 } });
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(guard.tarpits.inUse).toBe(1);
    expect(r.req.listenerCount('cancel')).toBe(1);
    r.cancel();
    expect(guard.tarpits.inUse).toBe(0);
    expect(r.req.listenerCount('cancel')).toBe(0);
    expect(attachment.stats().tarpitsHeld).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([180]);
  });

  it('drops instead of tarpitting once the guard tarpit cap is reached', () => {
    const guard = guardThat('tarpit', { tarpit: { maxConcurrent: 2 } });
    const { run, attachment } = harness(guard, { tarpit: { holdFor: 60_000 } });
    const results = [0, 1, 2].map(() => run(SVMAP_INVITE, DENIED_IP));
    expect(results.map((r) => r.sent.map((s) => s.status))).toEqual([[180], [180], []]);
    expect(attachment.stats()).toMatchObject({ tarpitted: 2, dropped: 1, tarpitCapDrops: 1, tarpitsHeld: 2 });
  });

  it('never tarpits a non-INVITE, even if a verdict says tarpit: it drops', () => {
    const real = guardThat('tarpit');
    const guard = Object.create(real) as Guard;
    guard.judge = (attempt) => ({ ...real.judge(attempt), action: 'tarpit', intended: 'tarpit' });
    const { run, attachment } = harness(guard);
    expect(run(SVWAR_REGISTER, DENIED_IP).sent).toEqual([]);
    expect(attachment.stats()).toMatchObject({ dropped: 1, tarpitted: 0 });
    expect(real.tarpits.inUse).toBe(0);
  });

  it('passes requests drachtio-server matched to a dialog unjudged', () => {
    let layer: Handler | undefined;
    const att = attachGuard({ use: (_m: string, fn: unknown) => (layer = fn as Handler) }, guardThat('reject'), {
      methods: ['invite'],
    });
    const reInvite = SVMAP_INVITE.replace('To: "sipvicious"<sip:100@1.1.1.1>', 'To: <sip:100@1.1.1.1>;tag=abc');
    const { req, res, sent } = srfRequestPair(reInvite, { address: DENIED_IP, port: 5060 });
    req.stackDialogId = '96735918242087678274457;from-tag=3766303030303031313364380131393237313739373531';
    let nexts = 0;
    layer!(req, res, () => nexts++);
    expect(nexts).toBe(1);
    expect(sent).toEqual([]);
    expect(att.stats()).toMatchObject({ judged: 0, inDialog: 1 });
  });

  it('judges a To-tagged request that matches no dialog (a forged tag is no way around the guard)', () => {
    const { run, attachment } = harness(guardThat('reject'));
    const forged = SVMAP_INVITE.replace('To: "sipvicious"<sip:100@1.1.1.1>', 'To: <sip:100@1.1.1.1>;tag=forged');
    const r = run(forged, DENIED_IP);
    expect(r.nexts()).toBe(0);
    expect(r.sent.map((s) => s.status)).toEqual([403]);
    expect(attachment.stats()).toMatchObject({ judged: 1, inDialog: 0 });
  });

  it('monitor mode lets everything through', () => {
    const { run } = harness(guardThat('reject', { mode: 'monitor' }));
    const r = run(SVMAP_INVITE, DENIED_IP);
    expect(r.nexts()).toBe(1);
    expect(r.sent).toEqual([]);
  });

  it('an undecodable request goes to judgeMalformed: scored input.undecodable, a banned source still refused', () => {
    const guard = guardThat('reject');
    guard.bans.add('203.0.113.66', { reason: 'test' });
    const verdicts: Verdict[] = [];
    guard.on('verdict', (_a, v) => verdicts.push(v));
    let nexts = 0;
    let layer: Handler | undefined;
    const att = attachGuard({ use: (_m: string, fn: unknown) => (layer = fn as Handler) }, guard, {
      methods: ['invite'],
    });
    const sent: number[] = [];
    const req = { method: 'INVITE', raw: 'INVITE nonsense', source_address: '203.0.113.66', source_port: 5060 };
    const res = { send: (s: number) => sent.push(s) };
    layer!(req as never, res as never, () => nexts++);
    expect(nexts).toBe(0);
    expect(sent).toEqual([403]);
    // From a clean source it is scored, never failed open: input.undecodable weighs 60, under this guard's only
    // tier (100), so it passes here; the default tiers refuse from 50 (test/drachtio/malformed.test.ts).
    layer!({ ...req, source_address: CLEAN_IP } as never, res as never, () => nexts++);
    expect(verdicts.at(-1)?.reasons).toEqual([expect.objectContaining({ rule: 'input.undecodable', weight: 60 })]);
    expect(nexts).toBe(1);
    expect(att.stats()).toMatchObject({ judged: 2, malformed: 2, rejected: 1, allowed: 1 });
    // Denied source: the undecodable signal adds to the denylist's 100.
    layer!({ ...req, source_address: DENIED_IP } as never, res as never, () => nexts++);
    expect(verdicts.at(-1)?.score).toBe(160);
    guard.close();
  });

  it('a request drachtio matched to a dialog passes even when only drachtio-srf could read it', () => {
    let layer: Handler | undefined;
    const guard = guardThat('reject');
    const att = attachGuard({ use: (_m: string, fn: unknown) => (layer = fn as Handler) }, guard, {
      methods: ['invite'],
    });
    // The core rejects a Request-URI without a scheme; drachtio-srf reads it, To tag included.
    const reInvite = SVMAP_INVITE.replace('INVITE sip:100@127.0.0.1 SIP/2.0', 'INVITE 100 SIP/2.0').replace(
      'To: "sipvicious"<sip:100@1.1.1.1>',
      'To: <sip:100@1.1.1.1>;tag=abc',
    );
    const inDialog = srfRequestPair(reInvite, { address: DENIED_IP, port: 5060 });
    inDialog.req.stackDialogId = 'x;from-tag=y';
    let nexts = 0;
    layer!(inDialog.req, inDialog.res, () => nexts++);
    expect(nexts).toBe(1);
    expect(att.stats()).toMatchObject({ judged: 0, inDialog: 1 });
    // The same request matching no dialog is judged on what drachtio-srf read, and refused.
    const forged = srfRequestPair(reInvite, { address: DENIED_IP, port: 5060 });
    layer!(forged.req, forged.res, () => nexts++);
    expect(nexts).toBe(1);
    expect(forged.sent.map((s) => s.status)).toEqual([403]);
    expect(att.stats()).toMatchObject({ judged: 1, malformed: 1, inDialog: 1 });
    guard.close();
  });

  it('its own failure follows onError: open lets the request through, closed drops it', () => {
    const throwingRes = {
      send: () => {
        throw new Error('socket gone');
      },
    };
    for (const [onError, expected] of [
      ['open', 1],
      ['closed', 0],
    ] as const) {
      let h: Handler | undefined;
      const att = attachGuard({ use: (_m: string, fn: unknown) => (h = fn as Handler) }, guardThat('reject'), {
        methods: ['invite'],
        onError,
      });
      const { req } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
      let nexts = 0;
      h!(req, throwingRes as never, () => nexts++);
      expect(nexts).toBe(expected);
      expect(att.stats().errors).toBe(1);
    }
  });

  it('an exception thrown by the app after next() is not caught as the guard own failure', () => {
    let h: Handler | undefined;
    const att = attachGuard({ use: (_m: string, fn: unknown) => (h = fn as Handler) }, guardThat('reject'), {
      methods: ['invite'],
    });
    const { req, res } = srfRequestPair(ROOM_INVITE, { address: CLEAN_IP, port: 5060 });
    expect(() =>
      h!(req, res, () => {
        throw new Error('app bug');
      }),
    ).toThrow('app bug');
    expect(att.stats().errors).toBe(0);
  });

  it('runs before handlers the app registered earlier (real drachtio-srf layer stack)', () => {
    const srf = withMethods(new Srf());
    srf.invite(() => {});
    srf.use('register', () => {});
    const att = attachGuard(srf, guardThat('reject'), { methods: ['invite', 'register'] });
    const stack = srf.app.stack;
    const methods = stack.map((l) => l.method);
    expect(methods.slice(0, 3)).toEqual(['*', 'invite', 'register']);
    expect(stack[1]!.handle).toBe(stack[2]!.handle);
    expect(methods.slice(3)).toEqual(['invite', 'register']);
    expect(att.methods).toEqual(['invite', 'register']);
  });
});

describe('tarpit robustness', () => {
  it('a request whose cancel listener cannot be installed releases its slot (onError decides the rest)', () => {
    const guard = guardThat('tarpit');
    let layer: Handler | undefined;
    const att = attachGuard({ use: (_m: string, fn: unknown) => (layer = fn as Handler) }, guard, {
      methods: ['invite'],
      onError: 'closed',
    });
    const { req, res, sent } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
    req.once = () => {
      throw new Error('not an emitter');
    };
    let nexts = 0;
    layer!(req, res, () => nexts++);
    expect(nexts).toBe(0);
    expect(sent).toEqual([]);
    expect(guard.tarpits.inUse).toBe(0);
    expect(att.stats()).toMatchObject({ errors: 1, tarpitsHeld: 0, dropped: 1 });
    guard.close();
  });
});
