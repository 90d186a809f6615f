import type { Verdict } from '@ghostguard/core';
import { buildRequest, SipUdpAgent, waitUntil } from '@ghostguard/drachtio/testing';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { type RoomProxyHarness, startRoomProxy } from './support/room-proxy.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function setup(over = {}): Promise<{ h: RoomProxyHarness; ua: SipUdpAgent }> {
  const h = await startRoomProxy(over);
  closers.push(() => h.close());
  const ua = await SipUdpAgent.open('127.0.0.5');
  closers.push(() => ua.close());
  return { h, ua };
}

/**
 * A clean OPTIONS keepalive still gets the app's 200: the app and its connection survived. Sent from another
 * address than the hostile traffic: since issue 13 that traffic is refused, and its source may be banned.
 */
async function stillServes(h: RoomProxyHarness, _hostile: SipUdpAgent): Promise<void> {
  const ua = await SipUdpAgent.open('127.0.0.6');
  closers.push(() => ua.close());
  const callId = `alive-${Date.now()}-${Math.random()}`;
  ua.send(
    buildRequest({
      method: 'OPTIONS',
      uri: 'sip:video.example.com',
      from: { address: ua.address, port: ua.port },
      callId,
    }),
    h.peer.sipPort,
  );
  await waitUntil(() => ua.responsesFor(callId).some((r) => r.status === 200), 10_000, 'the 200 to OPTIONS');
  expect(h.app.errors).toEqual([]);
}

/** An INVITE to room-a from `ua` (so the answers come back to it), with `extra` after CSeq. */
const invite = (ua: SipUdpAgent, callId: string, extra: string, uri = 'sip:room-a@video.example.com') =>
  `INVITE ${uri} SIP/2.0\r\nVia: SIP/2.0/UDP ${ua.address}:${ua.port};branch=z9hG4bK${callId}\r\nMax-Forwards: 70\r\nFrom: <sip:x@example.net>;tag=1\r\nTo: <sip:room-a@video.example.com>\r\nCall-ID: ${callId}\r\nCSeq: 1 INVITE\r\n${extra}`;

const HEAD = (extra: string) =>
  `INVITE sip:room-a@video.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.5:5099;branch=z9hG4bKbad${Math.random()}\r\nMax-Forwards: 70\r\nFrom: <sip:x@example.net>;tag=1\r\nTo: <sip:room-a@video.example.com>\r\nCall-ID: bad-${Math.random()}\r\nCSeq: 1 INVITE\r\n${extra}`;

