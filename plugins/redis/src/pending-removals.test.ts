import { describe, expect, it } from 'vitest';
import { PendingRemovals } from './pending-removals.js';

describe('pending removals', () => {
  it('keeps the latest removal per address, forgets the oldest past the bound, and settles only what was sent', () => {
    const p = new PendingRemovals(2);
    expect(p.add('192.0.2.1', 10)).toBeUndefined();
    expect(p.add('192.0.2.2', 20)).toBeUndefined();
    expect(p.add('192.0.2.1', 30)).toBeUndefined(); // moved to the newest end
    expect(p.add('192.0.2.3', 40)).toBe('192.0.2.2');
    expect(p.entries()).toEqual([
      ['192.0.2.1', 30],
      ['192.0.2.3', 40],
    ]);
    expect(p.dropped).toBe(1);
    p.settle('192.0.2.1', 10); // an older replay: the newer removal stays queued
    expect(p.removedAt('192.0.2.1')).toBe(30);
    p.settle('192.0.2.1', 30);
    p.forget('192.0.2.3');
    expect(p.size).toBe(0);
  });
});
