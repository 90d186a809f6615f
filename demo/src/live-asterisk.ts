import { readFileSync } from 'node:fs';
import { attachAsterisk } from '@ghostguard/asterisk';
import { renderTable } from '@ghostguard/cli';
import { createGuard, loadConfigFile } from '@ghostguard/core';
import {
  invitesAsCalls,
  recordedServerStream,
  type ScriptedCall,
  startAmiPeer,
  waitUntil,
} from '@ghostguard/stand-ins/ami';
import { recordingPath } from './recordings.js';
import { roomsText } from './rooms-text.js';

/** How often the waits look again (ms). */
const POLL_MS = 2;

export interface LiveAsteriskDemoResult {
  title: string;
  lines: string[];
  scannerCalls: number;
  /** Scanner calls whose dialplan went on past the check (would ring a room). */
  scannerReachedRoom: number;
  legitCalls: number;
  legitReachedRoom: number;
}

interface DemoGroup {
  label: string;
  kind: 'scanner' | 'legitimate';
  calls: ScriptedCall[];
}

/**
 * Asterisk over a real loopback AMI connection to the wire-faithful peer (@ghostguard/stand-ins/ami): recorded
 * scanner and legitimate INVITEs and the recorded chan_ooh323 call run the example dialplan's check, the
 * recorded svwar REGISTER sweep's security events ban its source, and a later call from it is refused.
 * Room systems registered with the peer's PJSIP and chan_sip registrars are listed into the guard's room
 * registry on connect, and the recorded svcrack success (PeerStatus Registered from the scanner) is refused
 * as a hijack. `configPath` is the demo's ghostguard.yaml; the adapter's connection settings are the peer's.
 */