describe('malformed SIP from the socket', () => {
  it('junk, truncated and header-less datagrams are refused by the stand-in and crash nothing', async () => {
    const { h, ua } = await setup();
    const bad = [
      Buffer.from([0xff, 0x00, 0x13, 0x37, 0x0d, 0x0a]),
      'INVITE sip:room-a@video.example.com SIP/2.0\r\n\r\n',
      'INVITE sip:room-a@video.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.5:5099;branch=z9hG4bKnofrom\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\n\r\n',
      HEAD('Content-Length: 500\r\n\r\nv=0\r\n'),
      'SIP/2.0 200 OK\r\n\r\n',
      `OPTIONS ${'x'.repeat(70_000)} SIP/2.0\r\n\r\n`,
    ];
    for (const b of bad) ua.send(b, h.peer.sipPort);
    await waitUntil(() => h.peer.stats().datagramsIn >= bad.length - 1, 10_000, 'the datagrams to arrive');
    await stillServes(h, ua);
    expect(h.peer.stats().malformed).toBeGreaterThanOrEqual(4);
    expect(h.peer.stats().answered400).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('odd requests the server forwards reach the app: hostile fields are judged, never thrown', async () => {
    const { h, ua } = await setup();
    const odd = [
      HEAD('Contact: <<<>>>\r\nMax-Forwards: abc\r\nUser-Agent: \u00ff\u00fe\r\nContent-Length: 0\r\n\r\n'),
      HEAD('From: "unterminated <sip:x@y>\r\nContent-Length: 0\r\n\r\n'),
      HEAD(`X-Long: ${'a'.repeat(20_000)}\r\nContent-Length: 0\r\n\r\n`),
      HEAD(
        'CSeq: 99999999999999999999 FOO\r\nContent-Type: application/sdp\r\nContent-Length: 9\r\n\r\ns=\u0000\u0001\r\n\r\n',
      ),
    ];
    const judgedBefore = h.proxy.attachment.stats().judged;
    for (const o of odd) ua.send(o, h.peer.sipPort);
    await waitUntil(() => h.proxy.attachment.stats().judged >= judgedBefore + 3, 10_000, 'the app to judge them');
    await stillServes(h, ua);
    expect(h.proxy.attachment.stats().errors).toBe(0);
  }, 30_000);

  it('a request padded past the core parser caps is read leniently and refused: the anomaly and its own markers (issue 13)', async () => {
    const { h, ua } = await setup();
    const verdicts: Verdict[] = [];
    h.guard.on('verdict', (_a, v) => verdicts.push(v));
    const pad = Array.from({ length: 200 }, (_, i) => `X-H${i}: ${i}`).join('\r\n');

    // Nothing but padding: 200 header fields (the stand-in, like sofia-sip, takes up to 2048), no scanner marker.
    const plain = `pad-${Math.random()}`;
    ua.send(invite(ua, plain, `${pad}\r\nContent-Length: 0\r\n\r\n`), h.peer.sipPort);
    await waitUntil(() => ua.responsesFor(plain).some((r) => r.status === 403), 10_000, 'the 403');
    expect(verdicts.at(-1)).toMatchObject({ action: 'reject', score: 70 });
    expect(verdicts.at(-1)?.reasons).toEqual([
      { rule: 'input.undecodable', detail: 'skipped: 207 header fields past the cap of 128: 78 skipped', weight: 60 },
      expect.objectContaining({ rule: 'media.no-offer', weight: 10 }),
    ]);

    // The recorded SIPVicious markers behind the padding and a NUL byte: the anomaly adds to them.
    const scanner = `scan-${Math.random()}`;
    ua.send(
      invite(ua, scanner, `${pad}\r\nX-Nul: a\0b\r\nUser-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n`),
      h.peer.sipPort,
    );
    await waitUntil(() => ua.responsesFor(scanner).some((r) => r.status === 180), 10_000, 'the tarpit 180');
    const rules = verdicts.at(-1)?.reasons.map((r) => r.rule);
    expect(rules).toEqual(expect.arrayContaining(['input.undecodable', 'fp.ua.friendly-scanner']));
    expect(verdicts.at(-1)?.action).toBe('tarpit');

    for (const id of [plain, scanner]) expect(ua.responsesFor(id).some((r) => r.status === 200)).toBe(false);
    expect(h.proxy.attachment.stats()).toMatchObject({
      judged: 2,
      malformed: 0,
      allowed: 0,
      rejected: 1,
      tarpitted: 1,
    });
    await stillServes(h, ua);
  }, 30_000);

  it('a request the core cannot decode at all is refused as input.undecodable, judged on what drachtio-srf read', async () => {
    const { h, ua } = await setup();
    const verdicts: Verdict[] = [];
    h.guard.on('verdict', (_a, v) => verdicts.push(v));
    // A Request-URI of 20 KB: the stand-in (sofia-sip's limits) forwards it, the core's start-line cap is 8 KiB.
    const id = `long-${Math.random()}`;
    const uri = `sip:room-a@video.example.com;x=${'a'.repeat(20_000)}`;
    ua.send(invite(ua, id, 'User-Agent: friendly-scanner\r\nContent-Length: 0\r\n\r\n', uri), h.peer.sipPort);
    await waitUntil(() => h.proxy.attachment.stats().malformed === 1, 10_000, 'the malformed verdict');
    const v = verdicts.at(-1)!;
    expect(v.reasons[0]).toMatchObject({ rule: 'input.undecodable', weight: 60 });
    expect(v.reasons[0]?.detail).toContain('start line longer than 8192 bytes');
    // drachtio-srf's header map is judged too: the User-Agent it read is a scanner marker.
    expect(v.reasons.map((r) => r.rule)).toContain('fp.ua.friendly-scanner');
    expect(v.action).not.toBe('allow');
    expect(h.proxy.attachment.stats()).toMatchObject({ judged: 1, malformed: 1, allowed: 0 });
    expect(ua.responsesFor(id).some((r) => r.status === 200)).toBe(false);
    await stillServes(h, ua);
  }, 30_000);

  it('random bytes never take the app down', async () => {
    const { h, ua } = await setup();
    const samples = fc.sample(fc.uint8Array({ minLength: 1, maxLength: 1400 }), { numRuns: 200, seed: 7 });
    const prefixed = fc.sample(fc.string({ maxLength: 400 }), { numRuns: 100, seed: 8 }).map((s) => HEAD(s));
    // Sent in small batches, each answered by a keepalive, so a burst never overflows the socket buffer.
    const all = [...samples, ...prefixed];
    for (let i = 0; i < all.length; i += 50) {
      for (const m of all.slice(i, i + 50)) ua.send(m, h.peer.sipPort);
      await stillServes(h, ua);
    }
    expect(h.peer.stats().datagramsIn).toBeGreaterThan(all.length / 2);
  }, 60_000);
});
