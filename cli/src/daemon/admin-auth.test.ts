import { describe, expect, it } from 'vitest';
import { BearerCheck } from './admin-auth.js';

describe('bearer check', () => {
  const check = new BearerCheck('s3cret-token-0123456789');

  it('accepts exactly the token, case-insensitive scheme', () => {
    expect(check.check('Bearer s3cret-token-0123456789')).toBe('ok');
    expect(check.check('bearer s3cret-token-0123456789')).toBe('ok');
  });

  it('tells a missing or malformed header from a wrong token', () => {
    expect(check.check(undefined)).toBe('missing');
    expect(check.check('')).toBe('missing');
    expect(check.check('Basic czNjcmV0')).toBe('missing');
    expect(check.check('Bearer ')).toBe('missing');
    expect(check.check('Bearer s3cret-token-012345678')).toBe('wrong');
    expect(check.check('Bearer s3cret-token-0123456789x')).toBe('wrong');
    expect(check.check(`Bearer ${'a'.repeat(5000)}`)).toBe('missing');
  });
});
