import { describe, expect, it } from 'vitest';
import type { GhostguardError } from '../errors.js';
import { typedError } from '../test-support/typed-error.js';
import { decodeQ931 } from './q931.js';
import { recordedOoh323Messages, recordedSetup } from './test-support/ooh323-call.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

const decodeError = (input: Uint8Array): GhostguardError => typedError(() => decodeQ931(input));

describe('decodeQ931', () => {
  it('reads the recorded chan_ooh323 SETUP (values as tshark shows them)', () => {
    const m = decodeQ931(recordedSetup());
    expect(m).toMatchObject({
      protocolDiscriminator: 8,
      callReference: 0x2b,
      callReferenceLength: 2,
      callReferenceFlag: false,
      messageType: 5,
      messageName: 'Setup',
      display: 'caller-b',
      calledPartyNumber: { numberType: 0, numberingPlan: 1, digits: '5551234' },
      informationElements: [0x04, 0x28, 0x70, 0x7e],
    });
    expect(m.bearerCapability).toMatchObject({
      codingStandard: 0,
      informationTransferCapability: 0,
      transferMode: 0,
      transferRate: 0x10,
      layer1Protocol: 3,
    });
    expect(m.callingPartyNumber).toBeUndefined();
    expect(m.userUser?.protocolDiscriminator).toBe(5);
    expect(m.userUser?.data.length).toBe(247);
    expect(m.userUser?.offset).toBe(recordedSetup().length - 247);
    // IE contents are offsets into the message: views on demand, and JSON without the whole message.
    expect(m.bearerCapability?.bytes).toEqual(recordedSetup().subarray(m.bearerCapability!.offset).subarray(0, 3));
    expect(m.bearerCapability?.hex(2)).toBe(Buffer.from(m.bearerCapability!.bytes.subarray(0, 2)).toString('hex'));
    expect(JSON.parse(JSON.stringify(m.userUser))).toEqual({
      protocolDiscriminator: 5,
      offset: m.userUser!.offset,
      length: 247,
    });
  });

  it('names every message of the recorded call and reads the flag of the answering side', () => {
    const names = recordedOoh323Messages().map((r) => {
      const m = decodeQ931(r.payload);
      expect(m.callReferenceFlag).toBe(!r.toCalled);
      expect(m.callReference).toBe(0x2b);
      return m.messageName;
    });
    expect(names.slice(0, 5)).toEqual(['Setup', 'CallProceeding', 'Alerting', 'Facility', 'Connect']);
    expect(names.at(-1)).toBe('ReleaseComplete');
  });

  it('reads the Cause of the recorded ReleaseComplete', () => {
    const release = recordedOoh323Messages().at(-1)!;
    expect(decodeQ931(release.payload).cause).toEqual({ codingStandard: 0, location: 0, value: 16 });
  });

  it('reads a Calling Party Number with its presentation octet 3a', () => {
    const m = decodeQ931(bytes('08 02 00 01 05   6c 06 21 83 34 30 30 31'));
    expect(m.callingPartyNumber).toEqual({
      numberType: 2,
      numberingPlan: 1,
      presentation: 0,
      screening: 3,
      digits: '4001',
    });
  });

  it('reads one- and zero-octet call references and names unknown types as undefined', () => {
    expect(decodeQ931(bytes('08 01 85 02'))).toMatchObject({ callReference: 5, callReferenceFlag: true });
    expect(decodeQ931(bytes('08 00 75'))).toMatchObject({ callReference: 0, messageName: 'StatusEnquiry' });
    expect(decodeQ931(bytes('08 02 00 01 7f')).messageName).toBeUndefined();
  });

  it('skips single-octet IEs and unknown IEs by their length', () => {
    // Sending complete (0xa1), Progress indicator (0x1e, 2 bytes), Display.
    const m = decodeQ931(bytes('08 02 00 01 05  a1  1e 02 80 88  28 03 41 42 43'));
    expect(m.display).toBe('ABC');
    expect(m.informationElements).toEqual([0xa1, 0x1e, 0x28]);
  });

  it('does not read IEs of another codeset as codeset 0', () => {
    // Locking shift to codeset 6, then a "Display" that is not one.
    expect(decodeQ931(bytes('08 02 00 01 05  96  28 01 41')).display).toBeUndefined();
    // Non-locking shift to codeset 5 covers only the next IE.
    const m = decodeQ931(bytes('08 02 00 01 05  9d  28 01 41  28 01 42'));
    expect(m.display).toBe('B');
  });

  it('keeps the first of a repeated IE', () => {
    expect(decodeQ931(bytes('08 02 00 01 05  28 01 41  28 01 42')).display).toBe('A');
  });

  it('refuses what is not Q.931, with the offset where it stopped', () => {
    expect(decodeError(bytes('09 02 00 01 05')).offset).toBe(0);
    expect(decodeError(bytes('08 03 00 00 01 05')).offset).toBe(1);
    expect(decodeError(bytes('08 02')).offset).toBe(0);
    expect(decodeError(bytes('08 02 00 01')).message).toMatch(/inside its call reference/);
    expect(decodeError(bytes('08 02 00 01 85')).offset).toBe(4);
  });

  it('refuses IEs running past the end, naming the IE and its offset', () => {
    const err = decodeError(bytes('08 02 00 01 05  28 05 41 42'));
    expect(err.code).toBe('GG_H323_DECODE');
    expect(err.offset).toBe(5);
    expect(err.message).toMatch(/IE 0x28 says 5 bytes, 2 left/);
    expect(decodeError(bytes('08 02 00 01 05  7e 00')).message).toMatch(/inside its length/);
    expect(decodeError(bytes('08 02 00 01 05  7e ff ff 05')).offset).toBe(5);
    expect(decodeError(bytes('08 02 00 01 05  7e 00 00')).message).toMatch(/without a protocol discriminator/);
  });
});
