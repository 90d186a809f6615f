import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { CallAttempt } from './attempt.js';
import type { ConfigInput } from './config.js';
import { createGuard } from './guard.js';
import { sipAttempt } from './testing.js';

const T0 = 1_700_000_000_000;
const SERVED: ConfigInput = { dialShape: { domains: ['video.example.com'], knownTargets: ['room-*'] } };

/** The guard's log lines, each with the fake time it was written at. */
function capture(clock: { t: number }) {
  const lines: Array<Record<string, unknown> & { at: number }> = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      lines.push({ ...JSON.parse(String(chunk)), at: clock.t });
      cb();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

function scanner(ip: string, time: number): CallAttempt {
  return sipAttempt({
    source: { ip, port: 5061, transport: 'udp' },
    userAgent: 'friendly-scanner',
    time,
    target: { user: '100', host: '127.0.0.1' },
    caller: { user: '100', host: '1.1.1.1', display: 'sipvicious' },
  });
}

/** Refusals the verdict and refusals lines account for. */
function accounted(lines: Array<Record<string, unknown>>): number {
  let n = 0;
  for (const l of lines) {
    if (l.event === 'verdict') n += 1 + ((l.previous as { refusals?: number } | undefined)?.refusals ?? 0);
    if (l.event === 'refusals') n += typeof l.refusals === 'number' ? l.refusals : 0;
    if ((l.event === 'verdict' || l.event === 'refusals') && typeof l.unlogged === 'number') n += l.unlogged;
  }
  return n;
}

function perSecondMax(lines: Array<{ at: number }>): number {
  const buckets = new Map<number, number>();
  for (const l of lines) buckets.set(Math.floor(l.at / 1000), (buckets.get(Math.floor(l.at / 1000)) ?? 0) + 1);
  return Math.max(0, ...buckets.values());
}

describe("the guard's refusal lines under a flood", () => {
  for (const mode of ['enforce', 'monitor'] as const) {
    it(`${mode}: 100,000 scanner INVITEs from 10,000 sources write at most 20 verdict lines a second and one ban line per ban, and the lines account for every refusal`, () => {
      const clock = { t: T0 };
      const { logger, lines } = capture(clock);
      const g = createGuard({ ...SERVED, mode }, { logger, now: () => clock.t });
      let banEvents = 0;
      g.on('ban', () => banEvents++);
      let refused = 0;
      for (let round = 0; round < 10; round++) {
        for (let s = 0; s < 10_000; s++) {
          const v = g.judge(scanner(`10.9.${s >> 8}.${s & 255}`, clock.t));
          if (v.intended !== 'allow') refused++;
          clock.t += 0.1; // 10,000 a second
        }
      }
      expect(refused).toBe(100_000);
      expect(g.stats().byAction[mode === 'enforce' ? 'drop' : 'allow']).toBe(100_000); // metrics keep every count
      const bans = lines.filter((l) => l.event === 'ban');
      // One line per ban (addresses, and the /24s they fold into once 64 of one /24 are banned).
      expect(banEvents).toBeGreaterThan(1_000);
      expect(bans).toHaveLength(banEvents);
      const refusalLines = () => lines.filter((l) => l.event === 'verdict' || l.event === 'refusals');
      expect(perSecondMax(refusalLines())).toBeLessThanOrEqual(20);
      expect(refusalLines().length).toBeLessThanOrEqual(10 * 11);
      if (mode === 'monitor') expect(refusalLines()[0]).toMatchObject({ monitor: true, intended: 'drop' });
      clock.t += 60_000;
      g.close(); // writes what is still pending
      expect(accounted(refusalLines())).toBe(100_000);
    });
  }
});
