import type { BanInfo, ConfigInput, Logger, RoomEntry, Verdict } from '@ghostguard/core';
import { memoryLogger } from '@ghostguard/core/testing';
import { buildRequest, headerValue, SipUdpAgent, sdpOffer, waitUntil } from '@ghostguard/drachtio/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ACCOUNTS, REALM, type RoomProxyHarness, startRoomProxy } from './support/room-proxy.js';
import { ScriptedRoom } from './support/room-ua.js';

/**
 * The room proxy example's registrar feeds `guard.rooms`: what registers there (and only that) is a room to the
 * guard, with the contact it registered, until it expires or leaves. Real drachtio-srf, the drachtio-server
 * stand-in, scripted room systems and callers, all on 127.x loopback addresses.
 */

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

async function harness(over: ConfigInput = {}, logger?: Logger): Promise<RoomProxyHarness> {
  const h = await startRoomProxy(over, logger);
  closers.push(() => h.close());
  return h;
}
async function room(user: string, address: string): Promise<ScriptedRoom> {
  const r = await ScriptedRoom.open(user, address);
  closers.push(() => r.close());
  return r;
}
async function agent(address: string): Promise<SipUdpAgent> {
  const a = await SipUdpAgent.open(address);
  closers.push(() => a.close());
  return a;
}

/** What a registered room is to the guard: name, where its calls go, who told it (declared accounts left out). */
function summary(rooms: readonly RoomEntry[]) {
  return rooms
    .filter((r) => !r.static)
    .map((r) => ({ aor: r.aor, contact: r.contact, adapter: r.adapter, source: r.source?.ip }))
    .sort((a, b) => a.aor.localeCompare(b.aor));
}

function password(user: keyof typeof ACCOUNTS): string {
  return ACCOUNTS[user];
}

describe('registrations through the example registrar appear in guard.rooms', () => {
  it('a room that registers is on file with its contact, source and adapter, and is a dialable target', async () => {
    const h = await harness();
    const roomA = await room('room-a', '127.0.0.5');
    const room1066 = await room('1066', '127.0.0.6');
    // Every account is a room that exists before it registers (declared, at no address yet).
    expect(h.guard.rooms.list().map((r) => [r.aor, r.static, r.contact])).toEqual(
      expect.arrayContaining([
        ['room-a', true, ''],
        ['room-b', true, ''],
        ['1066', true, ''],
      ]),
    );
    expect(h.guard.rooms.size).toBe(3);

    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    expect(await room1066.register({ proxyPort: h.peer.sipPort, password: password('1066'), domain: REALM })).toBe(200);

    expect(summary(h.guard.rooms.list())).toEqual([
      { aor: '1066', contact: room1066.contact, adapter: 'drachtio', source: '127.0.0.6' },
      { aor: 'room-a', contact: roomA.contact, adapter: 'drachtio', source: '127.0.0.5' },
    ]);
    // Dialled names reach it however the caller writes them.
    expect(h.guard.rooms.isRoom(`sip:room-a@${REALM}`)).toBe(true);
    expect(h.guard.rooms.isRoom('ROOM-A')).toBe(true);
    // An account that has not registered is still a room that exists (offline), a name that is no account is not.
    expect(h.guard.rooms.get('room-b')).toMatchObject({ static: true, contact: '' });
    expect(h.guard.rooms.isRoom('room-c')).toBe(false);
    // The registrar's own location service and the guard agree.
    expect(h.proxy.bindings.get('room-a')?.contact).toBe(roomA.contact);
  });

  it('a registration with a short Expires runs out: the room is an offline account again', async () => {
    const h = await harness();
    const roomA = await room('room-a', '127.0.0.5');
    expect(
      await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM, expires: 1 }),
    ).toBe(200);
    const entry = h.guard.rooms.get('room-a');
    expect(entry?.contact).toBe(roomA.contact);
    expect(entry?.expiresAt).toBeLessThanOrEqual(Date.now() + 1_000);
    await waitUntil(() => h.guard.rooms.get('room-a')?.static === true, 15_000, 'the registration to expire');
    expect(summary(h.guard.rooms.list())).toEqual([]);
    expect(h.guard.rooms.get('room-a')?.contact).toBe('');
    expect(h.proxy.bindings.get('room-a')).toBeUndefined();
  });

  it('a REGISTER with Expires: 0 takes the registration off at once (the account stays a room, offline)', async () => {
    const h = await harness();
    const roomA = await room('room-a', '127.0.0.5');
    const roomB = await room('room-b', '127.0.0.7');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    expect(await roomB.register({ proxyPort: h.peer.sipPort, password: password('room-b'), domain: REALM })).toBe(200);
    expect(summary(h.guard.rooms.list())).toHaveLength(2);

    expect(
      await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM, expires: 0 }),
    ).toBe(200);
    expect(h.guard.rooms.get('room-a')).toMatchObject({ static: true, contact: '' });
    expect(h.proxy.bindings.get('room-a')).toBeUndefined();
    expect(summary(h.guard.rooms.list())).toEqual([
      { aor: 'room-b', contact: roomB.contact, adapter: 'drachtio', source: '127.0.0.7' },
    ]);
  });

  it('a REGISTER with Expires: 0 and no credentials leaves the room where it is', async () => {
    const h = await harness();
    const roomA = await room('room-a', '127.0.0.5');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    const other = await room('room-a', '127.0.0.11');
    expect(await other.register({ proxyPort: h.peer.sipPort, domain: REALM, expires: 0 })).toBe(401);
    expect(h.guard.rooms.get('room-a')?.contact).toBe(roomA.contact);
  });
});

