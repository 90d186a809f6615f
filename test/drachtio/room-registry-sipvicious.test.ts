import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigInput, RoomEntry } from '@ghostguard/core';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ACCOUNTS, REALM, type RoomProxyHarness, startRoomProxy } from './support/room-proxy.js';
import { ScriptedRoom } from './support/room-ua.js';
import { freeUdpPort, runTool } from './support/sipvicious.js';

/**
 * Debian's real svwar and svcrack against the room proxy example while rooms are registered: the sweep names
 * the registered rooms, and the rooms registered from their own loopback addresses (127.0.0.5-7), so a scanner
 * REGISTER that stuck would move a room's contact to the scanner's. Every run is bounded (a short dictionary or
 * range, the tool's own time limit, a hard kill).
 */

/** Debian's svwar 0.3.3 ignores `-b` (its binding address never reaches the socket): the tools send from 127.0.0.1. */
const SCANNER = '127.0.0.1';
const ROOMS = [
  { user: 'room-a', address: '127.0.0.5' },
  { user: '1066', address: '127.0.0.6' },
  { user: 'room-b', address: '127.0.0.7' },
] as const;

const closers: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

interface Setup {
  h: RoomProxyHarness;
  rooms: ScriptedRoom[];
}

/** The room proxy with every room of ROOMS registered from its own address. */
async function withRegisteredRooms(over: ConfigInput = {}): Promise<Setup> {
  // A short hold keeps tarpitted runs brief; the tarpit logic is the same as with the default 30 s.
  const h = await startRoomProxy({ tarpit: { holdFor: 300, maxConcurrent: 200 }, ...over });
  closers.push(() => h.close());
  const rooms: ScriptedRoom[] = [];
  for (const r of ROOMS) {
    const room = await ScriptedRoom.open(r.user, r.address);
    closers.push(() => room.close());
    const status = await room.register({ proxyPort: h.peer.sipPort, password: ACCOUNTS[r.user], domain: REALM });
    expect(status).toBe(200);
    rooms.push(room);
  }
  return { h, rooms };
}

function snapshot(rooms: readonly RoomEntry[]) {
  return rooms
    .map((r) => ({ aor: r.aor, contact: r.contact, source: r.source?.ip }))
    .sort((a, b) => a.aor.localeCompare(b.aor));
}

/** What every room should still be: its own contact, registered from its own address. */
function expected(rooms: readonly ScriptedRoom[]) {
  return rooms
    .map((r) => ({ aor: r.user, contact: r.contact, source: r.agent.address }))
    .sort((a, b) => a.aor.localeCompare(b.aor));
}

/** A dictionary naming the registered rooms among extensions that do not exist, `first` at its head. */
function dictionary(first?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'gg-svwar-'));
  closers.push(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'extensions.txt');
  const names = ['100', '101', '102', ...ROOMS.map((r) => r.user), '1067', 'room-c', 'reception', '200'];
  const ordered = first === undefined ? names : [first, ...names.filter((n) => n !== first)];
  writeFileSync(file, `${ordered.join('\n')}\n`);
  return file;
}

function svwarRegister(h: RoomProxyHarness, localPort: number, first?: string) {
  return runTool('svwar', [
    '--force',
    '-P',
    String(localPort),
    '-d',
    dictionary(first),
    '-m',
    'REGISTER',
    `udp://127.0.0.1:${h.peer.sipPort}`,
  ]);
}

function svcrack1066(h: RoomProxyHarness, localPort: number) {
  return runTool('svcrack', [
    '-P',
    String(localPort),
    '-u',
    '1066',
    '-r',
    '1000-1100',
    `udp://127.0.0.1:${h.peer.sipPort}`,
  ]);
}

