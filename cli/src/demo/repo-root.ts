import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, where the demo's bundled recordings live (found from cli/src/demo or cli/dist/demo). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
