import { isDigits, trimLws } from './tokens.js';

/**
 * Content-Length value → byte count, or undefined when it is not 1*DIGIT.
 * Hostile values stay plain numbers (up to Infinity for absurd digit runs): callers only compare
 * them with the bytes actually present and never size anything by them.
 */
export function parseContentLength(value: string): number | undefined {
  const digits = trimLws(value);
  return isDigits(digits) ? Number(digits) : undefined;
}
