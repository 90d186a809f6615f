import type { Verdict } from '@ghostguard/core';
import { sipAttempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import type { JudgedAttempt } from './analysis.js';
import { tallyTable, textReport } from './report.js';
import { CountMinSketch, DistinctCounter, hashText } from './source-sketches.js';
import { SourceTally } from './source-tally.js';

const verdict = (intended: Verdict['intended']): Verdict =>
  ({
    action: intended,
    intended,
    score: 0,
    reasons: [{ rule: 'behaviour.rate', weight: 10, detail: '' }],
    monitor: false,
  }) as unknown as Verdict;

const attempts = new Map<string, JudgedAttempt>();
/** One judged attempt from `ip` (objects reused: the tally keeps nothing of them). */
function from(ip: string, action: Verdict['intended'] = 'drop'): JudgedAttempt {
  const key = `${ip}|${action}`;
  let j = attempts.get(key);
  if (j === undefined) {
    j = { file: 'f', attempt: sipAttempt({ source: { ip, port: 5060, transport: 'udp' } }), verdict: verdict(action) };
    attempts.set(key, j);
  }
  return j;
}

const oneShot = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

describe('SourceTally bounded by its capacity', () => {
  it('is exact while the input has no more sources than it holds', () => {
    const tally = new SourceTally(1_000);
    for (let i = 0; i < 1_000; i++) for (let k = 0; k <= i % 3; k++) tally.add(from(oneShot(i)));
    expect(tally.estimated).toBe(false);
    expect(tally.sources).toBe(1_000);
    const { rows, rest } = tally.top(5);
    expect(rows.map((r) => [r.attempts, r.earlier])).toEqual(Array(5).fill([3, 0]));
    expect(rest.sources).toBe(995);
  });

  it('holds at most its capacity of sources past it, estimates how many there were, and keeps totals exact', () => {
    const tally = new SourceTally(1_000);
    const n = 60_000;
    for (let i = 0; i < n; i++) tally.add(from(oneShot(i), i % 4 === 0 ? 'allow' : 'drop'));
    expect(tally.estimated).toBe(true);
    expect(Math.abs(tally.sources - n) / n).toBeLessThan(0.03);
    const { rows, rest } = tally.top(1_000_000);
    expect(rows.length).toBe(1_000);
    expect(tally.totals).toEqual({ allow: 15_000, reject: 0, drop: 45_000, tarpit: 0 });
    expect(rest.attempts + rows.reduce((s, r) => s + r.attempts, 0)).toBe(n);
  });

  it('gives a busy source that comes after a flood of one-shot sources its row by its third attempt', () => {
    const tally = new SourceTally(1_000);
    for (let i = 0; i < 50_000; i++) tally.add(from(oneShot(i)));
    for (let k = 0; k < 500; k++) tally.add(from('203.0.113.66'));
    const [row] = tally.top(1).rows;
    expect(row!.source).toBe('203.0.113.66');
    // Counted exactly from the attempt it entered on; `earlier` bounds what came before (the sketch overestimates).
    expect(row!.attempts).toBeGreaterThanOrEqual(498);
    expect(row!.attempts + row!.earlier).toBeGreaterThanOrEqual(500);
  });

  it('never lets a flood of one-shot sources push out a busy source it already holds', () => {
    const tally = new SourceTally(1_000);
    for (let k = 0; k < 100; k++) tally.add(from('203.0.113.7'));
    for (let i = 0; i < 100_000; i++) tally.add(from(oneShot(i)));
    const [row] = tally.top(1).rows;
    expect(row).toMatchObject({ source: '203.0.113.7', attempts: 100, earlier: 0 });
  });

  it('marks a row counted from a later attempt, and says how many sources it estimated, in the text report', () => {
    const tally = new SourceTally(100);
    for (let i = 0; i < 5_000; i++) tally.add(from(oneShot(i)));
    for (let k = 0; k < 50; k++) tally.add(from('203.0.113.66'));
    const table = tallyTable(tally, 3).split('\n');
    expect(table[2]).toMatch(/^203\.0\.113\.66 \*\s+(4[89]|50)\s/);
    expect(table.at(-2)).toMatch(/^\(about 5,0\d\d other sources\)|^\(about 4,9\d\d other sources\)/);
    expect(table.at(-1)).toMatch(/^\* counted from when the source entered the table of the 100 busiest sources/);
    const report = textReport(tally, { response: 0 } as never, ['f'], 0, 3);
    expect(report).toMatch(/sources: about [45],\d{3} \(estimated: more than the 100 the table holds\)/);
  });
});

describe('source sketches', () => {
  it('count distinct addresses within 2 % (HyperLogLog, 16 KB)', () => {
    for (const n of [100, 5_000, 200_000]) {
      const d = new DistinctCounter();
      for (let i = 0; i < n; i++) d.add(hashText(oneShot(i)));
      for (let i = 0; i < n; i++) d.add(hashText(oneShot(i)));
      expect(Math.abs(d.estimate() - n) / n, String(n)).toBeLessThan(0.02);
    }
  });

  it('never estimate a count below what was added (count-min, conservative update)', () => {
    const s = new CountMinSketch(256);
    const truth = new Map<string, number>();
    for (let i = 0; i < 20_000; i++) {
      const key = oneShot(i % 3_000);
      const n = 1 + (i % 5);
      truth.set(key, (truth.get(key) ?? 0) + n);
      s.add(hashText(key), n);
    }
    for (const [key, n] of truth) expect(s.estimate(hashText(key))).toBeGreaterThanOrEqual(n);
  });
});
