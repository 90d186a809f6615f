import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GhostguardError } from '../errors.js';
import { concatBytes, typedError } from '../test-support/typed-error.js';
import { SipStreamFramer } from './framer.js';
import { parseSipMessage } from './message.js';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url)));
const enc = (s: string) => new TextEncoder().encode(s);

// Compared as latin1 text: byte-exact, and far faster for vitest than Uint8Array equality.
const asText = (messages: Uint8Array[]) => messages.map((m) => Buffer.from(m).toString('latin1'));

// An INVITE with an 88-byte SDP body, then a body-less REGISTER.
const invite = fixture('room-invite-sdp.sip');
const register = fixture('svwar-register.sip');
const stream = concatBytes(invite, register);
const inviteThenRegister = asText([invite, register]);

describe('SipStreamFramer', () => {
  it('returns both messages whatever byte boundary splits the stream', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const framer = new SipStreamFramer();
      const messages = [...framer.push(stream.subarray(0, cut)), ...framer.push(stream.subarray(cut))];
      expect(asText(messages), `cut at ${cut}`).toEqual(inviteThenRegister);
      expect(framer.bufferedBytes).toBe(0);
    }
  });

  it('returns both messages when fed one byte at a time', () => {
    const framer = new SipStreamFramer();
    const messages: Uint8Array[] = [];
    for (let i = 0; i < stream.length; i++) messages.push(...framer.push(stream.subarray(i, i + 1)));
    expect(asText(messages)).toEqual(inviteThenRegister);
  });

  it('returns several messages from one chunk', () => {
    const framer = new SipStreamFramer();
    expect(framer.push(concatBytes(register, invite, register))).toEqual([register, invite, register]);
  });

  it('skips keep-alive CRLFs before, between and after messages', () => {
    const framer = new SipStreamFramer();
    const ping = enc('\r\n\r\n');
    const pong = enc('\r\n');
    expect(framer.push(concatBytes(ping, invite, pong, ping, register, ping))).toEqual([invite, register]);
    expect(framer.bufferedBytes).toBe(0);
    expect(framer.push(ping)).toEqual([]);
  });

  it('reads a head without Content-Length as a message without body', () => {
    const noLength = enc('OPTIONS sip:a@b SIP/2.0\r\nCall-ID: 1\r\n\r\n');
    expect(new SipStreamFramer().push(concatBytes(noLength, register))).toEqual([noLength, register]);
  });

  it('frames bare-LF heads and compact Content-Length', () => {
    const lf = enc('MESSAGE sip:a@b SIP/2.0\nl: 5\n\nhello');
    const framer = new SipStreamFramer();
    expect(framer.push(lf.subarray(0, 30))).toEqual([]);
    expect(framer.push(lf.subarray(30))).toEqual([lf]);
    expect(framer.push(lf)).toEqual([lf]);
  });

  it('returns copies that later input does not change', () => {
    const framer = new SipStreamFramer();
    const chunk = new Uint8Array(register);
    const [message] = framer.push(chunk);
    chunk.fill(0);
    expect(message).toEqual(register);
    expect(message?.buffer).not.toBe(chunk.buffer);
  });

  it('yields messages a parser accepts, bodies included', () => {
    const [first] = new SipStreamFramer().push(stream);
    const msg = parseSipMessage(first!);
    expect(msg.body.length).toBe(88);
    expect(msg.truncated).toBe(false);
  });

  it('handles a chunk far larger than the cap when it holds small messages', () => {
    const many = concatBytes(...Array.from({ length: 400 }, () => register));
    expect(many.length).toBeGreaterThan(64 * 1024 * 2);
    expect(new SipStreamFramer().push(many)).toHaveLength(400);
  });

  it('frames any chunking of the same stream identically', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: stream.length }), { maxLength: 8 }), (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
        const framer = new SipStreamFramer();
        const messages: Uint8Array[] = [];
        for (let i = 1; i < points.length; i++)
          messages.push(...framer.push(stream.subarray(points[i - 1], points[i])));
        expect(asText(messages)).toEqual(inviteThenRegister);
      }),
      { numRuns: 300 },
    );
  });
});

describe('SipStreamFramer limits', () => {
  it('throws GG_SIP_TOO_LARGE when a head never ends within the cap', () => {
    const framer = new SipStreamFramer({ maxBufferedBytes: 1024 });
    const line = enc('X-Filler: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n');
    expect(framer.push(enc('OPTIONS sip:a@b SIP/2.0\r\n'))).toEqual([]);
    let error: GhostguardError | undefined;
    for (let i = 0; i < 100 && error === undefined; i++) {
      try {
        framer.push(line);
        expect(framer.bufferedBytes).toBeLessThan(1024);
      } catch (err) {
        error = err as GhostguardError;
      }
    }
    expect(error).toBeInstanceOf(GhostguardError);
    expect(error?.code).toBe('GG_SIP_TOO_LARGE');
  });

  it('throws GG_SIP_TOO_LARGE as soon as Content-Length promises more than the cap', () => {
    const framer = new SipStreamFramer();
    const error = typedError(() => framer.push(enc(`MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ${2 ** 53}\r\n\r\n`)));
    expect(error.code).toBe('GG_SIP_TOO_LARGE');
    expect(error.offset).toBe(0);
    expect(framer.bufferedBytes).toBe(0);
  });

  it('throws GG_SIP_PARSE with the stream offset for an unreadable Content-Length', () => {
    const framer = new SipStreamFramer();
    framer.push(register);
    const error = typedError(() => framer.push(enc('MESSAGE sip:a@b SIP/2.0\r\nContent-Length: ten\r\n\r\n')));
    expect(error).toMatchObject({ code: 'GG_SIP_PARSE', offset: register.length + 25 });
  });

  it('stays unusable after an error, rethrowing it, until reset()', () => {
    const framer = new SipStreamFramer({ maxBufferedBytes: 64 });
    const first = typedError(() => framer.push(new Uint8Array(100).fill(0x41)));
    expect(typedError(() => framer.push(register))).toBe(first);
    framer.reset();
    expect(new SipStreamFramer().push(enc('OPTIONS sip:a SIP/2.0\r\n\r\n'))).toHaveLength(1);
    expect(framer.push(enc('OPTIONS sip:a SIP/2.0\r\n\r\n'))).toHaveLength(1);
  });

  it('never holds more than the cap, whatever the input', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const framer = new SipStreamFramer({ maxBufferedBytes: 512 });
        for (const chunk of chunks) {
          try {
            for (const message of framer.push(chunk)) expect(message.length).toBeLessThanOrEqual(512);
          } catch (err) {
            expect(err).toBeInstanceOf(GhostguardError);
            expect(['GG_SIP_TOO_LARGE', 'GG_SIP_PARSE']).toContain((err as GhostguardError).code);
            return;
          }
          expect(framer.bufferedBytes).toBeLessThan(512);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
