import { readFileSync } from 'node:fs';

/**
 * The installed package's version, read from its package.json: `cli/src/version.ts` (run from the checkout)
 * and `dist/version.js` (installed) are both one level below it.
 */
export const VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
