import { describe, expect, it } from 'vitest';
import { BoundedMap } from './bounded-map.js';

describe('BoundedMap', () => {
  it('never holds more than maxSize entries', () => {
    const m = new BoundedMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) m.set(i, i);
    expect(m.size).toBeLessThanOrEqual(100);
  });

  it('keeps recently read entries and evicts idle ones', () => {
    const m = new BoundedMap<string, number>(10);
    m.set('hot', 1);
    for (let i = 0; i < 50; i++) {
      m.set(`k${i}`, i);
      expect(m.get('hot')).toBe(1);
    }
    expect(m.get('k0')).toBeUndefined();
    expect(m.evicted).toBeGreaterThan(0);
  });

  it('peek does not promote, delete removes from both generations', () => {
    const m = new BoundedMap<string, number>(4);
    m.set('a', 1);
    m.set('b', 2);
    m.set('c', 3);
    expect(m.peek('a')).toBe(1);
    expect(m.delete('a')).toBe(true);
    expect(m.peek('a')).toBeUndefined();
    expect([...m.entries()].map(([k]) => k).sort()).toEqual(['b', 'c']);
  });
});
