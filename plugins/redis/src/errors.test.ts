import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { definedErrorCodes } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { RedisBansError } from './index.js';

const SRC = new URL('.', import.meta.url).pathname;

describe('RedisBansError', () => {
  it('defines each code once, with what it means and what the operator does', () => {
    const codes = Object.entries(RedisBansError.codes);
    expect(codes.length).toBeGreaterThan(5);
    for (const [code, doc] of codes) {
      expect(code).toMatch(/^GG_REDIS_[A-Z_]+$/);
      expect(doc.means.length).toBeGreaterThan(20);
      expect(doc.action.length).toBeGreaterThan(3);
      expect(definedErrorCodes().find((d) => d.code === code)).toMatchObject({ owner: 'RedisBansError' });
    }
    const err = new RedisBansError('GG_REDIS_CLOSED', 'closed');
    expect(err).toMatchObject({ name: 'RedisBansError', code: 'GG_REDIS_CLOSED', message: 'closed' });
  });

  it('is what every runtime file throws: no bare Error, and every code a log line carries is defined', () => {
    const runtime = readdirSync(SRC).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));
    expect(runtime).toContain('attach.ts');
    for (const file of runtime) {
      const text = readFileSync(join(SRC, file), 'utf8');
      expect(text, file).not.toMatch(/new (Type|Range)?Error\(/);
      expect(text, file).not.toMatch(/extends Error\b/);
      for (const [, code] of text.matchAll(/code: '(GG_[A-Z_]+)'/g)) {
        expect(Object.keys(RedisBansError.codes), `${file}: ${code}`).toContain(code);
      }
    }
  });
});
