import { parseArgs } from 'node:util';
import { type GhostguardConfig, isGhostguardError, loadConfigFile, parseConfig } from '@ghostguard/core';
import { runAnalyze } from './commands/analyze.js';
import { BANS_EXIT_CODES, BANS_USAGE, runBans } from './commands/bans.js';
import { runCheck } from './commands/check.js';
import { completionScript, SHELLS } from './commands/completion.js';
import { FIREWALL_USAGE, runFirewall } from './commands/firewall.js';
import { type Output, processOutput } from './output.js';
import { VERSION } from './version.js';

/** What each command does and takes: `ghostguard <command> --help` prints its entry, `ghostguard help` all. */
export const COMMAND_HELP: Readonly<Record<string, string>> = {
  analyze: `  ghostguard analyze <file…> [--config f] [--json] [--separate] [--top n] [--log level]
      judge recorded traffic (pcap, pcapng, SIP text, JSON lines of CallAttempts; SIP and H.323; gzip
      too) and show what the guard would have done: a table of the n busiest sources (default 50)
      and a summary, or one JSON line per attempt
      --config f    the guard's configuration (default: every default)
      --json        one JSON line per attempt instead of the tables
      --separate    judge each file with a fresh guard
      --log level   the guard's own log lines on stderr (trace…silent; default error)`,
  check: `  ghostguard check --config f [--quiet]
      validate the file as \`ghostguard run\` would (every section, the admin token) and print the
      effective configuration, defaults filled in, as JSON (secrets masked); exit 0 when valid,
      2 when not (the message names the file and every bad key), like \`nginx -t\`
      --quiet       print nothing when valid`,
  run: `  ghostguard run --config f
      the daemon: every adapter and store the file configures (adapters.*, shared, feeds, firewall), the admin
      endpoint (daemon.admin) and Prometheus metrics (daemon.metrics); SIGHUP reloads the file keeping
      bans, rooms and counters, SIGTERM stops cleanly (bans written to dataDir). Refuses to start when
      the file configures nothing to guard (no adapters.h323Gate, asterisk or freeswitch: exit 2)`,
  asterisk: `  ghostguard asterisk --config f
      attach the guard to Asterisk over AMI (the adapters.asterisk section of the config) and judge
      every call the dialplan's ghostguard-check routine raises; runs until SIGINT/SIGTERM
      (see examples/asterisk/)`,
  freeswitch: `  ghostguard freeswitch --config f
      guard FreeSWITCH over the Event Socket: judge every new call the dialplan hands to the outbound
      socket (adapters.freeswitch.outbound, default 127.0.0.1:8084), learn from sofia events and keep
      the room registry (sofia registrations) on the inbound one (8021); runs until SIGINT/SIGTERM
      (see examples/freeswitch/)`,
  bans: BANS_USAGE,
  firewall: FIREWALL_USAGE,
  completion: `  ghostguard completion bash|zsh
      print a completion script: \`source <(ghostguard completion bash)\` in ~/.bashrc, or
      \`ghostguard completion zsh > "\${fpath[1]}/_ghostguard"\` for zsh`,
  help: `  ghostguard help [command]   ghostguard <command> --help   ghostguard --version`,
};

const EXIT_CODES = 'exit codes: 0 done, 1 unexpected failure, 2 bad usage, configuration or unreadable input';

const USAGE = `ghostguard ${VERSION} — stops ghost calls (SIP/H.323 scanners) before they reach video room systems

usage:
${Object.values(COMMAND_HELP).join('\n')}

${EXIT_CODES}`;

function commandUsage(command: string): string {
  return `usage:\n${COMMAND_HELP[command]}\n\n${command === 'bans' ? BANS_EXIT_CODES : EXIT_CODES}`;
}

const wantsHelp = (args: readonly string[]): boolean => args.includes('--help') || args.includes('-h');

/** Exit code for errors the user can fix: bad arguments, bad config, unreadable input. */
export const EXIT_USAGE = 2;

