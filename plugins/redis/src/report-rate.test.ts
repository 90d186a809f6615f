import { describe, expect, it } from 'vitest';
import { clampReportTime, ReportRate } from './report-rate.js';

describe('report rate per source', () => {
  it('lets `perSecond` reports per source through each second, counting sources apart', () => {
    const rate = new ReportRate(2, 100);
    const t = 1_700_000_000_000;
    expect([1, 2, 3].map(() => rate.take('198.51.100.1', t))).toEqual([true, true, false]);
    expect(rate.take('198.51.100.2', t + 999)).toBe(true);
    expect(rate.take('198.51.100.1', t + 999)).toBe(false);
    // The next second starts afresh.
    expect(rate.take('198.51.100.1', t + 1_000)).toBe(true);
    expect(rate.size).toBe(1);
  });

  it('tracks at most `maxSources` sources within a second: a new one past that waits for the next', () => {
    const rate = new ReportRate(5, 3);
    const t = 2_000;
    for (const ip of ['192.0.2.1', '192.0.2.2', '192.0.2.3']) expect(rate.take(ip, t)).toBe(true);
    expect(rate.take('192.0.2.4', t)).toBe(false);
    expect(rate.take('192.0.2.1', t)).toBe(true);
    expect(rate.size).toBe(3);
    expect(rate.take('192.0.2.4', t + 1_000)).toBe(true);
  });
});

describe('clamping the time of a report from another node', () => {
  it('keeps a time within [now - skew, now], and moves one outside to the nearest end', () => {
    const now = 1_000_000;
    expect(clampReportTime(now - 500, now, 2_000)).toBe(now - 500);
    expect(clampReportTime(0, now, 2_000)).toBe(now - 2_000);
    expect(clampReportTime(now + 86_400_000, now, 2_000)).toBe(now);
    expect(clampReportTime(now - 1, now, 0)).toBe(now);
  });
});
