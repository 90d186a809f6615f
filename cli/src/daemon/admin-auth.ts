import { createHash, timingSafeEqual } from 'node:crypto';

export type AuthResult = 'ok' | 'missing' | 'wrong';

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Checks `Authorization: Bearer <token>` against the admin token in constant time: both sides are hashed
 * first, so the comparison neither leaks the token's length nor stops at the first differing byte.
 */
export class BearerCheck {
  private readonly expected: Buffer;

  constructor(token: string) {
    this.expected = digest(token);
  }

  check(header: string | undefined): AuthResult {
    if (header === undefined) return 'missing';
    const m = /^Bearer[ \t]+(\S{1,4096})[ \t]*$/i.exec(header);
    if (!m) return 'missing';
    return timingSafeEqual(digest(m[1] ?? ''), this.expected) ? 'ok' : 'wrong';
  }
}
