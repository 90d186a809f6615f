/**
 * examples/freeswitch/dialplan/ pasted into a vanilla FreeSWITCH 1.10.12 configuration as examples/freeswitch/README.md
 * says, loaded and run the way FreeSWITCH's XML dialplan would (stand-ins/src/esl/xml-dialplan.ts), around the real
 * adapter. The vanilla public context is an excerpt of conf/vanilla (fixtures/vanilla-1.10.12/README.md).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { Guard } from '@ghostguard/core';
import type { FreeswitchAttachment } from '@ghostguard/freeswitch';
import {
  type CallInfo,
  type ConfFiles,
  loadDialplan,
  type RunCallResult,
  ringingRoom,
  runCall,
} from '@ghostguard/stand-ins/esl';
import { afterEach, describe, expect, it } from 'vitest';
import { attachOutbound, capturingGuard } from './support.js';

const EXAMPLES = new URL('../../examples/freeswitch/dialplan/', import.meta.url);
const VANILLA = new URL('./fixtures/vanilla-1.10.12/', import.meta.url);
const LIVE = new URL('../../../shared/fixtures/freeswitch-1.10.12-live/', import.meta.url);
const GLOBALS = { domain: 'rooms.example.com' };
/**
 * A dialplan second. Calls that reach ghostguard keep FreeSWITCH's real 3 s deadline (a loaded machine must not
 * make it fire before the verdict); the fail-open tests, where ghostguard is down, scale it down to FAST_SECOND_MS:
 * they check what happens in which order, not how long it takes.
 */
const SECOND_MS = 1_000;
const FAST_SECOND_MS = 25;

function vanillaFiles(): ConfFiles {
  return {
    'dialplan/public.xml': readFileSync(new URL('dialplan/public.xml', VANILLA), 'utf8'),
    'dialplan/public/00_inbound_did.xml': readFileSync(new URL('dialplan/public/00_inbound_did.xml', VANILLA), 'utf8'),
  };
}

/** The examples copied where the README says: every file of examples/freeswitch/dialplan/ into conf/dialplan/. */
function exampleFiles(): ConfFiles {
  const out: ConfFiles = {};
  for (const f of readdirSync(EXAMPLES)) {
    if (f.endsWith('.xml')) out[`dialplan/${f}`] = readFileSync(new URL(f, EXAMPLES), 'utf8');
  }
  return out;
}

/** The way in as the project shipped it before: an extension in dialplan/public/ (recorded bypass). */
const OLD_PUBLIC_INCLUDE = `<include>
  <extension name="ghostguard" continue="false">
    <condition field="destination_number" expression="^(.+)$">
      <action application="sched_transfer" data="+3 $1 XML ghostguard-fallback"/>
      <action application="socket" data="127.0.0.1:8084 async full"/>
      <action application="transfer" data="$1 XML ghostguard-checked"/>
    </condition>
  </extension>
</include>`;

let guard: Guard | undefined;
let fs: FreeswitchAttachment | undefined;
const servers: Server[] = [];

