import { describe, expect, it } from 'vitest';
import { contactHost, normalizeRoomName, RoomRegistry } from './room-registry.js';

const T0 = 1_700_000_000_000;

describe('RoomRegistry', () => {
  it('finds a registered room by its AOR, its user part and every alias, whatever the scheme or case', () => {
    const r = new RoomRegistry(100);
    r.register(
      {
        aor: 'sip:Room-1@Video.Example.com',
        aliases: ['5551001', 'h323:Boardroom'],
        contact: 'sip:room-1@10.0.0.5:5060',
        expires: 60,
      },
      T0,
    );
    for (const name of [
      'room-1@video.example.com',
      'ROOM-1',
      '<sip:room-1@video.example.com;transport=tcp>',
      '5551001',
      'boardroom',
    ]) {
      expect(r.get(name, T0)?.aor, name).toBe('room-1@video.example.com');
    }
    expect(r.get('room-2', T0)).toBeUndefined();
  });

  it('lets a registration expire, and removes it at once on expires 0', () => {
    const r = new RoomRegistry(100);
    r.register({ aor: 'room-1@v', contact: 'sip:room-1@10.0.0.5', expires: 60 }, T0);
    expect(r.get('room-1', T0 + 59_999)).toBeDefined();
    expect(r.get('room-1', T0 + 60_000)).toBeUndefined();
    expect(r.size).toBe(0);
    r.register({ aor: 'room-1@v', contact: 'sip:room-1@10.0.0.5', expires: 60 }, T0);
    r.register({ aor: 'room-1@v', contact: 'sip:room-1@10.0.0.5', expires: 0 }, T0 + 1);
    expect(r.get('room-1', T0 + 2)).toBeUndefined();
  });

  it('keeps static rooms from the config forever and does not let a registration replace them', () => {
    const r = new RoomRegistry(100, [{ name: 'h323-room', aliases: ['5552000'], address: '10.0.0.9' }], T0);
    expect(r.get('5552000', T0 + 365 * 86_400_000)?.static).toBe(true);
    r.register({ aor: 'h323-room', contact: 'sip:x@203.0.113.9', expires: 60 }, T0);
    expect(r.get('h323-room', T0)?.contact).toBe('10.0.0.9');
    expect(r.unregister('h323-room')).toBe(false);
  });

  it('lets a room declared without an address (an account) register on top, and keeps it known when it leaves', () => {
    const r = new RoomRegistry(10);
    r.declare({ name: 'boardroom', aliases: [] }, T0);
    // Declared, not registered: it exists (a call to it is no unknown target), and nothing is bound to move.
    expect(r.get('boardroom', T0)?.static).toBe(true);
    expect(r.classify('boardroom', 'sip:boardroom@192.168.1.20:5060', false, T0)).toBe('new');
    expect(r.isRoomAddress('203.0.113.7')).toBe(false);
    const reg = { aor: 'boardroom', contact: 'sip:boardroom@203.0.113.7:5062', source: { ip: '203.0.113.7' } };
    expect(r.register({ ...reg, expires: 60 }, T0)).toMatchObject({ static: false, contact: reg.contact });
    expect(r.size).toBe(1);
    expect(r.isRoomAddress('203.0.113.7')).toBe(true);
    expect(r.classify('boardroom', 'sip:boardroom@198.51.100.9', false, T0)).toBe('hijack');
    // Declared again (a reload of the accounts) while registered: the registration stays.
    r.declare({ name: 'boardroom', aliases: [] }, T0 + 1);
    expect(r.get('boardroom', T0 + 1)?.contact).toBe(reg.contact);
    // The registration runs out: the account is back, offline, at no address.
    expect(r.get('boardroom', T0 + 60_000)).toMatchObject({ static: true, contact: '' });
    expect(r.isRoomAddress('203.0.113.7')).toBe(false);
    r.register({ ...reg, expires: 60 }, T0 + 60_001);
    expect(r.unregister('boardroom')).toBe(true);
    expect(r.get('boardroom', T0 + 60_002)?.static).toBe(true);
    r.register({ ...reg, expires: 60 }, T0 + 60_003);
    r.register({ ...reg, expires: 0 }, T0 + 60_004);
    expect(r.list(T0 + 60_005)).toMatchObject([{ aor: 'boardroom', static: true, contact: '' }]);
  });

  it('refuses new rooms past the cap, after sweeping expired ones, and refuses oversized names', () => {
    const r = new RoomRegistry(2);
    expect(r.register({ aor: 'a', contact: 'c', expires: 10 }, T0)).toBeDefined();
    expect(r.register({ aor: 'b', contact: 'c', expires: 60 }, T0)).toBeDefined();
    expect(r.register({ aor: 'c', contact: 'c', expires: 60 }, T0)).toBeUndefined();
    expect(r.register({ aor: 'c', contact: 'c', expires: 60 }, T0 + 10_000)).toBeDefined();
    expect(r.register({ aor: 'b', contact: 'd', expires: 60 }, T0 + 10_000)?.contact).toBe('d');
    expect(new RoomRegistry(10).register({ aor: 'x'.repeat(300), contact: 'c', expires: 60 }, T0)).toBeUndefined();
  });

  it('classifies a REGISTER: new, refresh from the same address, move with credentials, hijack without', () => {
    const r = new RoomRegistry(10);
    expect(r.classify('room-1@v', 'sip:room-1@10.0.0.5', false, T0)).toBe('new');
    r.register({ aor: 'room-1@v', contact: 'sip:room-1@10.0.0.5:5060;transport=udp', expires: 60 }, T0);
    expect(r.classify('room-1@v', '<sip:room-1@10.0.0.5:5062>', false, T0)).toBe('refresh');
    expect(r.classify('room-1@v', 'sip:room-1@203.0.113.7', true, T0)).toBe('move');
    // svwar registers Contact: sip:<ext>@<proxy address> for every extension it probes.
    expect(r.classify('room-1', 'sip:room-1@127.0.0.1:5060', false, T0)).toBe('hijack');
  });

  it('normalizes names and contact hosts', () => {
    expect(normalizeRoomName(' "Room" <SIP:Room-1@Example.com>;tag=1')).toBe('room-1@example.com');
    expect(contactHost('sip:r@[2001:DB8::1]:5060')).toBe('2001:db8::1');
    expect(contactHost('10.0.0.5:1720')).toBe('10.0.0.5');
    expect(contactHost('2001:db8::5')).toBe('2001:db8::5');
  });
});
