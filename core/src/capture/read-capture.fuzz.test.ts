import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GhostguardError } from '../errors.js';
import type { ReadCaptureOptions } from './capture-types.js';
import { LinkType } from './link-layer.js';
import { readCapture } from './read-capture.js';
import { pcapFile } from './test-support/capture-builder.js';
import { readFixture } from './test-support/shared-fixtures.js';

/**
 * Whatever the bytes, readCapture returns or throws GhostguardError, and its output stays linear
 * in its input: payloads are views into the input (never copies), and their bytes never add up to
 * more than the input.
 */
function expectWellBehaved(bytes: Uint8Array, options?: ReadCaptureOptions): void {
  let result: ReturnType<typeof readCapture>;
  try {
    result = readCapture(bytes, options);
  } catch (err) {
    expect(err).toBeInstanceOf(GhostguardError);
    const { code, offset } = err as GhostguardError;
    expect(['GG_CAPTURE_FORMAT', 'GG_CAPTURE_TRUNCATED']).toContain(code);
    expect(Number.isInteger(offset) && (offset ?? -1) >= 0 && (offset ?? 0) <= bytes.length).toBe(true);
    return;
  }
  let payloadBytes = 0;
  let previousTime = Number.NEGATIVE_INFINITY;
  for (const event of result.events) {
    expect(event.time).toBeGreaterThanOrEqual(previousTime);
    previousTime = event.time;
    if (event.kind === 'tcp-end') continue;
    expect(event.payload.buffer).toBe(bytes.buffer);
    payloadBytes += event.payload.length;
  }
  expect(payloadBytes).toBeLessThanOrEqual(bytes.length);
  expect(result.events.length).toBeLessThanOrEqual(bytes.length);
  const { packets, udpDatagrams, tcpSegments, skipped } = result.stats;
  expect(udpDatagrams + tcpSegments + Object.values(skipped).reduce((a, b) => a + b, 0)).toBe(packets);
}

/** Offsets of the pcapng blocks of a little-endian single-section file (the fixtures are). */
function pcapngBlockOffsets(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const offsets: number[] = [];
  for (let at = 0; at + 8 <= bytes.length; at += view.getUint32(at + 4, true)) offsets.push(at);
  return offsets;
}

/** The Ethernet frames of a fixture's Enhanced Packet Blocks, rewrapped as a big-endian classic pcap. */
function asClassicPcap(pcapng: Uint8Array): Uint8Array {
  const view = new DataView(pcapng.buffer, pcapng.byteOffset, pcapng.byteLength);
  const records = pcapngBlockOffsets(pcapng)
    .filter((at) => view.getUint32(at, true) === 6)
    .map((at, i) => ({
      seconds: 1_700_000_000 + i,
      fraction: 0,
      data: pcapng.subarray(at + 28, at + 28 + view.getUint32(at + 20, true)),
    }));
  return pcapFile({ littleEndian: false, linkType: LinkType.ETHERNET, records });
}

// Plain Uint8Array copies: Buffer#slice would return views and let mutations leak into the seeds.
const udpCapture = new Uint8Array(readFixture('sipvicious-0.3.3/kamailio-svcrack.pcap'));
const tcpCapture = new Uint8Array(readFixture('asterisk-20.20.1/ami-login-and-actions.pcap'));
const mixedCapture = new Uint8Array(readFixture('freeswitch-1.10.12/svwar-register-5091.pcap'));
const classicCapture = asClassicPcap(readFixture('h323/ooh323-call-via-asterisk.pcap'));

const seeds = [
  { name: 'UDP pcapng', bytes: udpCapture, lengthFields: pcapngBlockOffsets(udpCapture).map((at) => at + 4) },
  { name: 'TCP pcapng', bytes: tcpCapture, lengthFields: pcapngBlockOffsets(tcpCapture).map((at) => at + 4) },
  { name: 'mixed pcapng', bytes: mixedCapture, lengthFields: pcapngBlockOffsets(mixedCapture).map((at) => at + 4) },
  { name: 'classic pcap', bytes: classicCapture, lengthFields: classicRecordLengthFields(classicCapture) },
];

function classicRecordLengthFields(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fields: number[] = [];
  for (let at = 24; at + 16 <= bytes.length; at += 16 + view.getUint32(at + 8, false)) fields.push(at + 8);
  return fields;
}

/** Lengths that probe the edges: tiny, around the file size, huge. */
const suspiciousU32 = (fileLength: number) =>
  fc.oneof(
    fc.integer({ min: 0, max: 64 }),
    fc.integer({ min: Math.max(0, fileLength - 64), max: fileLength + 64 }),
    fc.integer({ min: 0, max: 0xffff_ffff }),
  );

const heldBytesOption = fc.option(fc.record({ maxTcpHeldBytes: fc.nat(4096) }), { nil: undefined });

describe('readCapture under fuzzing', () => {
  it('handles random bytes, bare and behind each capture magic', () => {
    const magics = [
      [0xd4, 0xc3, 0xb2, 0xa1],
      [0xa1, 0xb2, 0xc3, 0xd4],
      [0x4d, 0x3c, 0xb2, 0xa1],
      [0xa1, 0xb2, 0x3c, 0x4d],
      [0x0a, 0x0d, 0x0d, 0x0a],
    ];
    fc.assert(
      fc.property(fc.option(fc.constantFrom(...magics)), fc.uint8Array({ maxLength: 512 }), (magic, tail) => {
        const bytes = Uint8Array.from([...(magic ?? []), ...tail]);
        expectWellBehaved(bytes);
      }),
      { numRuns: 1000 },
    );
  });

  describe.each(seeds)('mutations of a real $name', ({ bytes: original, lengthFields }) => {
    it('truncated anywhere', () => {
      fc.assert(
        fc.property(fc.nat(original.length), heldBytesOption, (keep, options) => {
          expectWellBehaved(original.slice(0, keep), options);
        }),
        { numRuns: 300 },
      );
    });

    it('with bytes overwritten at random', () => {
      const edit = fc.record({ at: fc.nat(original.length - 1), value: fc.integer({ min: 0, max: 255 }) });
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 16 }), heldBytesOption, (edits, options) => {
          const bytes = original.slice();
          for (const { at, value } of edits) bytes[at] = value;
          expectWellBehaved(bytes, options);
        }),
        { numRuns: 300 },
      );
    });

    it('with block/record length fields overwritten', () => {
      const edit = fc.record({
        field: fc.constantFrom(...lengthFields),
        value: suspiciousU32(original.length),
        littleEndian: fc.boolean(),
      });
      fc.assert(
        fc.property(fc.array(edit, { minLength: 1, maxLength: 3 }), (edits) => {
          const bytes = original.slice();
          const view = new DataView(bytes.buffer);
          for (const { field, value, littleEndian } of edits) view.setUint32(field, value, littleEndian);
          expectWellBehaved(bytes);
        }),
        { numRuns: 300 },
      );
    });
  });

  it('leaves the unmutated seeds readable, so the mutations start from valid files', () => {
    for (const { bytes } of seeds) {
      const result = readCapture(bytes);
      expect(result.events.length).toBeGreaterThan(0);
      expect(result.warnings).toEqual([]);
    }
  });
});
