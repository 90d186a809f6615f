import fc from 'fast-check';

/** One edit of a byte string, for fuzzing decoders with mutations of real messages. */
export type ByteMutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number };

export interface ByteMutationOptions {
  /** Byte strings that matter to the grammar under test, inserted more often than chance would. */
  interesting: fc.Arbitrary<Uint8Array>;
  /** Longest random insertion (default: fast-check's default array size). */
  maxInsertLength?: number;
  /** Longest deletion (default 40). */
  maxDeleteLength?: number;
  /** Relative weight of bit flips among the kinds (default 1). */
  flipWeight?: number;
}

export function byteMutation(opts: ByteMutationOptions): fc.Arbitrary<ByteMutation> {
  const random =
    opts.maxInsertLength === undefined ? fc.uint8Array() : fc.uint8Array({ maxLength: opts.maxInsertLength });
  return fc.oneof(
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    {
      arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      weight: opts.flipWeight ?? 1,
    },
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.oneof(opts.interesting, random) }),
    fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: opts.maxDeleteLength ?? 40 }),
    }),
  );
}

/** Applies the mutations in order; positions wrap into [from, length]. The input is never modified. */
export function mutateBytes(input: Uint8Array, mutations: readonly ByteMutation[], from = 0): Uint8Array {
  let bytes = input;
  for (const m of mutations) {
    const span = bytes.length - from;
    const at = from + (span <= 0 ? 0 : m.at % (span + 1));
    switch (m.kind) {
      case 'truncate':
        bytes = bytes.subarray(0, at);
        break;
      case 'flip':
      case 'set':
        if (at < bytes.length) {
          bytes = bytes.slice();
          bytes[at] = m.kind === 'flip' ? bytes[at]! ^ (1 << m.bit) : m.byte;
        }
        break;
      case 'insert': {
        const out = new Uint8Array(bytes.length + m.bytes.length);
        out.set(bytes.subarray(0, at));
        out.set(m.bytes, at);
        out.set(bytes.subarray(at), at + m.bytes.length);
        bytes = out;
        break;
      }
      case 'delete': {
        const end = Math.min(bytes.length, at + m.length);
        const out = new Uint8Array(bytes.length - (end - at));
        out.set(bytes.subarray(0, at));
        out.set(bytes.subarray(end), at);
        bytes = out;
        break;
      }
    }
  }
  return bytes;
}
