import { describe, expect, it } from 'vitest';
import { LogThrottle } from './log.js';

describe('LogThrottle: the lines a peer can make us write', () => {
  it('writes one line per interval by default, then says how many it left out', () => {
    const t = new LogThrottle(1_000);
    expect([0, 1, 2].map((i) => t.take(10 + i))).toEqual([0, undefined, undefined]);
    expect(t.take(1_010)).toBe(2);
    expect(t.take(1_011)).toBeUndefined();
  });

  it('writes up to perInterval lines per interval, then says how many it left out', () => {
    const budget = new LogThrottle(1_000, 3);
    expect([0, 1, 2, 3, 4].map((i) => budget.take(10 + i))).toEqual([0, 0, 0, undefined, undefined]);
    expect(budget.take(1_010)).toBe(2);
    expect(budget.take(1_011)).toBe(0);
  });
});
