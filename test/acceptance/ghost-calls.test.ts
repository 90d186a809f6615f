/**
 * The ghost call that looks like a real call (test/fixtures/ghost/, written from the public descriptions by
 * tools/make_ghost.py): no scanner marker, ten INVITEs at one real room, one every 1–3 s. With a site config
 * (the demo's: served domain, the SBC's own addresses, every room known) each variant must be refused from
 * its first attempt or, at the very worst, reach the room once in ten; the legitimate fixtures stay allowed.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeFile, readInputFile } from '@ghostguard/cli';
import { type CallAttempt, createGuard, type GhostguardConfig, parseConfig } from '@ghostguard/core';
import { parseSipRequestAttempt } from '@ghostguard/core/sip';
import { DEMO_SCENARIOS } from '@ghostguard/demo';
import { readChannelData } from '@ghostguard/freeswitch';
import { describe, expect, it } from 'vitest';
import { GHOST_DIR, GHOST_VARIANTS, ghostSiteConfig } from '../ghost-fixtures.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SILENT = { log: { level: 'silent' as const } };

function invites(file: string): CallAttempt[] {
  return readInputFile(join(GHOST_DIR, file)).records.flatMap((r) =>
    r.kind === 'attempt' && r.attempt.method === 'INVITE' ? [r.attempt] : [],
  );
}

describe('ghost calls that look like real calls', () => {
  it('the fixtures carry no scanner tool marker and rotate their source ports', () => {
    for (const file of GHOST_VARIANTS) {
      const attempts = invites(file);
      expect(attempts).toHaveLength(10);
      expect(new Set(attempts.map((a) => a.source.port)).size, file).toBeGreaterThan(5);
      const guard = createGuard(parseConfig(SILENT));
      for (const a of attempts) {
        // The one shape rule allowed: a caller posing as the target itself is what these calls do.
        const markers = guard
          .judge(a)
          .reasons.filter((r) => r.rule.startsWith('fp.') && r.rule !== 'fp.shape.from-equals-to');
        expect(markers, file).toEqual([]);
      }
      guard.close();
    }
  });

  const reachedOf = (file: string, config: GhostguardConfig) => {
    const guard = createGuard(config);
    try {
      const verdicts = invites(file).map((a) => guard.judge(a));
      return { reached: verdicts.filter((v) => v.action === 'allow').length, sent: verdicts.length, verdicts };
    } finally {
      guard.close();
    }
  };

  for (const file of GHOST_VARIANTS) {
    it(`${file}: reaches the room at most once in ten with a site config`, () => {
      const { reached, sent, verdicts } = reachedOf(file, ghostSiteConfig());
      // The measurement the issue asks for, printed in the test output.
      console.log(
        `ghost ${file}: reached ${reached} / sent ${sent} (actions ${verdicts.map((v) => v.action).join(' ')})`,
      );
      expect(
        reached,
        JSON.stringify(verdicts.map((v) => v.reasons.map((r) => `${r.rule}:${r.weight}`))),
      ).toBeLessThanOrEqual(1);
      // A repeat offender ends banned (IPv4), or refused on its /64's memory when every call comes from a new
      // IPv6 address (a ban is per address).
      const last = verdicts.at(-1)!.reasons.map((r) => r.rule);
      expect(last).toContain(file.startsWith('ipv6') ? 'memory.refused-recently' : 'known-bad.banned');
    });
  }

  it('monitor mode changes nothing the caller sees, and still says what it would have done', () => {
    const { reached, verdicts } = reachedOf('ip-uri-extension-1001.sip.txt', { ...ghostSiteConfig(), mode: 'monitor' });
    expect(reached).toBe(10);
    expect(verdicts.filter((v) => v.intended !== 'allow').length).toBeGreaterThanOrEqual(9);
  });
});

describe('with the same site config, legitimate calls stay allowed', () => {
  for (const scenario of DEMO_SCENARIOS.filter((s) => s.kind === 'legitimate')) {
    it(scenario.title, () => {
      const guard = createGuard(ghostSiteConfig());
      try {
        for (const f of scenario.files) {
          for (const j of analyzeFile(f, guard).judged) {
            expect(
              j.verdict.action,
              `${j.attempt.method} ${j.attempt.source.ip}: ${JSON.stringify(j.verdict.reasons)}`,
            ).toBe('allow');
            expect(j.verdict.score, JSON.stringify(j.verdict.reasons)).toBeLessThan(50);
          }
        }
      } finally {
        guard.close();
      }
    });
  }

  it('the bridge dialling 30 rooms and the rooms calling each other get no identity, media or memory weight', () => {
    const guard = createGuard(ghostSiteConfig());
    try {
      for (const f of ['test/fixtures/legit/bridge-30-rooms.sip.txt', 'test/fixtures/legit/room-calls.sip.txt']) {
        for (const j of analyzeFile(join(ROOT, f), guard).judged) {
          if (j.attempt.method !== 'INVITE') continue;
          const weighed = j.verdict.reasons.filter(
            (r) => /^(identity|media|memory|callers)\./.test(r.rule) && r.weight > 0,
          );
          expect(weighed, f).toEqual([]);
        }
      }
    } finally {
      guard.close();
    }
  });
});

/** The CHANNEL_DATA a real FreeSWITCH 1.10.12 sent on the outbound socket (a `follow,tcp,ascii` text). */
function recordedChannelData(file: string): (name: string) => string | undefined {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf('Event-Name: CHANNEL_DATA');
  const block = text.slice(start, text.indexOf('\n\n', start));
  const headers = new Map<string, string>();
  for (const line of block.split('\n')) {
    const colon = line.indexOf(': ');
    if (colon > 0) headers.set(line.slice(0, colon), decodeURIComponent(line.slice(colon + 2)));
  }
  return (name) => headers.get(name);
}

