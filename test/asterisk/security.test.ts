import { join } from 'node:path';
import { waitUntil } from '@ghostguard/asterisk/testing';
import { type AmiPeer, recordedServerStream, securityEvent, startAmiPeer } from '@ghostguard/stand-ins/ami';
import { afterEach, describe, expect, it } from 'vitest';
import { AST_FIXTURES, demoConfig, type Rig, rig } from './support.js';

let peer: AmiPeer | undefined;
let r: Rig | undefined;
afterEach(async () => {
  await r?.attachment.close();
  r?.guard.close();
  await peer?.close();
  r = undefined;
  peer = undefined;
});

/** The server side of a recorded AMI session, verbatim. */
const recordedStream = (name: string): string[] => recordedServerStream(join(AST_FIXTURES, name));

describe('Asterisk security events feed guard.report()', () => {
  it('bans the svwar source after the recorded InvalidAccountID stream, and refuses its later call at the check', async () => {
    peer = await startAmiPeer({ checkTimeoutMs: 5_000 });
    r = rig(peer);
    await r.attachment.ready;
    const stream = recordedStream('ami-events-svwar-default-open.follow.txt');
    expect(stream.length).toBe(901);
    for (const block of stream) peer.sendRaw(block);
    await waitUntil(() => r!.attachment.stats().securityReports === 900, 10_000, '900 failure reports');
    // 899 InvalidAccountID + 1 FailedACL reported; ChallengeSent is not a failure
    const ban = r.guard.bans.get('127.0.0.1');
    expect(ban?.reason).toMatch(/failures reported by the PBX/);
    expect(r.attachment.stats().bansFromReports).toBe(1);
    expect(r.logs.events('asterisk-ban')[0]).toMatchObject({ ip: '127.0.0.1' });
    // A call from the banned source, made to look legitimate, is refused at the check.
    const outcome = await peer.placeCall({
      tech: 'PJSIP',
      source: { ip: '127.0.0.1', port: 5060 },
      exten: 'room-boardroom',
      userAgent: 'PolyStudio X50/4.1.0.330215',
      via: 'SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKd81e2a',
      from: '"Huddle" <sip:room-huddle-3a@video.example.com>;tag=8a2b',
      to: '<sip:room-boardroom@video.example.com>',
      requestUri: 'sip:room-boardroom@video.example.com',
    }).outcome;
    expect(outcome.kind).not.toBe('allowed');
    expect(r.logs.events('asterisk-call')[0]!.rules).toEqual(['known-bad.banned']);
  });

  it('reports svcrack password guessing (InvalidPassword, ChallengeResponseFailed, FailedACL) and bans at failuresToBan', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig({ bans: { failuresToBan: 5 } }));
    await r.attachment.ready;
    for (const name of [
      'ami-events-svcrack-101.follow.txt',
      'ami-events-svcrack-usermismatch.follow.txt',
      'ami-events-svcrack-102acl.follow.txt',
    ]) {
      for (const block of recordedStream(name)) peer.sendRaw(block);
    }
    const failures = ['InvalidPassword', 'ChallengeResponseFailed', 'FailedACL'].reduce(
      (n, e) =>
        n +
        [
          'ami-events-svcrack-101.follow.txt',
          'ami-events-svcrack-usermismatch.follow.txt',
          'ami-events-svcrack-102acl.follow.txt',
        ]
          .flatMap(recordedStream)
          .filter((b) => b.startsWith(`Event: ${e}\r\n`)).length,
      0,
    );
    await waitUntil(() => r!.attachment.stats().securityReports === failures, 10_000, `${failures} reports`);
    expect(r.guard.bans.get('127.0.0.1')).toBeDefined();
  });

  it('reads the IPv6 RemoteAddress form and maps no_extension_match to an unknown target', async () => {
    peer = await startAmiPeer();
    r = rig(peer, demoConfig({ bans: { failuresToBan: 3 } }));
    await r.attachment.ready;
    for (let i = 0; i < 3; i++) {
      peer.publish(
        securityEvent({
          event: 'InvalidAccountID',
          accountId: String(100 + i),
          remote: { ip: '2001:db8::bad', port: 5060 },
        }),
      );
    }
    await waitUntil(() => r!.guard.bans.get('2001:db8::bad') !== undefined, 5_000, 'the IPv6 ban');
    peer.publish(
      securityEvent({
        event: 'FailedACL',
        accountId: 'admin',
        remote: { ip: '198.51.100.61', port: 5060 },
        extra: [['ACLName', 'no_extension_match']],
      }),
    );
    await waitUntil(() => r!.attachment.stats().securityReports === 4, 5_000, 'the FailedACL report');
    expect(r.guard.bans.explain('198.51.100.61').activity?.failuresInWindow).toBe(1);
  });

  it('ignores a security event whose RemoteAddress is not an address, and says so', async () => {
    peer = await startAmiPeer();
    r = rig(peer);
    await r.attachment.ready;
    peer.publish([
      ['Event', 'InvalidPassword'],
      ['Privilege', 'security,all'],
      ['AccountID', '100'],
      ['RemoteAddress', 'IPV4/UDP/not-an-ip/5060'],
    ]);
    await waitUntil(() => r!.attachment.stats().invalidSecurityEvents === 1, 5_000, 'the invalid event');
    expect(r.attachment.stats().securityReports).toBe(0);
    expect(r.logs.events('asterisk-security-event-invalid')[0]).toMatchObject({ securityEvent: 'InvalidPassword' });
  });
});
