/**
 * FreeSWITCH room registry benchmark, over a real loopback inbound Event Socket: how long the listing of a large
 * sofia profile takes on (re)connect (`sofia xmlstatus profile internal reg`, about 700 bytes per registration,
 * parsed and checked into guard.rooms), how many `sofia::register` events per second the adapter keeps up with
 * (new rooms, then refreshes), and the heap the registry costs per room. The FreeSWITCH stand-in runs in this
 * process (its encoding work is included in the event rate: a lower bound for the adapter alone).
 *
 * The adapter and the peer are imported by relative path, like bench/freeswitch.ts.
 */
import { performance } from 'node:perf_hooks';
import { createGuard } from '@ghostguard/core';
import { attachFreeswitch } from '../plugins/freeswitch/src/index.js';
import { waitUntil } from '../plugins/freeswitch/src/testing.js';
import { startEslInbound } from '../stand-ins/src/esl/index.js';
import { fmt, gc, type Row } from './harness.js';

const LISTED = 10_000;
const EVENTS = 20_000;
const BURST = 200;
const MB = 1e6;

function roomIp(i: number): string {
  return `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
}

export async function freeswitchRooms(): Promise<{ rows: Row[]; notes: string[] }> {
  const notes: string[] = [];
  const server = await startEslInbound();
  for (let i = 0; i < LISTED; i++) {
    server.sofia.register(
      {
        user: `room-${i}`,
        host: 'video.example.com',
        contactUri: `sip:room-${i}@${roomIp(i)}:5060;transport=tcp`,
        networkIp: roomIp(i),
        networkPort: 5060,
        expires: 3_600,
        callId: `reg-${i}`,
        userAgent: 'Cisco/CE (RoomKit Pro) RoomOS 11.14.1.5',
        transport: 'TCP',
        auth: 'ok',
      },
      true,
    );
  }
  const listingBytes = Buffer.byteLength(server.sofia.xmlStatus('internal'));
  const guard = createGuard({
    log: { level: 'silent' },
    dataDir: null,
    dialShape: { domains: ['video.example.com'], localAddresses: ['203.0.113.10'], knownTargets: [] },
    rooms: { maxRooms: LISTED + EVENTS + 10 },
  });
  gc();
  const heapBefore = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const fs = attachFreeswitch(
    guard,
    {},
    {
      outbound: { enabled: false },
      inbound: { host: '127.0.0.1', port: server.port, rooms: { maxListItems: LISTED + 10 } },
    },
  );
  await fs.listening;
  await waitUntil(() => fs.stats().rooms.listed === LISTED, 60_000, 'the listing');
  const listMs = performance.now() - t0;
  gc();
  const heapPerRoom = (process.memoryUsage().heapUsed - heapBefore) / LISTED;

  const before = fs.stats().rooms.stored;
  // sofia::register for rooms not listed yet, then refreshes of the same ones, in bursts of BURST events (a
  // registrar's pace comes in bursts; one 20,000-event write would measure modesl's buffer copying instead).
  const fire = async (offset: number) => {
    for (let i = 0; i < EVENTS / 2; i++) {
      if (i % BURST === 0 && i > 0) {
        const target = before + offset * (EVENTS / 2) + i;
        await waitUntil(() => fs.stats().rooms.stored >= target, 60_000, 'a burst');
      }
      const n = LISTED + i;
      server.sofia.register({
        user: `room-${n}`,
        host: 'video.example.com',
        contactUri: `sip:room-${n}@${roomIp(n)}:5060`,
        networkIp: roomIp(n),
        callId: `ev-${n}-${offset}`,
        auth: 'ok',
      });
    }
  };
  const t1 = performance.now();
  await fire(0);
  await fire(1);
  await waitUntil(() => fs.stats().rooms.stored - before === EVENTS, 60_000, 'the events');
  const eventsPerS = EVENTS / ((performance.now() - t1) / 1000);
  const s = fs.stats();
  const ok = guard.rooms.size === LISTED + EVENTS / 2 && s.rooms.hijacks === 0 && s.rooms.listFailures === 0;
  notes.push(
    `${ok ? 'check ok' : 'CHECK FAILED'}: ${guard.rooms.size.toLocaleString('en-US')} rooms on file (expected ${(LISTED + EVENTS / 2).toLocaleString('en-US')}), hijacks ${s.rooms.hijacks}, list failures ${s.rooms.listFailures}`,
  );
  notes.push(
    `listing: ${LISTED.toLocaleString('en-US')} registrations, ${fmt(listingBytes / MB)} MB of xmlstatus in one api/response; events: ${EVENTS.toLocaleString('en-US')} sofia::register (half new rooms, half refreshes) written by the in-process stand-in in bursts of ${BURST}`,
  );
  await fs.close();
  guard.close();
  await server.close();
  return {
    rows: [
      {
        name: `registration listing on connect (${LISTED.toLocaleString('en-US')} rooms)`,
        value: listMs,
        unit: 'ms',
        goal: { kind: 'max', value: 2_000, label: '<= 2 s' },
        note: 'from attach to every room on file: login, subscribe, api, transfer, parse, checkRegister + register each',
      },
      {
        name: 'sofia::register events followed',
        value: eventsPerS,
        unit: 'events/s',
        goal: { kind: 'min', value: 5_000, label: '>= 5,000/s' },
      },
      {
        name: 'heap per listed room (registry + adapter bindings)',
        value: heapPerRoom,
        unit: 'bytes',
        goal: { kind: 'max', value: 2_000, label: '<= 2 KB' },
      },
    ],
    notes,
  };
}
