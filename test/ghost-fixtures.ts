/**
 * The ghost-call fixtures (test/fixtures/ghost/, written by tools/make_ghost.py) and the site they are judged
 * for, shared by the core acceptance test and the three adapter tests that replay them.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type GhostguardConfig, loadConfigFile } from '@ghostguard/core';
import { DEMO_CONFIG } from '@ghostguard/demo';

export const ROOT = resolve(import.meta.dirname, '..');
export const GHOST_DIR = join(ROOT, 'test/fixtures/ghost');

/** One file per ghost caller, in name order. */
export const GHOST_VARIANTS: readonly string[] = readdirSync(GHOST_DIR)
  .filter((f) => f.endsWith('.sip.txt'))
  .sort();

/** The demo's site config (served domain, the SBC's own addresses, every room known), quiet and in memory. */
export function ghostSiteConfig(over: Partial<GhostguardConfig> = {}): GhostguardConfig {
  return { ...loadConfigFile(DEMO_CONFIG), log: { level: 'silent' }, dataDir: null, ...over };
}

/** The request times (s since the first message) of a `.sip.txt` recording, in order. */
export function requestTimes(file: string): number[] {
  return [...readFileSync(file, 'utf8').matchAll(/^===== request t=(\d+(?:\.\d+)?) /gm)].map((m) => Number(m[1]));
}
