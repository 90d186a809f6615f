import type { Guard } from '@ghostguard/core';
import { attachFreeswitch, type FreeswitchAttachment } from '@ghostguard/freeswitch';
import { waitUntil } from '@ghostguard/freeswitch/testing';
import { type EslInboundServer, startEslInbound } from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { capturingGuard } from './support.js';

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
let server: EslInboundServer | undefined;

afterEach(async () => {
  await fs?.close();
  await server?.close();
  guard?.close();
  fs = undefined;
  server = undefined;
  guard = undefined;
});

async function setup(password = 'ClueCon', config: Parameters<typeof capturingGuard>[0] = undefined) {
  server = await startEslInbound({ password: 'ClueCon' });
  const c = capturingGuard(config ?? { log: { level: 'silent' }, dataDir: null, bans: { failuresToBan: 3 } }, 'info');
  guard = c.guard;
  fs = attachFreeswitch(
    guard,
    {},
    {
      outbound: { enabled: false },
      inbound: {
        host: '127.0.0.1',
        port: server.port,
        password,
        reconnect: { initialDelay: 20, maxDelay: 200, factor: 2 },
      },
    },
  );
  await fs.listening;
  return c;
}

const hangupComplete = (cause: string, answered: boolean, ip = '192.0.2.21') =>
  [
    ['Event-Name', 'CHANNEL_HANGUP_COMPLETE'],
    ['Unique-ID', 'a6f1b7d0-0000-4000-8000-000000000001'],
    ['Call-Direction', 'inbound'],
    ['Hangup-Cause', cause],
    ['Caller-Destination-Number', 'room-boardroom'],
    ['Caller-Network-Addr', ip],
    ['Caller-Channel-Answered-Time', answered ? '1795293488671789' : '0'],
    ['variable_sip_network_ip', ip],
    ['variable_sip_network_port', '5060'],
  ] as const;

