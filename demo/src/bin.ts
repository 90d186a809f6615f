import { parseArgs } from 'node:util';
import { processOutput as out } from '@ghostguard/cli';
import { isGhostguardError } from '@ghostguard/core';
import { runDemo } from './run-demo.js';

const USAGE = `ghostguard-demo [--config f]
  the guard over bundled recordings of real scanners, ghost calls and legitimate room calls, then live over
  loopback through the H.323 gate and the drachtio, Asterisk and FreeSWITCH adapters (against stand-ins);
  --config: another ghostguard.yaml than the demo's own`;

async function main(argv: string[]): Promise<number> {
  try {
    const { values } = parseArgs({
      args: argv,
      options: { config: { type: 'string', short: 'c' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help) {
      out.line(USAGE);
      return 0;
    }
    return await runDemo({ configPath: values.config }, out);
  } catch (err) {
    if (isGhostguardError(err)) {
      out.error(`ghostguard-demo: ${err.message}`);
      return 2;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      out.error(`ghostguard-demo: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    out.error(`ghostguard-demo: unexpected failure: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
