import { AsteriskSectionSchema, type AsteriskStats, amiAccess, attachAsterisk } from '@ghostguard/asterisk';
import { createGuard, type GuardOptions, loadConfigFile, parseAdapterSection } from '@ghostguard/core';
import type { Output } from '../output.js';
import { untilSignal } from './until-signal.js';

export interface AsteriskCommandOptions {
  configPath: string;
  /** Resolves when the command should stop; default: the first SIGINT or SIGTERM. */
  until?: Promise<unknown>;
  /** Passed to createGuard (tests give a logger). */
  guardOptions?: GuardOptions;
}

/** Exit code when Asterisk refuses the manager login: a configuration error the user must fix. */
export const EXIT_AUTH = 2;

function summary(s: AsteriskStats): string {
  return (
    `checks ${s.checks}: allow ${s.allowed}, reject ${s.rejected}, drop ${s.dropped}, tarpit ${s.tarpitted}; ` +
    `unjudgeable ${s.unjudgeable}, malformed ${s.malformed}, channel gone ${s.channelGone}; ` +
    `security reports ${s.securityReports}, bans from reports ${s.bansFromReports}; connects ${s.connects}, drops ${s.drops}`
  );
}

/**
 * `ghostguard asterisk --config f`: loads the configuration (the manager connection is `adapters.asterisk`),
 * creates the guard, attaches it to Asterisk over AMI and runs until SIGINT/SIGTERM, then closes cleanly
 * (bans are written to dataDir). A refused login stops the command with exit code 2; an unreachable
 * Asterisk is retried with backoff while calls follow the dialplan's fail policy.
 */
export async function runAsterisk(opts: AsteriskCommandOptions, out: Output): Promise<number> {
  const config = loadConfigFile(opts.configPath);
  const section = parseAdapterSection(AsteriskSectionSchema, config, 'asterisk', opts.configPath);
  const signal = opts.until === undefined ? untilSignal() : undefined;
  const stop = opts.until ?? signal!.done;
  const guard = createGuard(config, opts.guardOptions);
  const attachment = attachAsterisk(guard, amiAccess(section), section);
  out.line(
    `ghostguard asterisk: connecting to ${section.host}:${section.port} as ${section.username} (mode ${config.mode})`,
  );
  let code = 0;
  try {
    const first = await Promise.race([
      attachment.ready.then(
        () => 'ready' as const,
        (err: Error) => err,
      ),
      stop.then(() => 'stop' as const),
    ]);
    if (first instanceof Error) {
      out.error(`ghostguard asterisk: ${first.message}`);
      code = EXIT_AUTH;
    } else {
      if (first === 'ready') out.line('ghostguard asterisk: connected; judging calls (Ctrl-C to stop)');
      await stop;
    }
  } finally {
    signal?.dispose();
    await attachment.close();
    guard.close();
  }
  out.line(`ghostguard asterisk: stopped; ${summary(attachment.stats())}`);
  return code;
}
