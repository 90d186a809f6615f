import { describe, expect, it } from 'vitest';
import { concatBytes, typedError } from '../test-support/typed-error.js';
import { encodeTpkt, TPKT_MAX_PAYLOAD_BYTES, TpktFramer } from './tpkt.js';

const hex = (frames: Uint8Array[]) => frames.map((f) => Buffer.from(f).toString('hex'));

const a = Uint8Array.of(0x08, 0x02, 0x00, 0x2b, 0x05, 0xaa);
const b = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
const keepAlive = Uint8Array.of(3, 0, 0, 4);
const stream = concatBytes(encodeTpkt(a), keepAlive, encodeTpkt(b));

describe('TpktFramer', () => {
  it('returns both payloads (and skips the empty keep-alive) whatever byte boundary splits the stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new TpktFramer();
      const frames = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      expect(hex(frames), `cut at ${cut}`).toEqual(hex([a, b]));
      expect(framer.bufferedBytes).toBe(0);
    }
  });

  it('returns payloads fed one byte at a time, holding at most one frame', () => {
    const framer = new TpktFramer();
    const frames: Uint8Array[] = [];
    let most = 0;
    for (let i = 0; i < stream.length; i++) {
      frames.push(...framer.push(stream.subarray(i, i + 1)));
      most = Math.max(most, framer.bufferedBytes);
    }
    expect(hex(frames)).toEqual(hex([a, b]));
    expect(most).toBeLessThan(4 + b.length);
  });

  it('returns copies that later pushes do not overwrite', () => {
    const framer = new TpktFramer();
    const [first] = framer.push(encodeTpkt(a));
    framer.push(encodeTpkt(Uint8Array.of(9, 9, 9, 9, 9, 9)));
    expect(Buffer.from(first!).toString('hex')).toBe(Buffer.from(a).toString('hex'));
  });

  it('refuses a stream that is not TPKT (TLS hello, HTTP) at the first header', () => {
    const tls = typedError(() => new TpktFramer().push(Uint8Array.of(0x16, 0x03, 0x01, 0x02, 0x00)));
    expect(tls.code).toBe('GG_H323_DECODE');
    expect(tls.offset).toBe(0);
    expect(tls.message).toMatch(/version 22 is not 3/);
    expect(typedError(() => new TpktFramer().push(new TextEncoder().encode('GET / HTTP/1.0\r\n'))).code).toBe(
      'GG_H323_DECODE',
    );
  });

  it('refuses a reserved octet other than 0 and a length shorter than the header, with offsets', () => {
    const framer = new TpktFramer();
    framer.push(encodeTpkt(a));
    const reserved = typedError(() => framer.push(Uint8Array.of(3, 1, 0, 10)));
    expect(reserved.offset).toBe(4 + a.length + 1);
    const short = typedError(() => new TpktFramer().push(Uint8Array.of(3, 0, 0, 3)));
    expect(short.code).toBe('GG_H323_DECODE');
    expect(short.offset).toBe(2);
  });

  it('refuses a frame over the cap from its header alone, before buffering its payload', () => {
    const framer = new TpktFramer({ maxFrameBytes: 100 });
    const err = typedError(() => framer.push(Uint8Array.of(3, 0, 0, 105)));
    expect(err.code).toBe('GG_H323_TOO_LARGE');
    expect(err.offset).toBe(2);
    expect(framer.bufferedBytes).toBe(0);
    // Exactly at the cap is fine.
    const ok = new TpktFramer({ maxFrameBytes: 100 });
    expect(ok.push(encodeTpkt(new Uint8Array(100)))[0]?.length).toBe(100);
  });

  it('caps the buffer at the largest TPKT even for a cap above it', () => {
    const framer = new TpktFramer({ maxFrameBytes: 10_000_000 });
    const frames = framer.push(concatBytes(Uint8Array.of(3, 0, 0xff, 0xff), new Uint8Array(TPKT_MAX_PAYLOAD_BYTES)));
    expect(frames[0]?.length).toBe(TPKT_MAX_PAYLOAD_BYTES);
  });

  it('stays failed after an error until reset()', () => {
    const framer = new TpktFramer();
    const first = typedError(() => framer.push(Uint8Array.of(4, 0, 0, 8)));
    expect(typedError(() => framer.push(encodeTpkt(a)))).toBe(first);
    framer.reset();
    expect(hex(framer.push(encodeTpkt(a)))).toEqual(hex([a]));
  });

  it('releases a large frame buffer once the frame has gone out', () => {
    const framer = new TpktFramer();
    const big = encodeTpkt(new Uint8Array(20_000));
    framer.push(big.subarray(0, 10_000));
    expect(framer.bufferedBytes).toBe(10_000);
    expect(framer.push(big.subarray(10_000))).toHaveLength(1);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('encodeTpkt writes version 3, reserved 0 and the length with its header', () => {
    expect(Buffer.from(encodeTpkt(Uint8Array.of(1, 2))).toString('hex')).toBe('030000060102');
    expect(typedError(() => encodeTpkt(new Uint8Array(TPKT_MAX_PAYLOAD_BYTES + 1))).code).toBe('GG_INTERNAL_ARGUMENT');
  });
});
