import { createRequire } from 'node:module';

/**
 * drachtio-srf's own status table (the `sip-status` package it depends on): `res.send()` throws for any code
 * outside it, so the plugin accepts only these for its refusals (607 and 608 are missing, for instance).
 * Loaded through drachtio-srf's resolution so the table is exactly the one `res.send()` checks against.
 */
const requireFromSrf = createRequire(createRequire(import.meta.url).resolve('drachtio-srf'));
const table = requireFromSrf('sip-status') as Record<string, string>;

/** Final failure codes (400–699) that drachtio-srf's Response#send accepts. */
export const SRF_FAILURE_CODES: readonly number[] = Object.keys(table)
  .map(Number)
  .filter((code) => Number.isInteger(code) && code >= 400 && code <= 699)
  .sort((a, b) => a - b);

const accepted = new Set(SRF_FAILURE_CODES);

export function isSrfFailureCode(code: number): boolean {
  return accepted.has(code);
}