describe('svwar -m REGISTER against the room proxy while rooms are registered', () => {
  it('finds nothing, adds no room and moves none', async () => {
    const { h, rooms } = await withRegisteredRooms();
    const before = snapshot(h.guard.rooms.list());
    expect(before).toEqual(expected(rooms));
    const allowed = h.proxy.attachment.stats().allowed;
    const run = await svwarRegister(h, await freeUdpPort());
    expect(run.output).toMatch(/found nothing/);
    expect(h.proxy.attachment.stats().allowed).toBe(allowed);
    expect(snapshot(h.guard.rooms.list())).toEqual(before);
    for (const r of rooms) expect(h.proxy.bindings.get(r.user)?.contact).toBe(r.contact);
    // Refused on its first request's shape: nothing of the sweep reached the registrar.
    expect(h.guard.bans.get(SCANNER)?.reason).toMatch(/fp\./);
  }, 120_000);

  it('with the guard in monitor mode, the registrar alone still adds and moves no room', async () => {
    const { h, rooms } = await withRegisteredRooms({ mode: 'monitor' });
    const before = snapshot(h.guard.rooms.list());
    const checks = vi.spyOn(h.guard.rooms, 'checkRegister');
    // svwar stops once a second user gets the same answer as its random first probe (every REGISTER here meets
    // the same challenge), so each run leads with one registered room: every room is probed once.
    for (const r of ROOMS) {
      const port = await freeUdpPort();
      const run = await svwarRegister(h, port, r.user);
      expect(run.output).not.toMatch(/\|\s*\S+\s*\|\s*(reqauth|noauth)/);
      const statuses = h.peer.wire
        .filter((w) => w.direction === 'out' && w.port === port)
        .map((w) => Number(w.firstLine.split(' ')[1]));
      // The random first probe and the room's, at least (under load svwar may get one more out before it stops).
      expect(statuses.length).toBeGreaterThanOrEqual(2);
      expect(new Set(statuses)).toEqual(new Set([401]));
      const probe = h.peer.wire.find(
        (w) => w.direction === 'in' && w.firstLine.startsWith('REGISTER ') && w.text.includes(`To: "${r.user}"`),
      );
      expect(probe?.text).toMatch(/User-Agent: friendly-scanner/);
    }
    // The probes passed the guard (monitor) and never got past the challenge: nothing bound, nothing moved.
    expect(checks.mock.calls.filter(([c]) => c.authenticated)).toEqual([]);
    expect(snapshot(h.guard.rooms.list())).toEqual(before);
    for (const r of rooms) expect(h.proxy.bindings.get(r.user)?.contact).toBe(r.contact);
    expect(h.guard.rooms.isRoom('room-c')).toBe(false);
    expect(h.guard.rooms.isRoom('100')).toBe(false);
  }, 120_000);
});

describe('svcrack against a registered room account', () => {
  it('finds no password (the right one is in its range) and the room stays where it registered', async () => {
    const { h, rooms } = await withRegisteredRooms();
    expect(ACCOUNTS['1066']).toBe('1066');
    const before = snapshot(h.guard.rooms.list());
    const run = await svcrack1066(h, await freeUdpPort());
    expect(run.output).not.toMatch(/\|\s*1066\s*\|\s*1066\s*\|/);
    expect(snapshot(h.guard.rooms.list())).toEqual(before);
    expect(h.proxy.bindings.get('1066')?.contact).toBe(rooms[1]!.contact);
    expect(h.guard.bans.get(SCANNER)).toBeDefined();
  }, 120_000);

  it('in monitor mode svcrack gets what it gets without the guard: a would-ban is no failed password', async () => {
    const { h } = await withRegisteredRooms({ mode: 'monitor' });
    const checks = vi.spyOn(h.guard.rooms, 'checkRegister');
    const port = await freeUdpPort();
    const run = await svcrack1066(h, port);
    // Nothing stopped the guesses (monitor). svcrack tries the extension itself first, and 1066's password is
    // 1066: that first guess is right, with no failed authentication before it. The source is only a "would ban"
    // (SIPVicious' fingerprints), which says nothing about passwords: the credentials are not counted as cracked,
    // and monitor mode changes nothing a caller sees: svcrack gets the 200 this registrar gives without the guard.
    const verified = checks.mock.calls.findIndex(([c]) => c.aor === '1066' && c.authenticated);
    expect(verified).toBeGreaterThanOrEqual(0);
    expect(checks.mock.calls[verified]![0]).toMatchObject({ contact: 'sip:123@1.1.1.1', source: { ip: SCANNER } });
    expect(checks.mock.results[verified]).toMatchObject({ type: 'return', value: { change: 'move', accept: true } });
    expect(h.guard.bans.get(SCANNER)?.reason).toMatch(/^score \d+: fp\./);
    expect(run.output).toMatch(/\|\s*1066\s*\|\s*1066\s*\|/);
    const statuses = h.peer.wire.filter((w) => w.direction === 'out' && w.port === port).map((w) => w.firstLine);
    expect(statuses).toContain('SIP/2.0 200 OK');
    expect(statuses).not.toContain('SIP/2.0 403 Forbidden');
    expect(h.proxy.bindings.get('1066')?.contact).toBe('sip:123@1.1.1.1');
    expect(h.guard.rooms.get('1066')?.contact).toBe('sip:123@1.1.1.1');
  }, 120_000);
});
