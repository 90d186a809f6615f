import { fileURLToPath } from 'node:url';

/** This package's `recordings/` folder (found from src/ and from dist/ alike). */
const RECORDINGS = new URL('../recordings/', import.meta.url);

/** The path of a recording shipped with the package (`recordings/README.md` says where each came from). */
export function recordingPath(relative: string): string {
  return fileURLToPath(new URL(relative, RECORDINGS));
}

/** The configuration `pnpm demo` runs with unless given `--config` (a copy of examples/demo/ghostguard.yaml). */
export const DEMO_CONFIG = fileURLToPath(new URL('../ghostguard.yaml', import.meta.url));
