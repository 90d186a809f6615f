import { type GhostguardConfig, isGhostguardError, loadConfigFile } from '@ghostguard/core';
import { ADAPTER_COMPONENTS, guardedComponents } from '../daemon/components.js';
import { parseDaemonSection, resolveAdminToken } from '../daemon/daemon-config.js';
import { validateComponents } from '../daemon/supervisor.js';
import type { Output } from '../output.js';

export interface CheckOptions {
  configPath: string;
  quiet?: boolean;
  env?: NodeJS.ProcessEnv;
}

/** Exit codes of `ghostguard check`: valid, or not (the message names the file and each bad key). */
export const EXIT_CHECK_VALID = 0;
export const EXIT_CHECK_INVALID = 2;

/** Keys whose values never leave the process (printed as `"***"`). */
const SECRET_KEYS = new Set(['token', 'password', 'secret', 'apiKey', 'key']);

function masked(value: unknown, depth = 0): unknown {
  if (depth > 64 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => masked(v, depth + 1));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([k, v]) => [
      k,
      SECRET_KEYS.has(k) && typeof v === 'string' ? '***' : masked(v, depth + 1),
    ]),
  );
}

/**
 * `ghostguard check --config f`: everything `ghostguard run` checks before it starts (the core's sections,
 * `daemon`, each configured adapter's and store's own section, the admin token), without starting anything.
 * Prints the effective configuration (defaults filled in, secrets masked) as JSON, which is YAML too.
 */
export function runCheck(opts: CheckOptions, out: Output): number {
  let config: GhostguardConfig;
  try {
    config = loadConfigFile(opts.configPath);
    const daemon = parseDaemonSection(config, opts.configPath);
    validateComponents(ADAPTER_COMPONENTS, config, opts.configPath);
    if (daemon.admin !== false) {
      resolveAdminToken(daemon.admin, { configPath: opts.configPath, ...(opts.env ? { env: opts.env } : {}) });
    }
    const guarded = guardedComponents(ADAPTER_COMPONENTS, config);
    if (!opts.quiet) {
      out.line(JSON.stringify(masked({ ...config, daemon }), null, 2));
      out.error(
        guarded.length
          ? `ghostguard check: ${opts.configPath} is valid; ghostguard run would start ${guarded.join(', ')}`
          : `ghostguard check: ${opts.configPath} is valid, but configures nothing to guard (no adapters.h323Gate, asterisk or freeswitch): ghostguard run would refuse to start`,
      );
    }
    return guarded.length ? EXIT_CHECK_VALID : EXIT_CHECK_INVALID;
  } catch (err) {
    if (!isGhostguardError(err)) throw err;
    out.error(`ghostguard check: ${err.message}`);
    return EXIT_CHECK_INVALID;
  }
}