export async function runLiveAsteriskDemo(configPath: string): Promise<LiveAsteriskDemoResult> {
  const config = loadConfigFile(configPath);
  const rec = (f: string) => readFileSync(recordingPath(f), 'utf8');
  const groups: DemoGroup[] = [
    {
      label: 'svwar INVITE 100-199 (chan_sip)',
      kind: 'scanner',
      calls: invitesAsCalls(rec('recorded/kamailio-svwar-invite.sip.txt'), 'SIP'),
    },
    {
      label: 'svmap INVITE (PJSIP)',
      kind: 'scanner',
      calls: invitesAsCalls(rec('recorded/kamailio-svmap-invite.sip.txt'), 'PJSIP'),
    },
    {
      label: 'svmap INVITE at a room (PJSIP)',
      kind: 'scanner',
      calls: invitesAsCalls(rec('recorded/baresip-room-svmap-invite.sip.txt'), 'PJSIP'),
    },
    {
      label: 'H.323 toll fraud (chan_ooh323)',
      kind: 'scanner',
      calls: [
        {
          tech: 'OOH323',
          source: { ip: '192.0.2.45' },
          exten: '900441224000000',
          callerNum: '100',
          callerName: 'cisco',
        },
      ],
    },
    {
      label: 'room calls (PJSIP)',
      kind: 'legitimate',
      calls: invitesAsCalls(rec('legit/room-calls.sip.txt'), 'PJSIP'),
    },
    {
      label: 'bridge dialling 30 rooms (PJSIP)',
      kind: 'legitimate',
      calls: invitesAsCalls(rec('legit/bridge-30-rooms.sip.txt'), 'PJSIP'),
    },
    {
      label: 'baresip call (PJSIP)',
      kind: 'legitimate',
      calls: invitesAsCalls(rec('recorded/baresip-legit-register-call.sip.txt'), 'PJSIP'),
    },
    {
      label: 'recorded chan_ooh323 call (OOH323/callerb-0, fail-open)',
      kind: 'legitimate',
      calls: [
        {
          tech: 'OOH323',
          source: { ip: '127.0.0.2' },
          h323Name: 'callerb',
          exten: '5551234',
          callerNum: '2000',
          callerName: 'caller-b',
          h323Id: 'RealpeersCallerB',
          h323Digits: '2000',
        },
      ],
    },
  ];
  const peer = await startAmiPeer({ checkTimeoutMs: 2_000, tarpitHoldMs: 200 });
  // What Asterisk's registrars hold when ghostguard connects: three PJSIP room systems and one chan_sip peer.
  const registered = [
    { aor: 'room-boardroom', endpoint: 'room-boardroom', uri: 'sip:room-boardroom@192.0.2.10:5060', expires: 3_600 },
    { aor: 'room-huddle-3a', endpoint: 'room-huddle-3a', uri: 'sip:room-huddle-3a@192.0.2.21:51234', expires: 3_600 },
    { aor: '5551003', endpoint: 'room-exec-suite', uri: 'sip:5551003@192.0.2.34:36218', expires: 600 },
  ];
  for (const c of registered) peer.registrar.pjsipRegister(c, true);
  peer.registrar.sipRegister(
    { name: '101', address: { ip: '192.0.2.60', port: 5060 }, callerIdNum: '5551101', expires: 1_800 },
    true,
  );
  const guard = createGuard({ ...config, dataDir: null, log: { level: 'silent' } });
  const attachment = attachAsterisk(
    guard,
    { host: peer.host, port: peer.port, username: 'ghostguard', secret: 'ghostguard-secret' },
    // OOH323/callerb-0: chan_ooh323 matched the configured user by its Display name, from any address; its
    // address is in no AMI field, so the call is not judged (nor banned) as any address: fail-open lets it through.
    // The H.323 gate in front of chan_ooh323 judges such calls with their real address (examples/asterisk/h323-gate/).
    { failMode: 'open' },
  );
  const title = 'Live Asterisk: the example dialplan check over a loopback AMI connection (wire-faithful AMI peer)';
  const lines = [title];
  const totals = { scannerCalls: 0, scannerReachedRoom: 0, legitCalls: 0, legitReachedRoom: 0 };
  try {
    await attachment.ready;
    await waitUntil(
      () => attachment.stats().rooms.listed >= registered.length + 1,
      10_000,
      'the registrations',
      POLL_MS,
    );
    const rows: Array<Array<string | number>> = [];
    for (const g of groups) {
      const count = { allowed: 0, hungup: 0, redirected: 0 } as Record<string, number>;
      for (const c of g.calls) {
        const o = await peer.placeCall(c).outcome;
        count[o.kind] = (count[o.kind] ?? 0) + 1;
      }
      rows.push([g.label, g.calls.length, count.allowed ?? 0, count.hungup ?? 0, count.redirected ?? 0]);
      if (g.kind === 'scanner') {
        totals.scannerCalls += g.calls.length;
        totals.scannerReachedRoom += count.allowed ?? 0;
      } else {
        totals.legitCalls += g.calls.length;
        totals.legitReachedRoom += count.allowed ?? 0;
      }
    }
    // svwar's REGISTER sweep never creates a channel: Asterisk's security events are what the guard learns from.
    const sweep = recordedServerStream(recordingPath('asterisk-20.20.1/ami-events-svwar-default-open.follow.txt'));
    for (const text of sweep) peer.sendRaw(text);
    await waitUntil(() => attachment.stats().securityReports >= 900, 10_000, 'the security events', POLL_MS);
    const afterBan = await peer.placeCall({
      tech: 'PJSIP',
      source: { ip: '127.0.0.1', port: 5060 },
      exten: 'room-boardroom',
      userAgent: 'PolyStudio X50/4.1.0.330215',
      via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKd81e2a',
      from: '<sip:room-huddle-3a@video.example.com>;tag=1',
      to: '<sip:room-boardroom@video.example.com>',
      requestUri: 'sip:room-boardroom@video.example.com',
    }).outcome;
    totals.scannerCalls++;
    if (afterBan.kind === 'allowed') totals.scannerReachedRoom++;
    rows.push([
      'call from the svwar REGISTER source, after its ban',
      1,
      afterBan.kind === 'allowed' ? 1 : 0,
      afterBan.kind === 'hungup' ? 1 : 0,
      afterBan.kind === 'redirected' ? 1 : 0,
    ]);
    lines.push(renderTable(['calls', 'placed', 'continued (Setvar)', 'hung up', 'tarpitted (Redirect)'], rows));
    const s = attachment.stats();
    lines.push(
      `  security events reported: ${s.securityReports} (svwar REGISTER 100-999 on chan_sip), bans from them: ${s.bansFromReports}`,
    );
    // svcrack guessed 101's password: Asterisk accepted its REGISTER (PeerStatus Registered from the scanner).
    const crack = recordedServerStream(recordingPath('asterisk-20.20.1/ami-events-svcrack-101.follow.txt'));
    for (const text of crack) peer.sendRaw(text);
    await waitUntil(() => attachment.stats().rooms.hijacks >= 1, 10_000, 'the hijack check', POLL_MS);
    const after = attachment.stats();
    lines.push(
      `  registrations listed on connect: ${s.rooms.listed}; svcrack's cracked REGISTER for 101 (recorded): hijacks refused ${after.rooms.hijacks}, 101 still -> ${guard.rooms.get('101')?.contact ?? '(gone)'}, scanner banned: ${guard.bans.get('127.0.0.1') ? 'yes' : 'no'}`,
    );
    lines.push(...roomsText(guard));
  } finally {
    await attachment.close();
    guard.close();
    await peer.close();
  }
  return { title, lines, ...totals };
}
