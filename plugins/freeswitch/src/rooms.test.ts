import { contactHost, createGuard, type Guard } from '@ghostguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveFreeswitchOptions } from './options.js';
import { type ApiResult, FreeswitchRooms } from './rooms.js';
import type { SofiaBinding } from './sofia-registrations.js';
import { emptyStats } from './stats.js';

let guard: Guard | undefined;
afterEach(() => {
  guard?.close();
  guard = undefined;
});

function rig(rooms: Record<string, unknown> = {}, config: Record<string, unknown> = {}) {
  guard = createGuard({ log: { level: 'silent' }, dataDir: null, ...config });
  const opts = resolveFreeswitchOptions({}, { inbound: { rooms } }, guard);
  const stats = emptyStats();
  const sync = new FreeswitchRooms(guard, opts.inbound.rooms, opts.logger, stats);
  const sent: string[] = [];
  const answers = new Map<string, string>();
  const api = (command: string, done: (r: ApiResult) => void) => {
    sent.push(command);
    done({ ok: true, body: answers.get(command) ?? '+OK flushing all registrations matching specified call_id\n' });
  };
  return { g: guard, sync, stats, sent, api, answers };
}

const binding = (over: Partial<SofiaBinding> = {}): SofiaBinding => ({
  profile: 'internal',
  user: '1000',
  host: 'video.example.com',
  contact: '"1000" <sip:1000@10.0.0.21:5060>',
  callId: 'room-call-id',
  source: { ip: '10.0.0.21', port: 5060 },
  expires: 600,
  userAgent: 'Poly',
  ...over,
});

/** Three auth failures from `ip` make its next valid credentials count as cracked. */
function guessFrom(g: Guard, ip: string): void {
  for (let i = 0; i < 3; i++) g.report({ kind: 'auth-failure', source: { ip }, target: '1000', time: Date.now() });
}

describe('FreeswitchRooms', () => {
  it('refuses a cracked move; flushes by Call-ID only when the Call-ID is safe on a command line', () => {
    const { g, sync, stats, sent, api } = rig({}, { bans: { failuresToBan: 50 } });
    sync.onEvent({ kind: 'register', binding: binding() }, api);
    guessFrom(g, '203.0.113.66');
    const evil = { source: { ip: '203.0.113.66', port: 5072 }, contact: '<sip:1000@203.0.113.66>' };
    sync.onEvent({ kind: 'register', binding: binding({ ...evil, callId: 'has space' }) }, api);
    expect(sent).toEqual([]);
    sync.onEvent({ kind: 'register', binding: binding({ ...evil, callId: 'svcrack-2' }) }, api);
    expect(sent).toEqual(['sofia profile internal flush_inbound_reg svcrack-2']);
    expect(g.rooms.get('1000')?.source?.ip).toBe('10.0.0.21');
    expect(stats.rooms).toMatchObject({ hijacks: 2, flushed: 1, stored: 1 });
    // The flush's sofia::expire names the hijacker's Call-ID: the room stays.
    sync.onEvent({ kind: 'expire', binding: binding({ ...evil, callId: 'svcrack-2', source: undefined }) }, api);
    expect(g.rooms.isRoom('1000')).toBe(true);
  });

  it('flushes nothing in monitor mode (the hijack is still logged and refused in the registry)', () => {
    const { g, sync, stats, sent, api } = rig({}, { mode: 'monitor', bans: { failuresToBan: 50 } });
    sync.onEvent({ kind: 'register', binding: binding() }, api);
    guessFrom(g, '203.0.113.66');
    sync.onEvent(
      {
        kind: 'register',
        binding: binding({ source: { ip: '203.0.113.66' }, contact: '<sip:1000@203.0.113.66>', callId: 'm1' }),
      },
      api,
    );
    expect(sent).toEqual([]);
    expect(stats.rooms.hijacks).toBe(1);
    expect(g.rooms.get('1000')?.source?.ip).toBe('10.0.0.21');
  });

  it('does not flush with flushHijacks off, and a re-listing does not report the same hijack again', () => {
    const { g, sync, stats, sent, api, answers } = rig({ flushHijacks: false }, { bans: { failuresToBan: 50 } });
    sync.onEvent({ kind: 'register', binding: binding() }, api);
    guessFrom(g, '203.0.113.66');
    const row = (ip: string, callId: string) =>
      '    <registration>\n' +
      `        <call-id>${callId}</call-id>\n        <user>1000@video.example.com</user>\n` +
      `        <contact>&lt;sip:1000@${ip}&gt;</contact>\n` +
      '        <status>Registered(UDP)(unknown) exp(x) expsecs(300)</status>\n' +
      `        <network-ip>${ip}</network-ip>\n        <network-port>5072</network-port>\n    </registration>\n`;
    answers.set(
      'sofia xmlstatus profile internal reg',
      `<?xml version="1.0" encoding="ISO-8859-1"?>\n<profile>\n  <registrations>\n${row('203.0.113.66', 'c9')}  </registrations>\n</profile>\n`,
    );
    sync.resync(api);
    sync.resync(api);
    expect(stats.rooms.hijacks).toBe(1);
    expect(sent.filter((c) => c.includes('flush'))).toEqual([]);
    // The AOR is listed (with the hijacker's binding): the registry keeps the room where it was.
    expect(g.rooms.get('1000')?.source?.ip).toBe('10.0.0.21');
  });

  it('stores a binding without a source only where it moves nothing; never one from a banned source', () => {
    const { g, sync, stats, api } = rig();
    sync.onEvent({ kind: 'register', binding: binding({ source: undefined }) }, api);
    expect(g.rooms.isRoom('1000')).toBe(true);
    sync.onEvent({ kind: 'register', binding: binding({ source: undefined, contact: '<sip:1000@10.9.9.9>' }) }, api);
    expect(g.rooms.get('1000')?.contact).toContain('10.0.0.21');
    g.bans.add('198.51.100.4', { reason: 'test' });
    sync.onEvent({ kind: 'register', binding: binding({ user: '2000', source: { ip: '198.51.100.4' } }) }, api);
    expect(g.rooms.isRoom('2000')).toBe(false);
    // The core counts credentials from a banned source as cracked: even a first binding is a hijack.
    expect(stats.rooms).toMatchObject({ refused: 1, hijacks: 1 });
  });

  it('ignores profiles it does not follow, and sofia::register with expires 0 removes the room', () => {
    const { g, sync, api } = rig({ profiles: ['internal'] });
    sync.onEvent({ kind: 'register', binding: binding({ profile: 'external' }) }, api);
    expect(g.rooms.size).toBe(0);
    sync.onEvent({ kind: 'register', binding: binding() }, api);
    sync.onEvent({ kind: 'register', binding: binding({ expires: 0 }) }, api);
    expect(g.rooms.size).toBe(0);
  });

  it('reads the host a sofia contact points at', () => {
    expect(contactHost('"1000" <sip:1000@10.0.0.21:5060;transport=tcp>')).toBe('10.0.0.21');
    expect(contactHost('<sip:1000@[2001:db8::5]:5062>')).toBe('2001:db8::5');
    expect(contactHost('sip:room@pbx.example.com')).toBe('pbx.example.com');
  });
});
