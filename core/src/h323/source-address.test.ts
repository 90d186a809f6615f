import { describe, expect, it } from 'vitest';
import { encodeSetup } from './messages.js';
import { setupShapeSpec } from './setup-shapes.js';
import { sourceSignalAddressAt, withSourceSignalAddress } from './source-address.js';
import { decodeSetupAttempt } from './to-attempt.js';

const ctx = { source: { ip: '127.0.0.1', port: 40_000 }, time: 0 };
const payloadOf = (frame: Uint8Array) => frame.subarray(4);

describe("rewriting a SETUP's sourceCallSignalAddress in place", () => {
  it('finds the IPv4 address octets and puts another address there, changing nothing else', () => {
    const payload = payloadOf(encodeSetup(setupShapeSpec({ shape: 'room' })));
    const before = decodeSetupAttempt(payload, ctx);
    expect(before.h323.sourceCallSignalAddress).toMatch(/^\d+\.\d+\.\d+\.\d+:\d+$/);
    const at = sourceSignalAddressAt(payload);
    expect(at).toBeDefined();
    const rewritten = withSourceSignalAddress(payload, '127.0.0.9', 41_234);
    expect(rewritten.length).toBe(payload.length);
    const after = decodeSetupAttempt(rewritten, ctx);
    expect(after.h323.sourceCallSignalAddress).toBe('127.0.0.9:41234');
    expect({ ...after.h323, sourceCallSignalAddress: undefined }).toEqual({
      ...before.h323,
      sourceCallSignalAddress: undefined,
    });
    let differing = 0;
    for (let i = 0; i < payload.length; i++) if (payload[i] !== rewritten[i]) differing++;
    expect(differing).toBeLessThanOrEqual(6);
  });

  it('leaves bytes that are not a decodable SETUP as they are', () => {
    const junk = Uint8Array.from([0x08, 0x02, 0x00, 0x01, 0x05, 0x7e, 0x00, 0x03, 0x05, 0xff, 0xff]);
    expect(sourceSignalAddressAt(junk)).toBeUndefined();
    expect(withSourceSignalAddress(junk, '127.0.0.9', 1720)).toBe(junk);
  });
});
