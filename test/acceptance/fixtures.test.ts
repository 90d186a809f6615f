import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { analyzeFile, readInputFile } from '@ghostguard/cli';
import { type CallAttempt, createGuard, type GhostguardConfig, loadConfigFile, parseConfig } from '@ghostguard/core';
import { DEMO_CONFIG, DEMO_SCENARIOS } from '@ghostguard/demo';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SILENT = { log: { level: 'silent' as const } };

/** Every recording of SIPVicious in the repository, and where it came from. */
const SCANNER_FILES = [
  ...readdirSync(join(ROOT, 'test/fixtures/shared-recordings'))
    .filter((f) => f.endsWith('.pcap') && !f.includes('originate'))
    .map((f) => `test/fixtures/shared-recordings/${f}`),
  ...readdirSync(join(ROOT, 'test/fixtures/recorded'))
    .filter((f) => f.endsWith('.pcap') && !f.includes('legit'))
    .map((f) => `test/fixtures/recorded/${f}`),
];

function scannerAttempts(file: string): CallAttempt[] {
  // Every out-of-dialog request in these recordings is the scanner's: the servers (Kamailio, FreeSWITCH,
  // the answering baresip room) only answer, and their in-dialog BYEs are not judged.
  return readInputFile(join(ROOT, file)).records.flatMap((r) => (r.kind === 'attempt' ? [r.attempt] : []));
}

function configs(): Array<[string, GhostguardConfig]> {
  return [
    ['default config', parseConfig(SILENT)],
    ['demo config', { ...loadConfigFile(DEMO_CONFIG), ...SILENT }],
  ];
}

describe('every SIPVicious request in the fixtures is refused from its first packet', () => {
  for (const file of SCANNER_FILES) {
    it(`${file}`, () => {
      const attempts = scannerAttempts(file);
      expect(attempts.length).toBeGreaterThan(0);
      for (const [name, config] of configs()) {
        for (const a of attempts) {
          // A fresh guard per request: no ban, no behaviour history, only what this one packet shows.
          const guard = createGuard(config);
          const v = guard.judge(a);
          guard.close();
          expect(
            v.action,
            `${name}: ${a.method} ${a.protocol === 'sip' ? a.sip.requestUri : a.target.user} (${a.callId}) got ${JSON.stringify(v.reasons)}`,
          ).not.toBe('allow');
        }
      }
    });
  }

  it('covers svmap, svwar (REGISTER, OPTIONS, INVITE) and svcrack, over IPv4 and IPv6', () => {
    const all = SCANNER_FILES.flatMap(scannerAttempts);
    const methods = new Set(all.map((a) => a.method));
    expect([...methods].sort()).toEqual(['INVITE', 'OPTIONS', 'REGISTER']);
    expect(all.some((a) => a.source.ip.includes(':'))).toBe(true);
    expect(all.some((a) => a.protocol === 'sip' && a.sip.authUser !== undefined)).toBe(true);
    expect(all.length).toBeGreaterThan(1200);
  });
});

describe('no legitimate fixture is blocked', () => {
  const legit = DEMO_SCENARIOS.filter((s) => s.kind === 'legitimate');
  for (const scenario of legit) {
    for (const [name, config] of configs()) {
      it(`${scenario.title} (${name})`, () => {
        const guard = createGuard(config);
        try {
          const judged = scenario.files.flatMap((f) => analyzeFile(f, guard).judged);
          expect(judged.length).toBeGreaterThan(0);
          for (const j of judged) {
            expect(
              j.verdict.action,
              `${j.attempt.method} from ${j.attempt.source.ip}: ${JSON.stringify(j.verdict.reasons)}`,
            ).toBe('allow');
          }
        } finally {
          guard.close();
        }
      });
    }
  }

  it('the bridge really dials 30 rooms from one address within 2 s', () => {
    const attempts = readInputFile(join(ROOT, 'test/fixtures/legit/bridge-30-rooms.sip.txt')).records.flatMap((r) =>
      r.kind === 'attempt' ? [r.attempt] : [],
    );
    expect(new Set(attempts.map((a) => a.target.user)).size).toBe(30);
    expect(new Set(attempts.map((a) => a.source.ip)).size).toBe(1);
    expect(attempts.at(-1)!.time - attempts[0]!.time).toBeLessThan(2000);
  });
});
