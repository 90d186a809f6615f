import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { renderTable } from '@ghostguard/cli';
import { createGuard, createLogger, loadConfigFile } from '@ghostguard/core';
import { attachFreeswitch } from '@ghostguard/freeswitch';
import { type CallInfo, type CallResult, placeCall, recordedInvites } from '@ghostguard/stand-ins/esl';
import { recordingPath } from './recordings.js';

export interface LiveFreeswitchDemoResult {
  title: string;
  lines: string[];
  scannerCalls: number;
  /** Scanner calls the dialplan went on with (would ring a room). */
  scannerReachedRoom: number;
  legitCalls: number;
  legitReachedRoom: number;
}

interface DemoGroup {
  label: string;
  kind: 'scanner' | 'legitimate';
  calls: CallInfo[];
}

/** Calls placed at once: the recordings' INVITE sweeps take a fraction of a second instead of one hold each. */
const CONCURRENCY = 16;
/** The demo's tarpit: a short hold so the sweep's 101 held calls finish quickly (production: tarpit.holdFor). */
const DEMO_TARPIT_HOLD_MS = 50;

async function placeAll(port: number, calls: readonly CallInfo[]): Promise<CallResult[]> {
  const results: CallResult[] = [];
  for (let i = 0; i < calls.length; i += CONCURRENCY) {
    const batch = calls.slice(i, i + CONCURRENCY).map((call) => placeCall({ port, call, maxCallMs: 5_000 }));
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

/**
 * FreeSWITCH over a real loopback outbound Event Socket, with the wire-faithful ESL peer (@ghostguard/stand-ins/esl)
 * playing FreeSWITCH: every recorded INVITE becomes the CHANNEL_DATA FreeSWITCH would hand the socket
 * application, and the peer follows the example dialplan after the verdict (examples/freeswitch/dialplan/).
 */
export async function runLiveFreeswitchDemo(configPath: string): Promise<LiveFreeswitchDemoResult> {
  const config = loadConfigFile(configPath);
  const rec = (f: string) => recordedInvites(readFileSync(recordingPath(f), 'utf8')).map((r) => r.call);
  const groups: DemoGroup[] = [
    { label: 'svwar INVITE 100-199', kind: 'scanner', calls: rec('recorded/kamailio-svwar-invite.sip.txt') },
    { label: 'svmap INVITE', kind: 'scanner', calls: rec('recorded/kamailio-svmap-invite.sip.txt') },
    { label: 'svmap INVITE at a room', kind: 'scanner', calls: rec('recorded/baresip-room-svmap-invite.sip.txt') },
    {
      label: 'H.323 toll fraud (mod_h323 channel)',
      kind: 'scanner',
      calls: [
        {
          protocol: 'h323',
          source: { ip: '127.6.0.9', port: 1720 },
          destination: '900441224000000',
          callerNumber: '100',
        },
      ],
    },
    { label: 'room calls', kind: 'legitimate', calls: rec('legit/room-calls.sip.txt') },
    { label: 'bridge dialling 30 rooms', kind: 'legitimate', calls: rec('legit/bridge-30-rooms.sip.txt') },
    { label: 'baresip call', kind: 'legitimate', calls: rec('recorded/baresip-legit-register-call.sip.txt') },
  ];
  const guard = createGuard({ ...config, dataDir: null }, { logger: createLogger({ log: { level: 'silent' } }) });
  const fs = attachFreeswitch(
    guard,
    {},
    {
      outbound: { host: '127.0.0.1', port: 0 },
      inbound: { enabled: false },
      tarpit: { maxHold: DEMO_TARPIT_HOLD_MS },
    },
  );
  await fs.listening;
  const title =
    'Live FreeSWITCH: the outbound Event Socket veto path over loopback (wire-faithful Event Socket peer, not a real FreeSWITCH)';
  const lines = [title];
  const totals = { scannerCalls: 0, scannerReachedRoom: 0, legitCalls: 0, legitReachedRoom: 0 };
  try {
    const port = fs.outbound?.port;
    if (port === undefined) throw new Error('the outbound socket did not listen');
    lines.push(`  outbound socket 127.0.0.1:${port}; config: ${relative(process.cwd(), configPath) || configPath}`);
    const rows: Array<Array<string | number>> = [];
    for (const g of groups) {
      const results = await placeAll(port, g.calls);
      const reached = results.filter((r) => r.reached).length;
      const statuses = [
        ...new Set(results.map((r) => (r.ringing ? '180 ' : '') + (r.sipStatus ?? (r.reached ? 'continued' : '-')))),
      ];
      rows.push([g.kind, g.label, g.calls.length, reached, results.length - reached, statuses.join(', ')]);
      if (g.kind === 'scanner') {
        totals.scannerCalls += g.calls.length;
        totals.scannerReachedRoom += reached;
      } else {
        totals.legitCalls += g.calls.length;
        totals.legitReachedRoom += reached;
      }
    }
    lines.push(
      renderTable(
        ['traffic', 'recording', 'INVITEs', 'went on in the dialplan', 'refused', 'what the caller got'],
        rows,
      ),
    );
    lines.push(
      `  scanner calls: ${totals.scannerCalls}; reached a room: ${totals.scannerReachedRoom}${totals.scannerReachedRoom === 0 ? ' (goal: 0)' : '  <-- goal is 0'}`,
    );
    lines.push(
      `  legitimate calls: ${totals.legitCalls}; reached a room: ${totals.legitReachedRoom}${totals.legitReachedRoom === totals.legitCalls ? ' (goal: all)' : '  <-- goal is all'}`,
    );
  } finally {
    await fs.close();
    guard.close();
  }
  return { title, lines, ...totals };
}
