import { GhostguardError, type Logger, loadConfigFile } from '@ghostguard/core';
import { ADAPTER_COMPONENTS, guardedComponents } from '../daemon/components.js';
import { type Daemon, startDaemon } from '../daemon/daemon.js';
import { isDaemonError } from '../daemon/errors.js';
import { wireSignals } from '../daemon/signals.js';
import type { Output } from '../output.js';

export interface RunCommandOptions {
  configPath: string;
  /** Resolves when the daemon should stop; default: the first SIGTERM or SIGINT (SIGHUP reloads). */
  until?: Promise<unknown>;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Called once the daemon runs (tests read its addresses). */
  onStarted?: (daemon: Daemon) => void;
}

/** Exit code when a component cannot start (port in use, no permission for port 1720…). */
export const EXIT_START_FAILED = 1;

/**
 * `ghostguard run --config f`: starts the daemon, reloads on SIGHUP, stops cleanly on SIGTERM/SIGINT (bans
 * written to dataDir) and returns 0. A bad configuration throws GG_CONFIG_* (main answers exit code 2); a
 * component that cannot start gives exit code 1. Human-readable lines go to stderr: stdout carries the
 * JSON log.
 */
export async function runDaemonCommand(opts: RunCommandOptions, out: Output): Promise<number> {
  // A daemon with no adapter would hold bans and answer its endpoints while every call goes by unjudged.
  if (guardedComponents(ADAPTER_COMPONENTS, loadConfigFile(opts.configPath)).length === 0) {
    throw new GhostguardError(
      'GG_CONFIG_INVALID',
      `${opts.configPath} configures nothing to guard: ghostguard run needs adapters.h323Gate, adapters.asterisk ` +
        'or adapters.freeswitch (adapters.drachtio runs inside your drachtio-srf app, not in the daemon); ' +
        '`ghostguard check --config <file>` shows what would start',
    );
  }
  // Until the daemon runs, a SIGHUP (logrotate, an eager operator) would kill the process by default: note it
  // and reload once started.
  let earlyHup = false;
  const onEarlyHup = (): void => {
    earlyHup = true;
  };
  if (opts.until === undefined) process.on('SIGHUP', onEarlyHup);
  let daemon: Daemon;
  try {
    daemon = await startDaemon({
      configPath: opts.configPath,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.env ? { env: opts.env } : {}),
    });
  } catch (err) {
    process.off('SIGHUP', onEarlyHup);
    if (isDaemonError(err)) {
      out.error(`ghostguard run: ${err.message}`);
      return EXIT_START_FAILED;
    }
    throw err;
  }
  const signals = opts.until === undefined ? wireSignals(daemon) : undefined;
  process.off('SIGHUP', onEarlyHup);
  if (earlyHup) void daemon.reload();
  try {
    const where = Object.entries(daemon.addresses)
      .map(([name, a]) => `${name} ${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`)
      .join(', ');
    out.error(`ghostguard run: running (${where || 'no listening component'}); SIGHUP reloads, SIGTERM stops`);
    opts.onStarted?.(daemon);
    await (opts.until ?? signals?.stopRequested);
  } finally {
    await daemon.stop();
    signals?.dispose();
  }
  out.error('ghostguard run: stopped');
  return 0;
}