function loadConfig(path: string | undefined): GhostguardConfig {
  return path === undefined ? parseConfig({}) : loadConfigFile(path);
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export async function main(argv: string[], out: Output = processOutput): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command !== undefined && command in COMMAND_HELP && command !== 'help' && wantsHelp(rest)) {
      out.line(commandUsage(command));
      return 0;
    }
    switch (command) {
      case '--version':
      case '-V':
      case 'version':
        out.line(VERSION);
        return 0;
      case 'check': {
        const { values } = parseArgs({
          args: rest,
          options: { config: { type: 'string', short: 'c' }, quiet: { type: 'boolean', short: 'q', default: false } },
        });
        if (values.config === undefined) {
          out.error(`check: --config is required\n\n${commandUsage('check')}`);
          return EXIT_USAGE;
        }
        return runCheck({ configPath: values.config, quiet: values.quiet }, out);
      }
      case 'completion': {
        const script = rest.length === 1 ? completionScript(rest[0] as string) : undefined;
        if (script === undefined) {
          out.error(`completion: give one shell: ${SHELLS.join(' or ')}\n\n${commandUsage('completion')}`);
          return EXIT_USAGE;
        }
        out.line(script.trimEnd());
        return 0;
      }
      case 'analyze': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: {
            config: { type: 'string', short: 'c' },
            json: { type: 'boolean', default: false },
            separate: { type: 'boolean', default: false },
            top: { type: 'string', default: '50' },
            log: { type: 'string', default: 'error' },
          },
        });
        if (positionals.length === 0) {
          out.error(`analyze: give at least one file\n\n${commandUsage('analyze')}`);
          return EXIT_USAGE;
        }
        const logLevel = LOG_LEVELS.find((l) => l === values.log);
        if (!logLevel) {
          out.error(`analyze: --log must be one of ${LOG_LEVELS.join(', ')}`);
          return EXIT_USAGE;
        }
        const top = Number(values.top);
        if (!Number.isInteger(top) || top < 0) {
          out.error('analyze: --top must be a whole number of sources (0 or more)');
          return EXIT_USAGE;
        }
        await runAnalyze(
          {
            files: positionals,
            config: loadConfig(values.config),
            json: values.json,
            separate: values.separate,
            top,
            logLevel,
            ...(out === processOutput && process.stderr.isTTY
              ? { progress: (text: string) => process.stderr.write(text) }
              : {}),
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
          out.error(
            `asterisk: --config is required (adapters.asterisk holds the AMI login)\n\n${commandUsage('asterisk')}`,
          );
          return EXIT_USAGE;
        }
        // loaded when used: the daemon's commands pull in every adapter, which analyze and bans never need
        const { runAsterisk } = await import('./commands/asterisk.js');
        return await runAsterisk({ configPath: values.config }, out);
      }
      case 'freeswitch': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        if (values.config === undefined) {
          out.error(`freeswitch: --config is required (adapters.freeswitch)\n\n${commandUsage('freeswitch')}`);
          return EXIT_USAGE;
        }
        const { runFreeswitch } = await import('./commands/freeswitch.js');
        return await runFreeswitch({ configPath: values.config }, out);
      }
      case 'run': {
        const { values } = parseArgs({ args: rest, options: { config: { type: 'string', short: 'c' } } });
        if (values.config === undefined) {
          out.error(`run: --config is required\n\n${commandUsage('run')}`);
          return EXIT_USAGE;
        }
        const { runDaemonCommand } = await import('./commands/run.js');
        return await runDaemonCommand({ configPath: values.config }, out);
      }
      case 'bans':
        return await runBans(rest, out);
      case 'firewall': {
        const { values, positionals } = parseArgs({
          args: rest,
          allowPositionals: true,
          options: { config: { type: 'string', short: 'c' } },
        });
        return await runFirewall({ subcommand: positionals[0], configPath: values.config }, out);
      }
      case 'help': {
        const [topic] = rest;
        if (topic !== undefined && !(topic in COMMAND_HELP)) {
          out.error(`help: no command ${JSON.stringify(topic)}\n\n${USAGE}`);
          return EXIT_USAGE;
        }
        out.line(topic === undefined ? USAGE : commandUsage(topic));
        return 0;
      }
      case undefined:
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
      out.error(`ghostguard: ${err.message}\n\n${command && command in COMMAND_HELP ? commandUsage(command) : USAGE}`);
      return EXIT_USAGE;
    }
    out.error(`ghostguard: unexpected failure: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}
