import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGuard, GhostguardError, loadConfigFile } from '@ghostguard/core';
import { afterEach, describe, expect, it } from 'vitest';
import { DrachtioSectionSchema, resolveDrachtioOptions } from './options.js';
import { SRF_FAILURE_CODES } from './status-table.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function guardFromYaml(yaml: string) {
  const dir = mkdtempSync(join(tmpdir(), 'gg-drachtio-'));
  dirs.push(dir);
  const file = join(dir, 'ghostguard.yaml');
  writeFileSync(file, yaml);
  return createGuard({ ...loadConfigFile(file), log: { level: 'silent' } });
}

describe('adapters.drachtio options', () => {
  it('defaults: the issue methods, 403, 486 after the guard hold', () => {
    const guard = guardFromYaml('tarpit: { holdFor: 20s }\n');
    const o = resolveDrachtioOptions(guard);
    expect(o.methods).toEqual(['invite', 'register', 'options', 'subscribe', 'message']);
    expect(o.reject.status).toBe(403);
    expect(o.tarpit.final).toBe(486);
    expect(o.holdFor).toBe(20_000);
    expect(o.onError).toBe('open');
    guard.close();
  });

  it('reads the section from ghostguard.yaml', () => {
    const guard = guardFromYaml(
      'adapters:\n  drachtio:\n    methods: [invite, register]\n    reject: { status: 603 }\n    tarpit: { holdFor: 5s, final: silence }\n    onError: closed\n',
    );
    const o = resolveDrachtioOptions(guard);
    expect(o).toMatchObject({
      methods: ['invite', 'register'],
      reject: { status: 603 },
      holdFor: 5000,
      onError: 'closed',
    });
    expect(o.tarpit.final).toBe('silence');
    guard.close();
  });

  it('refuses codes drachtio-srf cannot send (607, 608) naming the key', () => {
    expect(SRF_FAILURE_CODES).toContain(603);
    expect(SRF_FAILURE_CODES).not.toContain(607);
    const guard = guardFromYaml('adapters:\n  drachtio:\n    reject: { status: 607 }\n');
    expect(() => resolveDrachtioOptions(guard)).toThrow(/adapters\.drachtio\.reject\.status/);
    try {
      resolveDrachtioOptions(guard);
    } catch (err) {
      expect(err).toBeInstanceOf(GhostguardError);
      expect((err as GhostguardError).code).toBe('GG_CONFIG_INVALID');
    }
    guard.close();
  });

  it('refuses a hold of 64 s or more, unknown keys and unguardable methods', () => {
    expect(DrachtioSectionSchema.safeParse({ tarpit: { holdFor: '64s' } }).success).toBe(false);
    expect(DrachtioSectionSchema.safeParse({ tarpit: { holdFor: '63s' } }).success).toBe(true);
    expect(DrachtioSectionSchema.safeParse({ rejectCode: 403 }).success).toBe(false);
    expect(DrachtioSectionSchema.safeParse({ methods: ['ack'] }).success).toBe(false);
    expect(DrachtioSectionSchema.safeParse({ methods: [] }).success).toBe(false);
  });

  it('options given in code win over the file and are validated the same way', () => {
    const guard = guardFromYaml('adapters:\n  drachtio:\n    reject: { status: 603 }\n');
    expect(resolveDrachtioOptions(guard, { reject: { status: 404 } }).reject.status).toBe(404);
    expect(() => resolveDrachtioOptions(guard, { reject: { status: 200 } })).toThrow(/reject\.status/);
    guard.close();
  });
});
