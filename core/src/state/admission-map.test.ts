import { describe, expect, it } from 'vitest';
import { AdmissionMap } from './admission-map.js';
import { FrequencySketch, hashKey } from './frequency-sketch.js';

describe('AdmissionMap', () => {
  it('never holds more than maxSize entries and keeps turning one-shot keys over', () => {
    const m = new AdmissionMap<number, number>(100);
    for (let i = 0; i < 10_000; i++) m.insertAbsent(i, i);
    expect(m.size).toBe(100);
    expect(m.evicted).toBeGreaterThan(9000);
    // the newest one-shot key got in: one-shots replace one-shots
    expect(m.peek(9999)).toBe(9999);
  });

  it('keeps a key with history through a flood of 10x the cap of one-shot keys', () => {
    const cap = 1000;
    const m = new AdmissionMap<number, string>(cap);
    m.insertAbsent(-1, 'offender');
    for (let i = 0; i < 6; i++) m.get(-1);
    for (let i = 0; i < 10 * cap; i++) if (m.get(i) === undefined) m.insertAbsent(i, 'scanner');
    expect(m.peek(-1)).toBe('offender');
    expect(m.hitsFor(-1)).toBeGreaterThan(1);
  });

  it('refuses a one-shot newcomer when every resident drawn has history, and admits one the sketch has seen often', () => {
    const m = new AdmissionMap<number, number>(8);
    for (let k = 0; k < 8; k++) {
      m.insertAbsent(k, k);
      for (let i = 0; i < 3; i++) m.get(k);
    }
    expect(m.insertAbsent(100, 100)).toBe(false);
    expect(m.refused).toBe(1);
    expect(m.peek(100)).toBeUndefined();
    // the refused key keeps coming: the sketch remembers it and lets it in once it outweighs a resident
    let admitted = false;
    for (let i = 0; i < 10 && !admitted; i++) admitted = m.insertAbsent(100, 100);
    expect(admitted).toBe(true);
    expect(m.size).toBe(8);
  });

  it('delete moves the last slot into the hole and stays consistent', () => {
    const m = new AdmissionMap<string, number>(4);
    m.insertAbsent('a', 1);
    m.insertAbsent('b', 2);
    m.insertAbsent('c', 3);
    expect(m.delete('a')).toBe(true);
    expect(m.delete('a')).toBe(false);
    expect(m.get('c')).toBe(3);
    expect([...m.entries()].map(([k]) => k).sort()).toEqual(['b', 'c']);
    m.set('b', 20);
    expect(m.peek('b')).toBe(20);
  });
});

describe('FrequencySketch', () => {
  it('counts a key and halves every period', () => {
    const s = new FrequencySketch(64, 2);
    const h = hashKey(42, 7);
    for (let i = 0; i < 10; i++) s.increment(h);
    expect(s.estimate(h)).toBe(10);
    for (let i = 0; i < 200; i++) s.increment(hashKey(1000 + i, 7));
    expect(s.epoch).toBeGreaterThan(0);
    expect(s.estimate(h)).toBeLessThan(10);
  });
});
