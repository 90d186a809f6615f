import { describe, expect, it } from 'vitest';
import { LineBudget } from './outbound-call.js';

describe('LineBudget: the info lines of allowed calls a caller can produce', () => {
  it('writes up to max lines per window, then says how many it left out', () => {
    const budget = new LineBudget(3, 1_000);
    expect([0, 1, 2, 3, 4].map((i) => budget.take(10 + i))).toEqual([0, 0, 0, undefined, undefined]);
    expect(budget.take(1_010)).toBe(2);
    expect(budget.take(1_011)).toBe(0);
  });
});
