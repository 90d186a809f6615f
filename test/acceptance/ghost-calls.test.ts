/**
 * The ghost call that looks like a real call (test/fixtures/ghost/, written from the public descriptions by
 * tools/make_ghost.py): no scanner marker, ten INVITEs at one real room, one every 1–3 s. With a site config
 * (the demo's: served domain, the SBC's own addresses, every room known) each variant must be refused from
 * its first attempt or, at the very worst, reach the room once in ten; the legitimate fixtures stay allowed.
 */
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeFile, DEMO_CONFIG, DEMO_SCENARIOS, readInputFile } from '@ghostguard/cli';
import { type CallAttempt, createGuard, type GhostguardConfig, loadConfigFile, parseConfig } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const GHOST = join(ROOT, 'test/fixtures/ghost');
const SILENT = { log: { level: 'silent' as const } };
const siteConfig = (): GhostguardConfig => ({ ...loadConfigFile(DEMO_CONFIG), ...SILENT });

const VARIANTS = readdirSync(GHOST)
  .filter((f) => f.endsWith('.sip.txt'))
  .sort();

function invites(file: string): CallAttempt[] {
  return readInputFile(join(GHOST, file)).records.flatMap((r) =>
    r.kind === 'attempt' && r.attempt.method === 'INVITE' ? [r.attempt] : [],
  );
}

describe('ghost calls that look like real calls', () => {
  it('the fixtures carry no scanner tool marker and rotate their source ports', () => {
    for (const file of VARIANTS) {
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

  for (const file of VARIANTS) {
    it(`${file}: reaches the room at most once in ten with a site config`, () => {
      const { reached, sent, verdicts } = reachedOf(file, siteConfig());
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
    const { reached, verdicts } = reachedOf('ip-uri-extension-1001.sip.txt', { ...siteConfig(), mode: 'monitor' });
    expect(reached).toBe(10);
    expect(verdicts.filter((v) => v.intended !== 'allow').length).toBeGreaterThanOrEqual(9);
  });
});

describe('with the same site config, legitimate calls stay allowed', () => {
  for (const scenario of DEMO_SCENARIOS.filter((s) => s.kind === 'legitimate')) {
    it(scenario.title, () => {
      const guard = createGuard(siteConfig());
      try {
        for (const f of scenario.files) {
          for (const j of analyzeFile(join(ROOT, f), guard).judged) {
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
    const guard = createGuard(siteConfig());
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
