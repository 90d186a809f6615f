import type { WireRecord } from '@ghostguard/stand-ins/drachtio-server';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNTS, type RoomProxyHarness, startRoomProxy } from './support/room-proxy.js';
import { freeUdpPort, runTool } from './support/sipvicious.js';

/**
 * Debian's real SIPVicious tools against the room proxy example (ghostguard attached) through the
 * drachtio-server stand-in on loopback. Each tool meets a fresh app and guard (no ban left over from another
 * tool), and each run is bounded (few extensions, the tool's own timeout, a hard kill).
 */

let h: RoomProxyHarness;
beforeEach(async () => {
  // A short hold keeps svwar's INVITE run brief; the tarpit logic is the same as with the default 30 s.
  h = await startRoomProxy({ tarpit: { holdFor: 300, maxConcurrent: 200 } });
}, 30_000);
afterEach(async () => {
  await h?.close();
});

/** Everything the stand-in sent to the tool's port. */
function repliesTo(port: number): WireRecord[] {
  return h.peer.wire.filter((w) => w.direction === 'out' && w.port === port);
}
function statusesTo(port: number): number[];
function statusesTo(of: RoomProxyHarness, port: number): number[];
function statusesTo(a: number | RoomProxyHarness, b?: number): number[] {
  const [of, port] = typeof a === 'number' ? [h, a] : [a, b!];
  return of.peer.wire
    .filter((w) => w.direction === 'out' && w.port === port)
    .map((w) => Number(w.firstLine.split(' ')[1]));
}
/** 100 Trying comes from drachtio-server itself before the app sees an INVITE; the rest is the guard's doing. */
const REFUSALS = new Set([100, 180, 403, 486, 487]);

describe('SIPVicious against a drachtio app guarded by ghostguard', () => {
  it('svmap (OPTIONS) finds nothing: the scan gets no answer', async () => {
    const before = h.proxy.attachment.stats();
    const port = await freeUdpPort();
    const run = await runTool('svmap', ['-P', String(port), '-p', String(h.peer.sipPort), '127.0.0.1']);
    expect(run.output).toMatch(/found nothing/);
    expect(repliesTo(port)).toEqual([]);
    const after = h.proxy.attachment.stats();
    expect(after.judged).toBeGreaterThan(before.judged);
    expect(after.allowed).toBe(before.allowed);
  }, 90_000);

  it('svmap --method INVITE: the INVITE rings into the tarpit and never reaches a room', async () => {
    const before = h.proxy.attachment.stats();
    const port = await freeUdpPort();
    const run = await runTool('svmap', [
      '-P',
      String(port),
      '--method',
      'INVITE',
      '-p',
      String(h.peer.sipPort),
      '127.0.0.1',
    ]);
    const statuses = statusesTo(port);
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.every((s) => REFUSALS.has(s))).toBe(true);
    // drachtio-server answers 100 Trying to any INVITE before an app decides: svmap sees a SIP device, with no User-Agent.
    expect(run.output).not.toMatch(/friendly|drachtio/i);
    const after = h.proxy.attachment.stats();
    expect(after.allowed).toBe(before.allowed);
    expect(after.tarpitted + after.dropped).toBeGreaterThan(before.tarpitted + before.dropped);
  }, 90_000);

  for (const method of ['REGISTER', 'OPTIONS', 'INVITE'] as const) {
    it(`svwar -m ${method} finds no extension`, async () => {
      const before = h.proxy.attachment.stats();
      const port = await freeUdpPort();
      const run = await runTool('svwar', [
        '--force',
        '-P',
        String(port),
        '-e100-130',
        '-m',
        method,
        `udp://127.0.0.1:${h.peer.sipPort}`,
      ]);
      expect(run.output).toMatch(/found nothing/);
      expect(run.output).not.toMatch(/\|\s*1\d\d\s*\|\s*(reqauth|noauth)/);
      expect(statusesTo(port).every((s) => REFUSALS.has(s))).toBe(true);
      const after = h.proxy.attachment.stats();
      expect(after.allowed).toBe(before.allowed);
      expect(after.judged).toBeGreaterThan(before.judged);
      expect(h.proxy.bindings.size).toBe(0);
    }, 120_000);
  }

  it('svcrack finds no password, though the right one is in its range', async () => {
    expect(ACCOUNTS['1066']).toBe('1066');
    const port = await freeUdpPort();
    const run = await runTool('svcrack', [
      '-P',
      String(port),
      '-u',
      '1066',
      '-r',
      '1000-1100',
      `udp://127.0.0.1:${h.peer.sipPort}`,
    ]);
    expect(run.output).toMatch(/found nothing|no server response/);
    expect(run.output).not.toMatch(/\|\s*1066\s*\|\s*1066\s*\|/);
    expect(statusesTo(port).filter((s) => s === 200)).toEqual([]);
    expect(h.proxy.bindings.size).toBe(0);
    // Refused on its own first request's shape (a fresh guard: no earlier ban to lean on).
    expect(h.proxy.attachment.stats().allowed).toBe(0);
    expect(h.guard.bans.get('127.0.0.1')?.reason).toMatch(/fp\./);
  }, 120_000);
});

describe('control: the same svcrack run against the example with the guard in monitor mode', () => {
  let m: RoomProxyHarness;
  beforeAll(async () => {
    m = await startRoomProxy({ mode: 'monitor' });
  }, 30_000);
  afterAll(async () => {
    await m?.close();
  });

  it('reaches the right password: the refusals above are the guard doing, not the tools failing', async () => {
    const checks = vi.spyOn(m.guard.rooms, 'checkRegister');
    const port = await freeUdpPort();
    await runTool('svcrack', [
      '-P',
      String(port),
      '-u',
      '1066',
      '-r',
      '1060-1070',
      `udp://127.0.0.1:${m.peer.sipPort}`,
    ]);
    // Nothing stopped the guesses (monitor): svcrack's first guess (the extension itself) is 1066's password and
    // the registrar's digest check passed it. No password had failed before it: a monitor-mode "would ban" for
    // SIPVicious' fingerprints is no failed authentication, so the core does not count it as cracked, and svcrack
    // gets what it gets without the guard (200, bound), never a 403.
    const verified = checks.mock.calls.findIndex(([c]) => c.aor === '1066' && c.authenticated);
    expect(verified).toBeGreaterThanOrEqual(0);
    expect(checks.mock.results[verified]).toMatchObject({ type: 'return', value: { change: 'new', accept: true } });
    expect(statusesTo(m, port)).toContain(200);
    expect(statusesTo(m, port)).not.toContain(403);
    expect(m.proxy.bindings.get('1066')).toBeDefined();
  }, 120_000);
});
