import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameError, FrameReader } from './framing.js';

describe('drachtio admin framing', () => {
  it('prefixes the UTF-8 byte length, as the recorded authenticate frame', () => {
    const payload = '4d59ab2b-cf50-49b2-b819-8e06fe1ba0e2|authenticate|realpeers-secret|';
    expect(encodeFrame(payload)).toBe(`67#${payload}`);
    expect(encodeFrame('é')).toBe('2#é');
  });

  it('cuts frames split anywhere and several per chunk', () => {
    const r = new FrameReader();
    const wire = Buffer.from(`${encodeFrame('a|ping')}${encodeFrame('b|route|invite')}${encodeFrame('c|x\r\nSIP é')}`);
    const out: string[] = [];
    for (let i = 0; i < wire.length; i += 3) out.push(...r.push(wire.subarray(i, i + 3)));
    expect(out).toEqual(['a|ping', 'b|route|invite', 'c|x\r\nSIP é']);
    expect(r.pendingBytes).toBe(0);
  });

  it('refuses a bad or oversized length prefix', () => {
    expect(() => new FrameReader().push(Buffer.from('abc#x'))).toThrow(FrameError);
    expect(() => new FrameReader().push(Buffer.from('0#'))).toThrow(FrameError);
    expect(() => new FrameReader(100).push(Buffer.from('101#'))).toThrow(/exceeds/);
    expect(() => new FrameReader().push(Buffer.from('123456789'))).toThrow(/no length prefix/);
  });
});
