import { describe, expect, it } from 'vitest';
import type { Logger } from './log.js';
import { type RefusalLog as Log, RefusalLog, type RefusalNote } from './refusal-log.js';
import type { Verdict } from './verdict.js';

/** A logger that keeps each line with the (fake) time it was written at. */
function capture(clock: { t: number }) {
  const lines: Array<{ t: number; fields: Record<string, unknown>; msg: string }> = [];
  const logger = {
    info: (fields: Record<string, unknown>, msg: string) => lines.push({ t: clock.t, fields, msg }),
  } as unknown as Logger;
  return { logger, lines };
}

const BANNED: Verdict['reasons'] = [{ rule: 'known-bad.banned', detail: 'banned', weight: 100 }];
const SCANNER: Verdict['reasons'] = [
  { rule: 'fingerprint.user-agent', detail: 'friendly-scanner', weight: 80 },
  { rule: 'dial-shape.ip-literal', detail: '1.1.1.1', weight: 20 },
];

/** What a caller does: take(), and write its own line when told to (with the note merged in). */
function refuse(log: Log, out: ReturnType<typeof capture>, clock: { t: number }, source: string, reasons = BANNED) {
  const note: RefusalNote | undefined = log.take(source, 'drop', reasons, clock.t);
  if (note !== undefined) out.logger.info({ event: 'verdict', source, ...note }, 'drop call attempt');
}

/** Refusals the lines account for: 1 per itemised line, each window's count, each `unlogged`. */
function accounted(lines: ReturnType<typeof capture>['lines']): number {
  let n = 0;
  for (const { fields } of lines) {
    if (fields.event === 'verdict') n++;
    const previous = fields.previous as { refusals: number } | undefined;
    if (previous) n += previous.refusals;
    if (fields.event === 'refusals' && typeof fields.refusals === 'number') n += fields.refusals;
    if (typeof fields.unlogged === 'number') n += fields.unlogged;
  }
  return n;
}

