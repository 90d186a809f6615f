import type { AmiObject } from 'asterisk-manager';

/**
 * One field of an event as asterisk-manager hands it over: keys are lower-cased, values are strings, a key
 * that repeats becomes an array (the first value counts) and `variable`/`chanvariable` become objects
 * (not a text field). Anything else is absent.
 */
export function textField(evt: AmiObject, key: string): string | undefined {
  const v = evt[key];
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return typeof v[0] === 'string' ? v[0] : undefined;
  return undefined;
}
