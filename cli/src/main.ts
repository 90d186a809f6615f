import { parseArgs } from 'node:util';
import { type GhostguardConfig, isGhostguardError, loadConfigFile, parseConfig } from '@ghostguard/core';
import { runAnalyze } from './commands/analyze.js';
import { runAsterisk } from './commands/asterisk.js';
import { BANS_USAGE, runBans } from './commands/bans.js';
import { runFreeswitch } from './commands/freeswitch.js';
import { runDaemonCommand } from './commands/run.js';
import { type Output, processOutput } from './output.js';

const USAGE = `ghostguard — stops ghost calls (SIP/H.323 scanners) before they reach video room systems

usage:
  ghostguard analyze <file…> [--config f] [--json] [--separate] [--log level]
      judge recorded traffic (pcap, pcapng, SIP text, JSON lines of CallAttempts) and show what
      the guard would have done: a table per source and a summary, or one JSON line per attempt
  ghostguard asterisk --config f
      attach the guard to Asterisk over AMI (the adapters.asterisk section of the config) and judge
      every call the dialplan's ghostguard-check routine raises; runs until SIGINT/SIGTERM
      (see examples/asterisk/)
  ghostguard freeswitch --config f
      guard FreeSWITCH over the Event Socket: judge every new call the dialplan hands to the outbound
      socket (adapters.freeswitch.outbound, default 127.0.0.1:8084), learn from sofia events and keep
      the room registry (sofia registrations) on the inbound one (8021); runs until SIGINT/SIGTERM
      (see examples/freeswitch/)
  ghostguard run --config f
      the daemon: every adapter and store the file configures (adapters.*, shared, feeds), the admin
      endpoint (daemon.admin) and Prometheus metrics (daemon.metrics); SIGHUP reloads the file keeping
      bans, rooms and counters, SIGTERM stops cleanly (bans written to dataDir)
${BANS_USAGE}
  ghostguard help

exit codes: 0 done, 1 unexpected failure, 2 bad usage, configuration or unreadable input`;

/** Exit code for errors the user can fix: bad arguments, bad config, unreadable input. */
export const EXIT_USAGE = 2;

function loadConfig(path: string | undefined): GhostguardConfig {
  return path === undefined ? parseConfig({}) : loadConfigFile(path);
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'analyze': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            config: { type: 'string', short: 'c' },
            json: { type: 'boolean', default: false },
            separate: { type: 'boolean', default: false },
            log: { type: 'string', default: 'error' },
          },
        });
        if (positionals.length === 0) {
          out.error('analyze: give at least one file\n\n' + USAGE);
          return EXIT_USAGE;
        }
        const logLevel = LOG_LEVELS.find((l) => l === values.log);
        if (!logLevel) {
          out.error(`analyze: --log must be one of ${LOG_LEVELS.join(', ')}`);
          return EXIT_USAGE;
        }
        runAnalyze(
          {
            files: positionals,
            config: loadConfig(values.config),
            json: values.json,
            separate: values.separate,
            logLevel,
          },
          out,
        );
        return 0;
      }
      case 'demo':
        // The demo left the CLI's dependencies (it drives stand-ins and bundles recordings): a package of its own.
        out.error('ghostguard: the demo is the @ghostguard/demo package now: run `pnpm demo` (or `ghostguard-demo`)');
        return EXIT_USAGE;
      case 'asterisk': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        if (values.config === undefined) {
          out.error(`asterisk: --config is required (adapters.asterisk holds the AMI login)\n\n${USAGE}`);
          return EXIT_USAGE;
        }
        return await runAsterisk({ configPath: values.config }, out);
      }
      case 'freeswitch': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        if (values.config === undefined) {
          out.error(`freeswitch: --config is required (adapters.freeswitch)\n\n${USAGE}`);
          return EXIT_USAGE;
        }
        return await runFreeswitch({ configPath: values.config }, out);
      }
      case 'run': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        if (values.config === undefined) {
          out.error(`run: --config is required\n\n${USAGE}`);
          return EXIT_USAGE;
        }
        return await runDaemonCommand({ configPath: values.config }, out);
      }
      case 'bans':
        return await runBans(rest, out);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        out.line(USAGE);
        return command === undefined ? EXIT_USAGE : 0;
      default:
        out.error(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
        return EXIT_USAGE;
    }
  } catch (err) {
    if (isGhostguardError(err)) {
      out.error(`ghostguard: ${err.message}`);
      return EXIT_USAGE;
    }
    if (err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      out.error(`ghostguard: ${err.message}\n\n${USAGE}`);
      return EXIT_USAGE;
    }
    out.error(`ghostguard: unexpected failure: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}
