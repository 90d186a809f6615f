import { parseBoundedInt, trimLws } from './tokens.js';

/** `Max-Forwards: 70` → 70; undefined unless 1*DIGIT within 0..65535 (wider than any real hop count). Never throws. */
export function parseMaxForwards(value: string): number | undefined {
  return parseBoundedInt(trimLws(value), 65535);
}