describe('a REGISTER that would move a registered room without credentials', () => {
  it('binding the room to another address is refused, reported as a hijack, the source banned, the room kept', async () => {
    const h = await harness();
    const roomA = await room('room-a', '127.0.0.5');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    const hijacks: string[] = [];
    h.guard.on('ban', (ban: BanInfo) => hijacks.push(`${ban.ip} ${ban.reason}`));

    // A clean-looking UA (no scanner marker) binds room-a to the proxy's own address, as svwar does.
    const attacker = await room('room-a', '127.0.0.9');
    const status = await attacker.register({
      proxyPort: h.peer.sipPort,
      domain: REALM,
      contact: `sip:room-a@127.0.0.1:${h.peer.sipPort}`,
    });
    // The same challenge every REGISTER without credentials gets: the answer tells nothing about the room.
    expect(status).toBe(401);
    expect(h.guard.bans.get('127.0.0.9')?.reason).toMatch(/hijack attempt on room-a/);
    expect(hijacks).toEqual([expect.stringMatching(/^127\.0\.0\.9 hijack attempt on room-a/)]);
    expect(h.guard.rooms.get('room-a')?.contact).toBe(roomA.contact);
    expect(h.proxy.bindings.get('room-a')?.contact).toBe(roomA.contact);

    // Its next REGISTER is dropped unanswered (banned): it never meets the registrar again.
    const before = h.proxy.attachment.stats();
    const again = await agent('127.0.0.9');
    const callId = `hijack-again-${Date.now()}`;
    again.send(
      buildRequest({
        method: 'REGISTER',
        uri: `sip:${REALM}`,
        from: { address: again.address, port: again.port },
        fromUri: `sip:room-a@${REALM}`,
        callId,
      }),
      h.peer.sipPort,
    );
    await waitUntil(() => h.proxy.attachment.stats().judged > before.judged, 10_000, 'the follow-up judged');
    const after = h.proxy.attachment.stats();
    expect(after.allowed).toBe(before.allowed);
    expect(again.responsesFor(callId)).toEqual([]);
    expect(h.guard.rooms.get('room-a')?.contact).toBe(roomA.contact);
  });

  it('wrong credentials from a new address: 403, hijack, banned, the room kept', async () => {
    const { logger, sink } = memoryLogger('info');
    const h = await harness({}, logger);
    const roomA = await room('room-a', '127.0.0.5');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    const attacker = await room('room-a', '127.0.0.10');
    expect(await attacker.register({ proxyPort: h.peer.sipPort, password: 'guess', domain: REALM })).toBe(403);
    expect(h.guard.bans.get('127.0.0.10')?.reason).toMatch(/hijack/);
    expect(h.guard.rooms.get('room-a')?.contact).toBe(roomA.contact);
    // Logged as what it was: credentials that failed, not a REGISTER without any.
    expect(sink.find('room-hijack')).toEqual([
      expect.objectContaining({
        credentials: 'failed',
        msg: 'REGISTER with wrong credentials would move a room: refused',
      }),
    ]);
  });

  it('control: the room itself, moved to a new address, registers there with its credentials and is not banned', async () => {
    const h = await harness();
    const before = await room('room-a', '127.0.0.5');
    expect(await before.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    const moved = await room('room-a', '127.0.0.12');
    expect(await moved.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    expect(h.guard.rooms.get('room-a')?.contact).toBe(moved.contact);
    expect(h.guard.bans.get('127.0.0.12')).toBeUndefined();
    expect(h.guard.bans.list()).toEqual([]);
  });
});

describe('a password guesser against a room that is not registered', () => {
  it('valid credentials after a run of failures do not bind the offline room: refused, banned, not on file', async () => {
    const { logger, sink } = memoryLogger('info');
    const h = await harness({}, logger);
    // A clean-looking guesser (no scanner marker, slow enough to stay under the guard's refusal score).
    const guesser = await room('room-b', '127.0.0.40');
    const answers: number[] = [];
    for (const guess of ['staples', 'Staple', 'stapler', password('room-b')]) {
      answers.push(await guesser.register({ proxyPort: h.peer.sipPort, password: guess, domain: REALM }));
    }
    // Three failures make the source one that has been guessing; the right password then counts as cracked.
    expect(answers).toEqual([403, 403, 403, 403]);
    expect(h.guard.rooms.get('room-b')).toMatchObject({ static: true, contact: '' });
    expect(h.proxy.bindings.get('room-b')).toBeUndefined();
    expect(h.guard.bans.get('127.0.0.40')?.reason).toMatch(/hijack attempt on room-b/);
    // One hijack line for the cracked REGISTER (the registrar's own 403 to it is no second failed password).
    expect(sink.find('room-hijack')).toEqual([expect.objectContaining({ cracked: true, credentials: 'valid' })]);

    // The room itself, from its own address, still registers.
    const roomB = await room('room-b', '127.0.0.7');
    expect(await roomB.register({ proxyPort: h.peer.sipPort, password: password('room-b'), domain: REALM })).toBe(200);
    expect(h.guard.rooms.get('room-b')?.contact).toBe(roomB.contact);
  });
});

describe('a cracked password for a registered room', () => {
  it('is refused once, in one hijack line: the registrar’s own 403 to it is no second failed password', async () => {
    const { logger, sink } = memoryLogger('info');
    const h = await harness({}, logger);
    const roomA = await room('room-a', '127.0.0.5');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);
    // A guesser fails three times on an offline account (no binding to move: failed passwords only)…
    const guesser = await room('room-b', '127.0.0.42');
    for (const guess of ['a', 'b', 'c']) {
      expect(await guesser.register({ proxyPort: h.peer.sipPort, password: guess, domain: REALM })).toBe(403);
    }
    expect(sink.find('room-hijack')).toEqual([]);
    // … then has room-a's password, from its own address: cracked, a hijack, refused.
    const cracker = await room('room-a', '127.0.0.42');
    expect(await cracker.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(
      403,
    );
    expect(sink.find('room-hijack')).toEqual([
      expect.objectContaining({ aor: 'room-a', cracked: true, credentials: 'valid' }),
    ]);
    expect(h.guard.rooms.get('room-a')?.contact).toBe(roomA.contact);
  });
});

describe('the registrar in monitor mode', () => {
  it('answers a guesser as without the guard (403 for wrong, 200 for right) and binds it; the guard keeps the room', async () => {
    const h = await harness({ mode: 'monitor' });
    const guesser = await room('room-b', '127.0.0.41');
    const answers: number[] = [];
    for (const guess of ['staples', 'Staple', 'stapler', password('room-b')]) {
      answers.push(await guesser.register({ proxyPort: h.peer.sipPort, password: guess, domain: REALM }));
    }
    // The digest check's own 403s for wrong passwords; the right one gets 200 as it would without the guard.
    expect(answers).toEqual([403, 403, 403, 200]);
    expect(h.proxy.bindings.get('room-b')?.contact).toBe(guesser.contact);
    // The guard counts the right password as cracked (three failures before it): its registry does not take it.
    expect(h.guard.rooms.get('room-b')).toMatchObject({ static: true, contact: '' });
  });
});

describe('calls and the registry', () => {
  const PARTNER = '127.0.0.20';
  const trusted: ConfigInput = { trust: { cidrs: [{ name: 'partner bridge', address: `${PARTNER}/32` }] } };

  function invite(caller: SipUdpAgent, target: string, callId: string): string {
    return buildRequest({
      method: 'INVITE',
      uri: `sip:${target}@${REALM}`,
      from: { address: caller.address, port: caller.port },
      fromUri: 'sip:bridge@partner.example.net',
      fromDisplay: 'Partner Bridge',
      callId,
      sdp: sdpOffer(caller.address),
    });
  }

  it('a call to a registered room from a trusted peer passes the guard and reaches the room', async () => {
    const h = await harness(trusted);
    const verdicts: Verdict[] = [];
    h.guard.on('verdict', (_a, v: Verdict) => verdicts.push(v));
    const roomA = await room('room-a', '127.0.0.5');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);

    const partner = await agent(PARTNER);
    const callId = `partner-${Date.now()}`;
    partner.send(invite(partner, 'room-a', callId), h.peer.sipPort);
    await waitUntil(() => partner.responsesFor(callId).some((r) => r.status === 200), 10_000, 'the 200 OK');
    expect(roomA.invites).toHaveLength(1);
    expect(roomA.invites[0]?.firstLine).toBe(`INVITE ${roomA.contact} SIP/2.0`);
    const ok = partner.responsesFor(callId).find((r) => r.status === 200)!;
    expect(headerValue(ok.text, 'contact')).toBe(`<${roomA.contact}>`);
    expect(verdicts.at(-1)).toMatchObject({
      action: 'allow',
      reasons: [expect.objectContaining({ rule: 'trust.allowlist' })],
    });
  });

  it('calls to unregistered targets from an unknown source are refused and reach no room', async () => {
    const h = await harness(trusted);
    const verdicts: Verdict[] = [];
    h.guard.on('verdict', (_a, v: Verdict) => verdicts.push(v));
    const roomA = await room('room-a', '127.0.0.5');
    expect(await roomA.register({ proxyPort: h.peer.sipPort, password: password('room-a'), domain: REALM })).toBe(200);

    // A clean-looking caller (no scanner marker) tries numbers that are not rooms, one after the other.
    const stranger = await agent('127.0.0.21');
    const answers: number[][] = [];
    for (const target of ['2001', '3105', '4400', '5172', '6230']) {
      const callId = `stranger-${target}-${Date.now()}`;
      const judged = verdicts.length;
      stranger.send(invite(stranger, target, callId), h.peer.sipPort);
      // Done when dropped (no answer), refused (a final answer) or held in the tarpit (180, then nothing).
      await waitUntil(
        () =>
          verdicts.length > judged &&
          (verdicts.at(-1)?.action === 'drop' ||
            stranger.responsesFor(callId).some((r) => (r.status ?? 0) >= 400 || r.status === 180)),
        10_000,
        `the answer to the call to ${target}`,
      );
      answers.push([...new Set(stranger.responsesFor(callId).map((r) => r.status!))]);
    }
    const calls = verdicts.slice(-5);
    for (const v of calls.slice(0, 4)) expect(v.reasons.map((r) => r.rule)).toContain('dial.unknown-target');
    // A misdial alone weighs too little to refuse (score 25): the guard lets it through and the proxy answers
    // 404 (no such room). Each misdial is remembered as a "maybe" (memory.repeat-suspect): the third is
    // refused, the fourth (refused before) bans the source and the proxy never sees its calls again.
    expect(calls[0]).toMatchObject({ action: 'allow', score: 25 });
    expect(answers[0]).toEqual([100, 404]);
    expect(calls.slice(2).map((v) => v.action)).not.toContain('allow');
    expect(calls[2]?.reasons.map((r) => r.rule)).toContain('memory.repeat-suspect');
    expect(calls[4]?.reasons.map((r) => r.rule)).toEqual(['known-bad.banned']);
    expect(answers.slice(2).flat()).not.toContain(404);
    expect(answers.flat()).not.toContain(200);
    expect(roomA.invites).toEqual([]);
  });
});