afterEach(async () => {
  await fs?.close();
  guard?.close();
  fs = undefined;
  guard = undefined;
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function ghostguard(extra: Parameters<typeof attachOutbound>[1] = {}) {
  const c = capturingGuard({
    log: { level: 'silent' },
    dataDir: null,
    dialShape: { domains: ['rooms.example.com'], localAddresses: ['127.0.0.1'], knownTargets: ['room*'] },
  });
  guard = c.guard;
  fs = await attachOutbound(guard, extra);
  return { port: fs.outbound!.port, lines: c.lines };
}

/** A port nothing listens on (ghostguard not running). */
async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let seq = 0;
function sipCall(user: string, ua: string, ip = '127.0.5.23'): CallInfo {
  seq++;
  return {
    protocol: 'sip',
    source: { ip, port: 5070 },
    requestUri: { user, host: 'rooms.example.com' },
    from: { user: 'meeting-room', host: 'partner.example.com', display: 'Meeting Room', tag: `ba67c2${seq}` },
    to: { user, host: 'rooms.example.com' },
    callId: `42ed6115c7ce692b2f3a${String(seq).padStart(4, '0')}@${ip}`,
    via: `SIP/2.0/UDP ${ip}:5070;branch=z9hG4bK${seq}d1f0c7a;rport`,
    userAgent: ua,
    sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.5.23\r\ns=-\r\nc=IN IP4 127.0.5.23\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\n',
  };
}

/** Applications that route, answer or refuse a call: none may run before the socket. */
const DECISIVE = new Set(['transfer', 'bridge', 'respond', 'hangup', 'answer', 'deflect', 'pre_answer', 'ring_ready']);

function firstDecisive(r: RunCallResult) {
  return r.executed.find((e) => DECISIVE.has(e.app) || e.app === 'socket');
}

describe('the example dialplan in a vanilla FreeSWITCH 1.10.12 configuration', () => {
  it('reproduces the recorded bypass: in dialplan/public/, a scanner dialling 1000 never reaches the socket', async () => {
    // tarpit/bypass-1000-friendly-scanner.json: INVITE sip:1000@… with UA friendly-scanner got 100 + 502 from the
    // default context; ghostguard never saw it (vanilla public_extensions runs before public/*.xml).
    const { port } = await ghostguard();
    const dialplan = loadDialplan(
      { ...vanillaFiles(), 'dialplan/public/00_ghostguard.xml': OLD_PUBLIC_INCLUDE, ...exampleFiles() },
      GLOBALS,
    );
    const recorded = JSON.parse(readFileSync(new URL('tarpit/bypass-1000-friendly-scanner.json', LIVE), 'utf8'));
    const user = /^sip:([^@]+)@/.exec(recorded.sent[0].ruri)![1]!;
    const r = await runCall({
      dialplan,
      call: sipCall(user, recorded.invites[0].ua, '127.0.5.74'),
      context: 'public',
      socketOverride: { host: '127.0.0.1', port },
      secondMs: SECOND_MS,
    });
    expect(r.sockets).toHaveLength(0);
    expect(firstDecisive(r)).toMatchObject({ context: 'public', app: 'transfer', data: '1000 XML default' });
    expect(fs!.stats().judged).toBe(0);
  });

  it('with the profile context set to ghostguard, every inbound call reaches the socket before anything else', async () => {
    const { port } = await ghostguard();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const destinations = ['1000', '1019', '3500', '5551212', 'room1', 'service', '*97', 'x', '1000 XML default', "a'b"];
    const uas = ['friendly-scanner', 'TANDBERG/529 (ce11.5.2.4)'];
    let calls = 0;
    for (const user of destinations) {
      for (const ua of uas) {
        const r = await runCall({
          dialplan,
          call: sipCall(user, ua),
          context: 'ghostguard',
          socketOverride: { host: '127.0.0.1', port },
          contacts: { 'internal/room1@rooms.example.com': 'sip:room1@127.0.5.3:6099' },
          secondMs: SECOND_MS,
        });
        calls++;
        expect(firstDecisive(r), `${user} / ${ua}`).toMatchObject({ context: 'ghostguard', app: 'socket' });
        expect(r.sockets[0]?.path, `${user} / ${ua}`).toBe('verdict');
        // A refused call never goes further than the check.
        if (r.sockets[0]?.variables.ghostguard_verdict !== 'allow') {
          expect(r.executed.some((e) => e.context !== 'ghostguard')).toBe(false);
        }
      }
    }
    expect(fs!.stats().judged).toBe(calls);
  });

  it('the scanner of the recorded bypass is refused by ghostguard and never reaches the default context', async () => {
    const { port } = await ghostguard();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const r = await runCall({
      dialplan,
      call: sipCall('1000', 'friendly-scanner', '127.0.5.74'),
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      secondMs: SECOND_MS,
    });
    expect(r.sockets[0]?.variables.ghostguard_verdict).not.toBe('allow');
    expect(r.trace.some((l) => l.includes('@default]'))).toBe(false);
    expect(r.hangupCause).not.toBe('');
  });

  it('a destination with blanks cannot pick the context: judged, then refused with 404', async () => {
    const { port } = await ghostguard();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const r = await runCall({
      dialplan,
      call: sipCall('1000 XML default', 'TANDBERG/529 (ce11.5.2.4)'),
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      secondMs: SECOND_MS,
    });
    expect(r.sockets).toHaveLength(1);
    expect(r.trace.some((l) => l.startsWith('Transfer'))).toBe(false);
    expect(r.sipStatus).toBe(404);
  });
});

describe('the rooms context (examples/freeswitch/dialplan/ghostguard-rooms.xml)', () => {
  it('bridges an allowed call to the registered room with the caller’s Call-ID', async () => {
    const { port } = await ghostguard();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const call = sipCall('room1', 'TANDBERG/529 (ce11.5.2.4)');
    const r = await runCall({
      dialplan,
      call,
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      contacts: { 'internal/room1@rooms.example.com': 'sip:room1@127.0.5.3:6099' },
      secondMs: SECOND_MS,
    });
    // As recorded (setup/freeswitch-log-allowed-call-dialplan.txt): public check → ghostguard-checked → rooms → bridge.
    expect(r.trace.filter((l) => l.startsWith('Transfer'))).toEqual([
      'Transfer to XML[room1@ghostguard-checked]',
      'Transfer to XML[room1@rooms]',
    ]);
    expect(r.bridges).toEqual([
      expect.objectContaining({
        profile: 'internal',
        uri: 'sip:room1@127.0.5.3:6099',
        callId: (call as { callId: string }).callId,
      }),
    ]);
    expect(r.answered).toBe(true);
  });

  it('a Call-ID that could break out of the variable block is not copied; the room still rings', async () => {
    const { port } = await ghostguard();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const call = { ...sipCall('room1', 'TANDBERG/529 (ce11.5.2.4)'), callId: 'x}sofia/external/sip:evil@192.0.2.9,' };
    const r = await runCall({
      dialplan,
      call,
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      contacts: { 'internal/room1@rooms.example.com': 'sip:room1@127.0.5.3:6099' },
      secondMs: SECOND_MS,
    });
    expect(r.bridges).toEqual([expect.objectContaining({ uri: 'sip:room1@127.0.5.3:6099', callId: undefined })]);
  });

  it('a number that is no registered room goes on to the vanilla public context after the check', async () => {
    const { port } = await ghostguard();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const r = await runCall({
      dialplan,
      call: sipCall('5551212', 'TANDBERG/529 (ce11.5.2.4)'),
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      secondMs: SECOND_MS,
    });
    expect(r.sockets[0]?.variables.ghostguard_verdict).toBe('allow');
    expect(r.trace.filter((l) => l.startsWith('Transfer'))).toEqual([
      'Transfer to XML[5551212@ghostguard-checked]',
      'Transfer to XML[5551212@rooms]',
      'Transfer to XML[5551212@public]',
      'Transfer to XML[1000@default]',
    ]);
  });
});

describe('fail-open with ghostguard down (defect: the deadline yanked ringing calls)', () => {
  const recordedRoom = (file: string) =>
    readFileSync(new URL(`fallback/${file}`, LIVE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((e) => 'invite' in e || 'cancel' in e)
      .map((e) => ('invite' in e ? 'INVITE' : 'CANCEL'));

  async function ringThrough(files: ConfFiles) {
    const port = await deadPort();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...files }, GLOBALS);
    const room: Array<{ invite?: string; cancel?: string; uri: string }> = [];
    // The recorded room rings 8 s, then answers 486 (USER_BUSY); the deadline is 3 s.
    const r = await runCall({
      dialplan,
      call: sipCall('room30', 'TANDBERG/529 (ce11.5.2.4)'),
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      contacts: { 'internal/room30@rooms.example.com': 'sip:room30@127.0.5.3:6099' },
      dial: ringingRoom(8 * FAST_SECOND_MS, { answered: false, cause: 'USER_BUSY' }, room),
      secondMs: FAST_SECOND_MS,
    });
    return { r, room: room.map((e) => (e.invite ? 'INVITE' : 'CANCEL')) };
  }

  it('without sched_cancel the stand-in replays the recording: INVITE, CANCEL, INVITE and "no verdict in time"', async () => {
    const files = exampleFiles();
    files['dialplan/ghostguard.xml'] = files['dialplan/ghostguard.xml']!.replace(
      /\s*<(anti-)?action application="sched_cancel" data=""\/>/g,
      '',
    );
    const { r, room } = await ringThrough(files);
    expect(room).toEqual(recordedRoom('ringing-room.jsonl'));
    expect(r.logs.some((l) => l.includes('ghostguard gave no verdict in time'))).toBe(true);
    expect(r.sipStatus).toBe(486);
  });

  it('the example cancels the deadline on the fail-open path: one INVITE, the room rings until its own 486', async () => {
    const { r, room } = await ringThrough(exampleFiles());
    expect(room).toEqual(recordedRoom('ringing-room-with-sched_cancel-fix.jsonl'));
    expect(r.logs.some((l) => l.includes('fail-open'))).toBe(true);
    expect(r.logs.some((l) => l.includes('no verdict in time'))).toBe(false);
    expect(r.sipStatus).toBe(486);
  });
});

describe('allow.transfer (defect: uuid_transfer does not expand variables)', () => {
  /** The commands the adapter wrote in the recording, with `${destination_number}` as it went out. */
  function recordedTransferCommands(uuid: string): string {
    const text = readFileSync(new URL('transfer/esl-outbound-allow-transfer.txt', LIVE), 'utf8');
    const recordedUuid = /Unique-ID: ([0-9a-f-]{36})/.exec(text)![1]!;
    const start = text.indexOf('api sched_del');
    const end = text.indexOf('exit\n', start) + 'exit\n'.length;
    return `${text.slice(start, end).split(recordedUuid).join(uuid)}\n`;
  }

  /** An ESL app that answers every call with the recorded write (the adapter before the fix). */
  async function replayApp(): Promise<number> {
    const server = createServer((socket) => {
      socket.on('error', () => {});
      socket.write('connect\n\n');
      let text = '';
      socket.on('data', (chunk) => {
        text += chunk.toString('utf8');
        const uuid = /Unique-ID: ([0-9a-f-]{36})/.exec(text)?.[1];
        if (uuid && text.includes('Socket-Mode')) {
          socket.write(recordedTransferCommands(uuid));
          text = '';
        }
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    return (server.address() as { port: number }).port;
  }

  it('the stand-in replays the recording: the literal variable is transferred as is, No Route, 404', async () => {
    const port = await replayApp();
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const r = await runCall({
      dialplan,
      call: { ...sipCall('room1', 'TANDBERG/529 (ce11.5.2.4)'), uuid: '97f52c05-b8a1-4c32-b5c2-4c665cfd1967' },
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      contacts: { 'internal/room1@rooms.example.com': 'sip:room1@127.0.5.3:6099' },
      secondMs: SECOND_MS,
    });
    // transfer/freeswitch-log-uuid-transfer-literal.txt
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal FreeSWITCH transferred to, as recorded.
    expect(r.trace).toContain('Transfer to XML[${destination_number}@rooms]');
    expect(r.trace).toContain('No Route, Aborting');
    expect(r.hangupCause).toBe('NO_ROUTE_DESTINATION');
    expect(r.sipStatus).toBe(404); // transfer/latency-transfer-60.json: arm A got 100, 404
    expect(r.bridges).toHaveLength(0);
  });

  it('ghostguard fills the target in from CHANNEL_DATA: the allowed call reaches its room', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: FreeSWITCH's channel-variable syntax, not a template.
    const { port } = await ghostguard({ allow: { transfer: '${destination_number} XML rooms' } });
    const dialplan = loadDialplan({ ...vanillaFiles(), ...exampleFiles() }, GLOBALS);
    const r = await runCall({
      dialplan,
      call: sipCall('room1', 'TANDBERG/529 (ce11.5.2.4)'),
      context: 'ghostguard',
      socketOverride: { host: '127.0.0.1', port },
      contacts: { 'internal/room1@rooms.example.com': 'sip:room1@127.0.5.3:6099' },
      secondMs: SECOND_MS,
    });
    expect(r.sockets[0]?.commands).toContain(`api uuid_transfer ${r.variables.uuid} room1 XML rooms`);
    expect(r.trace).toContain('Transfer to XML[room1@rooms]');
    expect(r.bridges).toEqual([expect.objectContaining({ uri: 'sip:room1@127.0.5.3:6099' })]);
    expect(fs!.stats()).toMatchObject({ transferred: 1, transferUnsafe: 0 });
  });
});
