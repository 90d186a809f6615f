import type { Verdict } from '@ghostguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { CLEAN_IP, DENIED_IP, guardThat } from './test-support/guards.js';
import { closeAll, harness } from './test-support/harness.js';
import { ROOM_INVITE, SVMAP_INVITE } from './test-support/recorded.js';
import { srfRequestPair } from './testing.js';

afterEach(closeAll);

const ROOM_A_INVITE = ROOM_INVITE.replace('sip:555@127.0.0.1:5080', 'sip:room-a@127.0.0.1:5080');
const withToTag = (raw: string, tag: string) =>
  raw.replace('To: "sipvicious"<sip:100@1.1.1.1>', `To: <sip:100@1.1.1.1>;tag=${tag}`);
const DIALOG_ID = '96735918242087678274457;from-tag=3766303030303031313364380131393237313739373531';

describe('attachDrachtio', () => {
  it('routes each guarded method itself and is ready at once', async () => {
    const { routed, attachment } = harness(guardThat('reject'));
    expect(routed).toEqual(['invite', 'register', 'options', 'subscribe', 'message']);
    expect(attachment.methods).toEqual(routed);
    await expect(attachment.ready).resolves.toBeUndefined();
  });

  it('allows a clean room call through to the app untouched', () => {
    const { run, attachment } = harness(guardThat('reject'));
    const r = run(ROOM_A_INVITE, CLEAN_IP);
    expect(r.nexts()).toBe(1);
    expect(r.sent).toEqual([]);
    expect(attachment.stats()).toMatchObject({ judged: 1, allowed: 1 });
  });

  it('passes requests drachtio-server matched to a dialog unjudged (counted as inDialog, not allowed)', () => {
    const { layer, attachment } = harness(guardThat('reject'), { methods: ['invite'] });
    const { req, res, sent } = srfRequestPair(withToTag(SVMAP_INVITE, 'abc'), { address: DENIED_IP, port: 5060 });
    req.stackDialogId = DIALOG_ID;
    let nexts = 0;
    layer(req, res, () => nexts++);
    expect(nexts).toBe(1);
    expect(sent).toEqual([]);
    expect(attachment.stats()).toMatchObject({ judged: 0, inDialog: 1, allowed: 0 });
  });

  it('judges a To-tagged request that matches no dialog (a forged tag is no way around the guard)', () => {
    const { run, attachment } = harness(guardThat('reject'));
    const r = run(withToTag(SVMAP_INVITE, 'forged'), DENIED_IP);
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
    const { layer, attachment } = harness(guard, { methods: ['invite'] });
    let nexts = 0;
    const sent: number[] = [];
    const req = { method: 'INVITE', raw: 'INVITE nonsense', source_address: '203.0.113.66', source_port: 5060 };
    const res = { send: (s: number) => sent.push(s) };
    layer(req as never, res as never, () => nexts++);
    expect(nexts).toBe(0);
    expect(sent).toEqual([403]);
    // From a clean source it is scored, never failed open: input.undecodable weighs 60, under this guard's only
    // tier (100), so it passes here; the default tiers refuse from 50 (test/drachtio/malformed.test.ts).
    layer({ ...req, source_address: CLEAN_IP } as never, res as never, () => nexts++);
    expect(verdicts.at(-1)?.reasons).toEqual([expect.objectContaining({ rule: 'input.undecodable', weight: 60 })]);
    expect(nexts).toBe(1);
    expect(attachment.stats()).toMatchObject({ judged: 2, malformed: 2, rejected: 1, allowed: 1 });
    // Denied source: the undecodable signal adds to the denylist's 100.
    layer({ ...req, source_address: DENIED_IP } as never, res as never, () => nexts++);
    expect(verdicts.at(-1)?.score).toBe(160);
  });

  it('a request drachtio matched to a dialog passes even when only drachtio-srf could read it', () => {
    const { layer, attachment } = harness(guardThat('reject'), { methods: ['invite'] });
    // The core rejects a Request-URI without a scheme; drachtio-srf reads it, To tag included.
    const reInvite = withToTag(SVMAP_INVITE, 'abc').replace('INVITE sip:100@127.0.0.1 SIP/2.0', 'INVITE 100 SIP/2.0');
    const inDialog = srfRequestPair(reInvite, { address: DENIED_IP, port: 5060 });
    inDialog.req.stackDialogId = 'x;from-tag=y';
    let nexts = 0;
    layer(inDialog.req, inDialog.res, () => nexts++);
    expect(nexts).toBe(1);
    expect(attachment.stats()).toMatchObject({ judged: 0, inDialog: 1 });
    // The same request matching no dialog is judged on what drachtio-srf read, and refused.
    const forged = srfRequestPair(reInvite, { address: DENIED_IP, port: 5060 });
    layer(forged.req, forged.res, () => nexts++);
    expect(nexts).toBe(1);
    expect(forged.sent.map((s) => s.status)).toEqual([403]);
    expect(attachment.stats()).toMatchObject({ judged: 1, malformed: 1, inDialog: 1 });
  });

  it('its own failure follows onError: open lets the request through, closed drops it', () => {
    const throwingRes = {
      send: () => {
        throw new Error('socket gone');
      },
    };
    for (const [onError, nextsExpected, counted] of [
      ['open', 1, { allowed: 1, dropped: 0 }],
      ['closed', 0, { allowed: 0, dropped: 1 }],
    ] as const) {
      const { layer, attachment } = harness(guardThat('reject'), { methods: ['invite'], onError });
      const { req } = srfRequestPair(SVMAP_INVITE, { address: DENIED_IP, port: 5060 });
      let nexts = 0;
      layer(req, throwingRes as never, () => nexts++);
      expect(nexts).toBe(nextsExpected);
      expect(attachment.stats()).toMatchObject({ errors: 1, judged: 1, rejected: 0, ...counted });
    }
  });

  it('an exception thrown by the app after next() is not caught as the guard own failure', () => {
    const { layer, attachment } = harness(guardThat('reject'), { methods: ['invite'] });
    const { req, res } = srfRequestPair(ROOM_INVITE, { address: CLEAN_IP, port: 5060 });
    expect(() =>
      layer(req, res, () => {
        throw new Error('app bug');
      }),
    ).toThrow('app bug');
    expect(attachment.stats().errors).toBe(0);
  });
});

