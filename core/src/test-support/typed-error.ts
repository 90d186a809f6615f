import { GhostguardError } from '../errors.js';

/** The GhostguardError that `run` throws; fails the test if it returns or throws anything else. */
export function typedError(run: () => unknown): GhostguardError {
  try {
    run();
  } catch (err) {
    if (err instanceof GhostguardError) return err;
    throw err;
  }
  throw new Error('expected a GhostguardError');
}

/** The bytes of every part, one after another. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
