import { describe, expect, it } from 'vitest';
import { FrameGuard } from './frame-guard.js';
import { TarpitSlots } from './tarpit-slots.js';

describe('FrameGuard', () => {
  it('counts the message being received and resets at each blank line, also across chunks', () => {
    const g = new FrameGuard(20);
    expect(g.push('Event: A\r\nX: 1\r\n\r\n')).toBe(true);
    expect(g.push('Event: B\r\n')).toBe(true);
    expect(g.push('\r\n')).toBe(true);
    expect(g.push('Event: C\r\nValue: 0123456789')).toBe(false);
    const h = new FrameGuard(20);
    expect(h.push('Event: D\r\nValue: 01234\n')).toBe(false);
    expect(h.push('\n')).toBe(true);
  });
});

describe('TarpitSlots', () => {
  it('releases a held slot once, by key, and all on close', () => {
    let released = 0;
    const slot = () => ({ release: () => released++ });
    const slots = new TarpitSlots(60_000);
    slots.hold('a', slot());
    slots.hold('b', slot());
    expect(slots.release('a')).toBe(true);
    expect(slots.release('a')).toBe(false);
    expect(slots.size).toBe(1);
    slots.releaseAll();
    expect(released).toBe(2);
    expect(slots.size).toBe(0);
  });
});