describe('after close() (shutdown)', () => {
  it('never lets a new caller in: out-of-dialog requests are dropped unjudged, even from a clean source', async () => {
    const { run, attachment } = harness(guardThat('reject'));
    await attachment.close();
    await attachment.close();
    const clean = run(ROOM_A_INVITE, CLEAN_IP);
    const scanner = run(SVMAP_INVITE, DENIED_IP);
    expect([clean.nexts(), scanner.nexts()]).toEqual([0, 0]);
    expect([...clean.sent, ...scanner.sent]).toEqual([]);
    expect(attachment.stats()).toMatchObject({ judged: 0, droppedAfterClose: 2 });
  });

  it('still passes in-dialog requests: calls already admitted can end cleanly', async () => {
    const { layer, attachment } = harness(guardThat('reject'), { methods: ['invite'] });
    await attachment.close();
    const { req, res } = srfRequestPair(withToTag(SVMAP_INVITE, 'abc'), { address: DENIED_IP, port: 5060 });
    req.stackDialogId = DIALOG_ID;
    let nexts = 0;
    layer(req, res, () => nexts++);
    expect(nexts).toBe(1);
  });

  it('passes what a newer, live attachment allowed (re-attach), and nothing it refused', async () => {
    const old = harness(guardThat('reject'));
    await old.attachment.close();
    const fresh = harness(guardThat('reject'));
    // drachtio-srf runs the newer layer first (it is moved to the front), then the closed one.
    const chain = (raw: string, ip: string) => {
      const { req, res, sent } = srfRequestPair(raw, { address: ip, port: 5060 });
      let reached = 0;
      fresh.layer(req, res, () => old.layer(req, res, () => reached++));
      return { reached, sent: sent.map((s) => s.status) };
    };
    expect(chain(ROOM_A_INVITE, CLEAN_IP)).toEqual({ reached: 1, sent: [] });
    expect(chain(SVMAP_INVITE, DENIED_IP)).toEqual({ reached: 0, sent: [403] });
    expect(old.attachment.stats()).toMatchObject({ judged: 0, droppedAfterClose: 0 });
  });
});
