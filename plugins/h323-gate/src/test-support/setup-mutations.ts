import fc from 'fast-check';

/**
 * What a prober does to a SETUP, or what a real H.323 stack would still take: bytes after it in the same
 * segment, a UUIE cut short or with its tail zeroed, a flipped bit in the UUIE, a Q.931 IE length that lies.
 * Each applies to a whole TPKT frame (the SETUP as sent) and gives a whole frame back: the TPKT length always
 * matches what is sent, so the gate reads it at once, as a prober's SETUP would be read.
 */
export type SetupMutation =
  /** `garbage` after the frame, in the same segment; its first byte cannot start a TPKT header. */
  | { kind: 'trailing-garbage'; garbage: Uint8Array }
  /** The last `cut` bytes of the UUIE left off; the User-User IE length then lies unless `fixIeLength`. */
  | { kind: 'truncated-uuie'; cut: number; fixIeLength: boolean }
  /** The last `bytes` bytes of the UUIE set to zero. */
  | { kind: 'zeroed-uuie-tail'; bytes: number }
  /** One bit of the User-User IE contents (protocol discriminator and UUIE) flipped. */
  | { kind: 'uuie-bit-flip'; at: number; bit: number }
  /** The length of the `ie`-th information element set to `length` (never its true length). */
  | { kind: 'lying-ie-length'; ie: number; length: number };

interface IeAt {
  id: number;
  /** Offset of the identifier in the frame. */
  at: number;
  /** Identifier and length octets. */
  header: number;
  length: number;
}

const TPKT = 4;
/** Q.931 header of the SETUPs encodeSetup() makes: discriminator, call reference length 2, reference, type. */
const Q931_HEADER = 5;
const USER_USER = 0x7e;

/** The information elements of an intact SETUP frame, in order. */
export function ieLayout(frame: Uint8Array): IeAt[] {
  const out: IeAt[] = [];
  let at = TPKT + Q931_HEADER;
  while (at < frame.length) {
    const id = frame[at]!;
    const header = id === USER_USER ? 3 : 2;
    const length = id === USER_USER ? (frame[at + 1]! << 8) | frame[at + 2]! : frame[at + 1]!;
    out.push({ id, at, header, length });
    at += header + length;
  }
  if (at !== frame.length) throw new Error('not an intact SETUP frame');
  return out;
}

/** Where the User-User IE's contents (discriminator, then the UUIE) sit in the frame. */
export function userUserContents(frame: Uint8Array): { start: number; length: number } {
  const uu = ieLayout(frame).find((ie) => ie.id === USER_USER);
  if (uu === undefined || uu.at + uu.header + uu.length !== frame.length) throw new Error('no User-User IE last');
  return { start: uu.at + uu.header, length: uu.length };
}

function setTpktLength(frame: Uint8Array): void {
  frame[2] = frame.length >> 8;
  frame[3] = frame.length & 0xff;
}

/** The bytes a prober sends: the SETUP frame (and what follows it in the segment) after `m`. */
export function mutateSetup(frame: Uint8Array, m: SetupMutation): Uint8Array {
  const uu = userUserContents(frame);
  switch (m.kind) {
    case 'trailing-garbage': {
      const out = new Uint8Array(frame.length + m.garbage.length);
      out.set(frame);
      out.set(m.garbage, frame.length);
      return out;
    }
    case 'truncated-uuie': {
      const cut = Math.min(Math.max(1, m.cut), uu.length);
      const out = frame.slice(0, frame.length - cut);
      setTpktLength(out);
      if (m.fixIeLength) {
        out[uu.start - 2] = (uu.length - cut) >> 8;
        out[uu.start - 1] = (uu.length - cut) & 0xff;
      }
      return out;
    }
    case 'zeroed-uuie-tail': {
      const out = frame.slice();
      // The UUIE, not its protocol discriminator.
      out.fill(0, frame.length - Math.min(Math.max(1, m.bytes), uu.length - 1));
      return out;
    }
    case 'uuie-bit-flip': {
      const out = frame.slice();
      out[uu.start + (m.at % uu.length)]! ^= 1 << (m.bit & 7);
      return out;
    }
    case 'lying-ie-length': {
      const ies = ieLayout(frame);
      const ie = ies[m.ie % ies.length]!;
      const out = frame.slice();
      if (ie.header === 3) {
        const length = m.length & 0xffff;
        const lie = length === ie.length ? (length + 1) & 0xffff : length;
        out[ie.at + 1] = lie >> 8;
        out[ie.at + 2] = lie & 0xff;
      } else {
        const length = m.length & 0xff;
        out[ie.at + 1] = length === ie.length ? (length + 1) & 0xff : length;
      }
      return out;
    }
  }
}

/** Bytes that cannot start a TPKT header (first byte not 3): what a prober appends, 1 to 64 of them. */
const garbage = fc.uint8Array({ minLength: 1, maxLength: 64 }).map((g) => {
  if (g[0] === 3) g[0] = 0x33;
  return g;
});

/** Any of the mutations, positions and lengths drawn over a SETUP of up to 64 KiB (applied modulo its sizes). */
export const setupMutation: fc.Arbitrary<SetupMutation> = fc.oneof(
  garbage.map((g): SetupMutation => ({ kind: 'trailing-garbage', garbage: g })),
  fc
    .record({ cut: fc.integer({ min: 1, max: 400 }), fixIeLength: fc.boolean() })
    .map((r): SetupMutation => ({ kind: 'truncated-uuie', ...r })),
  fc.integer({ min: 1, max: 400 }).map((bytes): SetupMutation => ({ kind: 'zeroed-uuie-tail', bytes })),
  fc
    .record({ at: fc.nat(0xffff), bit: fc.integer({ min: 0, max: 7 }) })
    .map((r): SetupMutation => ({ kind: 'uuie-bit-flip', ...r })),
  fc
    .record({ ie: fc.nat(16), length: fc.oneof(fc.nat(0xff), fc.nat(0xffff)) })
    .map((r): SetupMutation => ({ kind: 'lying-ie-length', ...r })),
);

/**
 * One mutation, sometimes followed by trailing garbage as well (a prober that pads what it already broke).
 * Applied in order.
 */
export const setupMutations: fc.Arbitrary<SetupMutation[]> = fc
  .tuple(setupMutation, fc.option(garbage, { freq: 3 }))
  .map(([m, g]) => (g === null || m.kind === 'trailing-garbage' ? [m] : [m, { kind: 'trailing-garbage', garbage: g }]));

/** All of `ms` applied to `frame` (trailing garbage goes after whatever the others left). */
export function mutateSetupAll(frame: Uint8Array, ms: readonly SetupMutation[]): Uint8Array {
  let out = frame;
  const tail: Uint8Array[] = [];
  for (const m of ms) {
    if (m.kind === 'trailing-garbage') tail.push(m.garbage);
    else out = mutateSetup(out, m);
  }
  return tail.length === 0 ? out : Buffer.concat([out, ...tail]);
}
