import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const recording = (file: string) => fileURLToPath(new URL(`../recordings/${file}`, import.meta.url));
/** ../shared beside the checkout: not part of it, so a missing original is not checked. */
const shared = (file: string) => fileURLToPath(new URL(`../../../shared/fixtures/${file}`, import.meta.url));

describe("the stand-ins' recordings", () => {
  it.each(['freeswitch-1.10.12/esl-raw-samples.txt'])('%s is a byte-identical copy, named in the README', (file) => {
    expect(existsSync(recording(file))).toBe(true);
    if (existsSync(shared(file))) expect(readFileSync(recording(file)).equals(readFileSync(shared(file)))).toBe(true);
    expect(readFileSync(recording('README.md'), 'utf8')).toContain(file);
  });
});