describe('inbound socket: the learning path', () => {
  it('authenticates and subscribes to channel events first, then CUSTOM and its subclasses', async () => {
    await setup();
    await fs!.ready;
    expect(server!.authAttempts).toEqual([{ password: 'ClueCon', accepted: true }]);
    expect(server!.subscriptions[0]).toMatchObject({
      line: 'event plain CHANNEL_HANGUP_COMPLETE CUSTOM sofia::register_failure sofia::register sofia::unregister sofia::expire',
      events: ['CHANNEL_HANGUP_COMPLETE', 'CUSTOM'],
      subclasses: ['sofia::register_failure', 'sofia::register', 'sofia::unregister', 'sofia::expire'],
    });
  });

  it('reports sofia::register_failure (network-ip, user-agent, to-user) and the guard bans the guesser', async () => {
    const c = await setup();
    await fs!.ready;
    for (const user of ['1000', '1001', '1002']) {
      expect(
        server!.registerFailure({
          networkIp: '203.0.113.99',
          networkPort: 5072,
          userAgent: 'friendly-scanner',
          toUser: user,
        }),
      ).toBe(1);
    }
    await waitUntil(() => fs!.stats().inbound.reported.authFailures === 3, 5_000, 'three reports');
    expect(guard!.bans.get('203.0.113.99')).toBeDefined();
    expect(c.lines.some((l) => l.event === 'freeswitch-inbound-subscribed')).toBe(true);
  });

  it('reports answered calls that cleared normally and unroutable ones, not the calls ghostguard refused', async () => {
    await setup();
    await fs!.ready;
    server!.emit(hangupComplete('NORMAL_CLEARING', true));
    server!.emit(hangupComplete('UNALLOCATED_NUMBER', false, '198.51.100.8'));
    server!.emit(hangupComplete('CALL_REJECTED', false, '198.51.100.9'));
    await waitUntil(() => fs!.stats().inbound.events === 3, 5_000, 'three events');
    expect(fs!.stats().inbound.reported).toEqual({ authFailures: 0, completedCalls: 1, unknownTargets: 1 });
  });

  it('reconnects with backoff after FreeSWITCH restarts, and subscribes again', async () => {
    await setup();
    await fs!.ready;
    await server!.stop();
    await waitUntil(
      () => !fs!.stats().inbound.connected && fs!.stats().inbound.reconnects >= 2,
      5_000,
      'failed retries',
    );
    await server!.start();
    await waitUntil(() => fs!.stats().inbound.connected, 5_000, 'the reconnect');
    expect(server!.subscriptions).toHaveLength(2);
    expect(server!.registerFailure({ networkIp: '203.0.113.7', toUser: '1000' })).toBe(1);
    await waitUntil(() => fs!.stats().inbound.reported.authFailures === 1, 5_000, 'a report after the restart');
  });

  it('a refused password is logged and retried at the slowest pace, never in a hot loop', async () => {
    const c = await setup('WrongPassword');
    await waitUntil(() => fs!.stats().inbound.authFailures >= 2, 5_000, 'two refused logins');
    expect(server!.authAttempts.every((a) => !a.accepted)).toBe(true);
    expect(c.lines).toContainEqual(expect.objectContaining({ code: 'GG_ESL_AUTH_FAILED' }));
    const retries = c.lines.filter((l) => l.event === 'freeswitch-inbound-lost').map((l) => l.retryIn);
    expect(retries.length).toBeGreaterThanOrEqual(1);
    expect(retries.every((ms) => ms === 200)).toBe(true);
  });

  it('malformed events (bad escapes, a plain event without a body) are survived', async () => {
    await setup();
    await fs!.ready;
    expect(server!.emitRaw('Content-Type: text/event-plain\n\n')).toBe(1);
    const body =
      'Event-Name: CUSTOM\nEvent-Subclass: sofia%3A%3Aregister_failure\nnetwork-ip: 203.0.113.5\nto-user: %E0%\n\n';
    const frame = `Content-Length: ${Buffer.byteLength(body)}\nContent-Type: text/event-plain\n\n${body}`;
    expect(server!.emitRaw(frame)).toBe(1);
    await waitUntil(() => fs!.stats().inbound.reported.authFailures === 1, 5_000, 'the report');
    expect(fs!.stats().badEscapes).toBeGreaterThanOrEqual(1);
    expect(fs!.stats().socketErrors).toBeGreaterThanOrEqual(1);
    expect(fs!.stats().inbound.connected).toBe(true);
  });

  it('does not report the NO_ROUTE of a call ghostguard moved itself, and says once that the target has no route', async () => {
    const c = await setup();
    await fs!.ready;
    const moved = [
      ...hangupComplete('NO_ROUTE_DESTINATION', false, '127.0.0.30'),
      ['variable_ghostguard_transferred', 'true'],
    ] as const;
    for (let i = 0; i < 3; i++) server!.emit(moved);
    server!.emit(hangupComplete('NO_ROUTE_DESTINATION', false, '198.51.100.10'));
    await waitUntil(() => fs!.stats().inbound.events >= 4);
    expect(fs!.stats().inbound.reported.unknownTargets).toBe(1);
    expect(fs!.stats().inbound.transferNoRoute).toBe(3);
    expect(c.lines.filter((l) => l.event === 'freeswitch-transfer-no-route')).toHaveLength(1);
  });

  it('at start-up with nothing listening, says it cannot connect and why (not "connection lost")', async () => {
    const c = capturingGuard({ log: { level: 'silent' }, dataDir: null }, 'info');
    guard = c.guard;
    const dead = await startEslInbound({ password: 'ClueCon' });
    const port = dead.port;
    await dead.close();
    fs = attachFreeswitch(
      guard,
      {},
      {
        outbound: { enabled: false },
        inbound: { host: '127.0.0.1', port, reconnect: { initialDelay: 10_000, maxDelay: 10_000, factor: 2 } },
      },
    );
    await waitUntil(() => c.lines.some((l) => l.event === 'freeswitch-inbound-lost'));
    const line = c.lines.find((l) => l.event === 'freeswitch-inbound-lost');
    expect(line).toMatchObject({ phase: 'connecting', reason: 'ECONNREFUSED', address: `127.0.0.1:${port}` });
    expect(String(line?.msg)).toContain('cannot connect');
    expect(String(line?.msg)).not.toContain('connection lost');
  });
});
