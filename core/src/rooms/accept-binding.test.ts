import { afterEach, describe, expect, it } from 'vitest';
import { type ConfigInput, parseConfig } from '../config.js';
import { createGuard, type Guard } from '../guard.js';
import type { PlatformBinding } from './accept-binding.js';

const T0 = 1_700_000_000_000;
let guards: Guard[] = [];

function guard(config: ConfigInput = {}): Guard {
  const g = createGuard(parseConfig({ log: { level: 'silent' }, ...config }), { now: () => T0 });
  guards.push(g);
  return g;
}

afterEach(() => {
  for (const g of guards) g.close();
  guards = [];
});

const binding = (over: Partial<PlatformBinding> = {}): PlatformBinding => ({
  aor: '101',
  contact: 'sip:101@192.0.2.10:5060',
  source: { ip: '192.0.2.10', port: 5060 },
  expires: 300,
  authenticated: true,
  adapter: 'test',
  origin: 'listing',
  ...over,
});

const scanner = { ip: '203.0.113.66', port: 5060 };
const scannerContact = 'sip:101@203.0.113.66:5060';

describe('guard.rooms.acceptBinding', () => {
  it('stores a first binding, then refreshes it from the same address', () => {
    const g = guard();
    expect(g.rooms.acceptBinding(binding())).toMatchObject({ outcome: 'stored', change: 'new' });
    expect(g.rooms.acceptBinding(binding())).toMatchObject({ outcome: 'stored', change: 'refresh' });
    expect(g.rooms.get('101')?.contact).toBe('sip:101@192.0.2.10:5060');
  });

  it('refuses a move from a source that has been failing authentication as a hijack, bans it, and keeps the room', () => {
    const g = guard({ behaviour: { failures: 2 } });
    g.rooms.acceptBinding(binding());
    for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: scanner, target: '101' });
    const d = g.rooms.acceptBinding(binding({ contact: scannerContact, source: scanner }));
    expect(d.outcome).toBe('hijack');
    expect(g.bans.get(scanner.ip)).toBeDefined();
    expect(g.rooms.get('101')?.contact).toBe('sip:101@192.0.2.10:5060');
  });

  it('leaves a binding refused before alone on a re-listing, and checks it again when it is a new REGISTER', () => {
    const g = guard({ behaviour: { failures: 2 } });
    g.rooms.acceptBinding(binding());
    for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: scanner, target: '101' });
    const hijack = binding({ contact: scannerContact, source: scanner });
    expect(g.rooms.acceptBinding(hijack).outcome).toBe('hijack');
    expect(g.rooms.acceptBinding(hijack).outcome).toBe('refused-before');
    expect(g.rooms.acceptBinding({ ...hijack, fresh: true }).outcome).toBe('hijack');
  });

  it('does not check a room re-registering from the address on file, even after failed logins of its own', () => {
    const g = guard({ behaviour: { failures: 2 } });
    g.rooms.acceptBinding(binding());
    for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: { ip: '192.0.2.10' }, target: '101' });
    expect(g.rooms.acceptBinding(binding({ contact: 'sip:101@192.0.2.10:5062' }))).toMatchObject({
      outcome: 'stored',
    });
  });

  it('moves a room on an authenticated binding from a clean new address', () => {
    const g = guard();
    g.rooms.acceptBinding(binding());
    const d = g.rooms.acceptBinding(binding({ contact: 'sip:101@192.0.2.77:5060', source: { ip: '192.0.2.77' } }));
    expect(d).toMatchObject({ outcome: 'stored', change: 'move' });
  });

  it('counts a first binding from a banned source as a hijack (its credentials are most likely cracked)', () => {
    const g = guard();
    g.bans.add('192.0.2.10', { reason: 'test' });
    expect(g.rooms.acceptBinding(binding()).outcome).toBe('hijack');
    expect(g.rooms.get('101')).toBeUndefined();
  });

  it('refuses a refresh from a room whose address was banned since', () => {
    const g = guard();
    g.rooms.acceptBinding(binding());
    g.bans.add('192.0.2.10', { reason: 'test' });
    expect(g.rooms.acceptBinding(binding())).toEqual({ outcome: 'refused', reason: 'banned source' });
  });

  it('stores a new binding without a source when unverifiable is open, refuses it when closed, never moves on one', () => {
    const g = guard();
    const noSource = binding({ source: undefined, contact: 'sip:101@room.example.net' });
    expect(g.rooms.acceptBinding({ ...noSource, unverifiable: 'closed' })).toEqual({
      outcome: 'refused',
      reason: 'unverifiable',
    });
    expect(g.rooms.acceptBinding({ ...noSource, fresh: true })).toMatchObject({ outcome: 'stored', change: 'new' });
    const move = binding({ source: undefined, contact: 'sip:101@other.example.net', fresh: true });
    expect(g.rooms.acceptBinding(move)).toEqual({ outcome: 'refused', reason: 'unverifiable' });
    expect(g.rooms.get('101')?.contact).toBe('sip:101@room.example.net');
  });

  it('refuses a binding that does not decode (an adapter fault or a hostile field), without throwing', () => {
    const g = guard();
    expect(g.rooms.acceptBinding(binding({ aor: '' }))).toEqual({ outcome: 'refused', reason: 'invalid' });
    expect(g.rooms.acceptBinding(binding({ contact: 'x'.repeat(5000) }))).toEqual({
      outcome: 'refused',
      reason: 'invalid',
    });
    expect(g.rooms.acceptBinding(undefined as unknown as PlatformBinding)).toEqual({
      outcome: 'refused',
      reason: 'invalid',
    });
  });

  it('refuses a new room once the registry is full', () => {
    const g = guard({ rooms: { maxRooms: 1 } });
    expect(g.rooms.acceptBinding(binding()).outcome).toBe('stored');
    const other = binding({ aor: '102', contact: 'sip:102@192.0.2.11', source: { ip: '192.0.2.11' } });
    expect(g.rooms.acceptBinding(other)).toEqual({ outcome: 'refused', reason: 'registry full' });
  });
});