describe('RefusalLog: one line per source per window, a bounded number per second', () => {
  it('itemises the first refusal of a window and counts the rest into the next line of that source', () => {
    const clock = { t: 1_000_000 };
    const out = capture(clock);
    const log = new RefusalLog(out.logger, { of: 'verdict', window: 10_000, sweep: false });
    for (let i = 0; i < 50; i++) {
      refuse(log, out, clock, '192.0.2.7', i < 10 ? SCANNER : BANNED);
      clock.t += 100;
    }
    expect(out.lines).toHaveLength(1);
    clock.t = 1_000_000 + 10_000;
    refuse(log, out, clock, '192.0.2.7');
    expect(out.lines).toHaveLength(2);
    const previous = out.lines[1]!.fields.previous as Record<string, unknown>;
    expect(previous.refusals).toBe(49);
    expect(previous.actions).toEqual({ drop: 49 });
    // The most frequent rule first; ties and the rest are named up to topReasons.
    expect(previous.reasons).toEqual({
      'known-bad.banned': 40,
      'fingerprint.user-agent': 9,
      'dial-shape.ip-literal': 9,
    });
  });

  it('writes the window of a source that did not come back when the window is over, once', () => {
    const clock = { t: 5_000 };
    const out = capture(clock);
    const log = new RefusalLog(out.logger, { of: 'asterisk-call', window: 10_000, sweep: false });
    for (let i = 0; i < 5; i++) refuse(log, out, clock, '198.51.100.1');
    clock.t += 9_999;
    log.flush(clock.t);
    expect(out.lines).toHaveLength(1);
    clock.t += 1;
    log.flush(clock.t);
    log.flush(clock.t + 60_000);
    expect(out.lines.map((l) => l.fields.event)).toEqual(['verdict', 'refusals']);
    expect(out.lines[1]!.fields).toMatchObject({ of: 'asterisk-call', source: '198.51.100.1', refusals: 4 });
    expect(log.stats().pending).toBe(0);
  });

  it('a flood of 100,000 refusals from 10,000 sources writes at most 2 × linesPerSecond lines a second, and the lines account for every refusal', () => {
    const clock = { t: 1_700_000_000_000 };
    const out = capture(clock);
    const linesPerSecond = 10;
    const log = new RefusalLog(out.logger, { of: 'verdict', window: 60_000, linesPerSecond, sweep: false });
    // 10 rounds over 10,000 sources, 10,000 refusals a second; a sweep once a (fake) second, as the timer does.
    let taken = 0;
    for (let round = 0; round < 10; round++) {
      for (let s = 0; s < 10_000; s++) {
        refuse(log, out, clock, `10.${(s >> 8) & 255}.${s & 255}.1`);
        taken++;
        clock.t += 0.1;
      }
      log.flush(clock.t);
    }
    expect(taken).toBe(100_000);
    // After the windows: their lines, still within the budget per second.
    for (let i = 0; i < 2_000 && log.stats().pending + log.stats().unlogged > 0; i++) {
      clock.t += 1000;
      log.flush(clock.t);
    }
    expect(log.stats()).toMatchObject({ pending: 0, unlogged: 0, refusals: 100_000 });
    const perSecond = new Map<number, number>();
    for (const l of out.lines) perSecond.set(Math.floor(l.t / 1000), (perSecond.get(Math.floor(l.t / 1000)) ?? 0) + 1);
    expect(Math.max(...perSecond.values())).toBeLessThanOrEqual(2 * linesPerSecond);
    expect(accounted(out.lines)).toBe(100_000);
    // Not one line per refusal: the flood's 10 s wrote about 200 lines, not 100,000.
    const duringFlood = out.lines.filter((l) => l.t < 1_700_000_000_000 + 10_000).length;
    expect(duringFlood).toBeLessThanOrEqual(2 * linesPerSecond * 11);
  });

  it("a heavy source's count survives a flood of one-shot sources far beyond maxSources", () => {
    const clock = { t: 2_000_000 };
    const out = capture(clock);
    const log = new RefusalLog(out.logger, { of: 'verdict', window: 60_000, maxSources: 256, sweep: false });
    for (let i = 0; i < 1_000; i++) refuse(log, out, clock, '203.0.113.9');
    for (let s = 0; s < 50_000; s++) {
      refuse(log, out, clock, `fd00::${s.toString(16)}`);
      if (s % 1000 === 0) refuse(log, out, clock, '203.0.113.9');
      clock.t += 1;
    }
    expect(log.stats().sources).toBeLessThanOrEqual(256);
    clock.t += 60_000;
    for (let i = 0; i < 100 && log.stats().pending + log.stats().unlogged > 0; i++) {
      log.flush(clock.t);
      clock.t += 1000;
    }
    const heavy = out.lines.filter((l) => l.fields.event === 'refusals' && l.fields.source === '203.0.113.9');
    expect(heavy).toHaveLength(1);
    expect(heavy[0]!.fields.refusals).toBe(999 + 50);
    expect(accounted(out.lines)).toBe(1_000 + 50_000 + 50);
  });

  it('counts would-be refusals of monitor mode under the intended action', () => {
    const clock = { t: 0 };
    const out = capture(clock);
    const log = new RefusalLog(out.logger, { of: 'verdict', window: 1_000, sweep: false });
    const verdict = { action: 'allow', intended: 'tarpit', reasons: SCANNER } as const;
    expect(log.takeVerdict('192.0.2.1', verdict, 0)).toEqual({});
    expect(log.takeVerdict('192.0.2.1', verdict, 10)).toBeUndefined();
    expect(log.takeVerdict('192.0.2.1', verdict, 1_000)?.previous).toMatchObject({
      refusals: 1,
      actions: { tarpit: 1 },
    });
  });

  it('close() writes what is pending, whether its window is over or not', () => {
    const clock = { t: 0 };
    const out = capture(clock);
    const log = new RefusalLog(out.logger, { of: 'h323-call', window: 60_000 });
    for (let i = 0; i < 3; i++) refuse(log, out, clock, '192.0.2.9');
    log.close();
    expect(out.lines.at(-1)!.fields).toMatchObject({ event: 'refusals', source: '192.0.2.9', refusals: 2 });
    expect(log.stats().pending).toBe(0);
  });
});