describe('legitimate calls from the real servers and from unknown partners stay allowed', () => {
  const LIVE = join(ROOT, '../shared/fixtures/freeswitch-1.10.12-live/setup');
  // The site of that recording: rooms.example.com served from 127.0.0.1, rooms room1..room9.
  const fsSite = {
    ...SILENT,
    dialShape: { domains: ['rooms.example.com'], localAddresses: ['127.0.0.1'], knownTargets: ['room*'] },
  };

  it('a TANDBERG room of partner.example.com calling room1 through real FreeSWITCH (its CHANNEL_DATA) is allowed at score 0', () => {
    const read = readChannelData(recordedChannelData(join(LIVE, 'esl-outbound-allow-legit-call.txt')), Date.now());
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.attempt.media).toMatchObject({ offered: true, bfcp: true });
    const guard = createGuard(fsSite);
    const v = guard.judge(read.attempt);
    guard.close();
    expect(v).toMatchObject({ action: 'allow', score: 0 });
  });

  it('the scanner calls of the same recordings are still refused', () => {
    for (const f of ['esl-outbound-drop-sippts.txt', 'esl-outbound-reject-tollfraud.txt']) {
      const read = readChannelData(recordedChannelData(join(LIVE, f)), Date.now());
      expect(read.ok, f).toBe(true);
      if (!read.ok) continue;
      const guard = createGuard(fsSite);
      expect(guard.judge(read.attempt).action, f).not.toBe('allow');
      guard.close();
    }
  });

  it('an unknown partner domain calling rooms with video in open mode: every call allowed, nothing remembered', () => {
    const guard = createGuard(ghostSiteConfig());
    const sdp =
      'v=0\r\no=- 1 1 IN IP4 198.51.100.210\r\ns=-\r\nc=IN IP4 198.51.100.210\r\nt=0 0\r\n' +
      'm=audio 2326 RTP/AVP 96 9 0\r\na=rtpmap:96 opus/48000/2\r\nm=video 2328 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\n' +
      'm=application 5070 TCP/BFCP *\r\n';
    // Twelve calls in two minutes, some to the same room within seconds (a busy room redialled).
    const targets = [
      'room-boardroom',
      'room-boardroom',
      'room-huddle-3a',
      'room-boardroom',
      'room-training',
      'room-exec-suite',
    ];
    for (let i = 0; i < 12; i++) {
      const target = targets[i % targets.length]!;
      const text = [
        `INVITE sip:${target}@video.example.com SIP/2.0`,
        `Via: SIP/2.0/TLS 198.51.100.210:5061;branch=z9hG4bK.p${i}`,
        `From: "Newco Boardroom" <sip:boardroom@newco.example.org>;tag=t${i}`,
        `To: <sip:${target}@video.example.com>`,
        `Call-ID: newco-${i}`,
        'CSeq: 1 INVITE',
        'Contact: <sip:boardroom@198.51.100.210:5061;transport=tls>',
        'User-Agent: Cisco/CE (Room Bar) RoomOS 11.14',
        'Content-Type: application/sdp',
        `Content-Length: ${sdp.length}`,
        '',
        sdp,
      ].join('\r\n');
      const a = parseSipRequestAttempt(text, {
        source: { ip: '198.51.100.210', port: 5061, transport: 'tls' },
        local: { ip: '203.0.113.10' },
        time: 1_800_000_000_000 + i * 10_000,
      });
      const v = guard.judge(a);
      expect(v.action, JSON.stringify(v.reasons)).toBe('allow');
    }
    expect(guard.stats().rememberedSources).toBe(0);
    guard.close();
  });
});
