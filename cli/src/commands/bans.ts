import { parseArgs } from 'node:util';
import { type BanExplanation, type BanInfo, Duration, defineErrors, loadConfigFile } from '@ghostguard/core';
import { renderTable } from '../analyze/text-table.js';
import { type AdminTarget, adminRequest } from '../daemon/admin-client.js';
import {
  ADMIN_TOKEN_ENV,
  DEFAULT_ADMIN_PORT,
  parseDaemonSection,
  resolveAdminToken,
  urlOf,
} from '../daemon/daemon-config.js';
import { type DaemonError, isDaemonError } from '../daemon/errors.js';
import type { Output } from '../output.js';

export const BANS_USAGE = `  ghostguard bans list [--limit n] [--json]
  ghostguard bans add <ip> [--reason text] [--ttl 1h] [--json]
  ghostguard bans remove <ip>
  ghostguard bans explain <ip> [--json]
      manage the bans of a running daemon (ghostguard run) through its admin endpoint:
      --admin http://127.0.0.1:${DEFAULT_ADMIN_PORT} (default: daemon.admin.listen of --config, else that URL),
      --token t (default: daemon.admin.token/tokenFile of --config, else $${ADMIN_TOKEN_ENV})`;

/** Exit codes: 0 done; 1 the daemon refused or could not be reached; 2 bad usage or a token it does not accept. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;

/** A command line `ghostguard bans` does not take (exit code 2, with the usage). */
export const UsageError = defineErrors('UsageError', {
  GG_CLI_USAGE: {
    means:
      '`ghostguard bans` was given arguments it does not take: no subcommand, a missing or extra address, no admin token, an --admin that is not an http:// URL, a bad --ttl.',
    action: 'Fix the command line as the message and the usage printed with it say (exit code 2).',
  },
});

export interface BansCommandOptions {
  env?: NodeJS.ProcessEnv;
}

function target(values: { admin?: string; token?: string; config?: string }, env: NodeJS.ProcessEnv): AdminTarget {
  const admin =
    values.config === undefined ? undefined : parseDaemonSection(loadConfigFile(values.config), values.config).admin;
  let url = values.admin;
  if (url === undefined) url = admin ? urlOf(admin.listen) : `http://127.0.0.1:${DEFAULT_ADMIN_PORT}`;
  let token = values.token;
  if (token === undefined) {
    token = admin ? resolveAdminToken(admin, { configPath: values.config, env }) : env[ADMIN_TOKEN_ENV]?.trim();
  }
  if (!token)
    throw new UsageError('GG_CLI_USAGE', `no admin token: give --token, --config, or set $${ADMIN_TOKEN_ENV}`);
  if (!URL.canParse(url) || new URL(url).protocol !== 'http:') {
    throw new UsageError('GG_CLI_USAGE', `--admin must be an http:// URL like http://127.0.0.1:${DEFAULT_ADMIN_PORT}`);
  }
  return { url, token };
}

const iso = (ms: number): string => new Date(ms).toISOString();

function banLine(b: BanInfo): string {
  return `${b.ip} banned until ${iso(b.until)} (offense ${b.offense}): ${b.reason}`;
}

function explainLines(e: BanExplanation): string[] {
  const lines = [`address: ${e.ip}`];
  lines.push(e.trusted ? `trusted: yes (${e.trusted}): never judged, never banned` : 'trusted: no');
  if (e.denied) lines.push(`deny-listed: ${e.denied}`);
  if (e.feed) lines.push(`listed by feed ${e.feed}`);
  if (e.roomAddress)
    lines.push('room address: a room on file registered from here (identity, media and memory rules skip it)');
  lines.push(e.ban ? `ban: until ${iso(e.ban.until)} (offense ${e.ban.offense}): ${e.ban.reason}` : 'ban: none');
  lines.push(`offenses on file: ${e.offenses}`);
  if (e.activity) {
    const a = e.activity;
    lines.push(
      `activity in the current window: ${a.attemptsInWindow} attempts, ${a.distinctUnknownTargets} unknown targets, ${a.failuresInWindow} failures reported`,
    );
    if (a.trustedUntil !== undefined) lines.push(`earned trust until ${iso(a.trustedUntil)}`);
  } else lines.push('activity in the current window: none');
  if (e.memory) {
    const m = e.memory;
    lines.push(
      `remembered: ${m.suspects} refused or suspect call(s), ${m.refusals} refused; last one weighed by ${m.lastRules.join(', ') || 'nothing'}`,
    );
  } else lines.push('remembered: nothing');
  return lines;
}

function oneIp(positionals: string[], sub: string): string {
  if (positionals.length !== 1) throw new UsageError('GG_CLI_USAGE', `bans ${sub}: give exactly one address`);
  return positionals[0] as string;
}

/** `ghostguard bans list|add|remove|explain` against a running daemon's admin endpoint. */
export async function runBans(argv: string[], out: Output, opts: BansCommandOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const [sub, ...rest] = argv;
  try {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        admin: { type: 'string' },
        token: { type: 'string' },
        config: { type: 'string', short: 'c' },
        reason: { type: 'string' },
        ttl: { type: 'string' },
        limit: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (!['list', 'add', 'remove', 'explain'].includes(sub ?? '')) {
      throw new UsageError('GG_CLI_USAGE', `bans: expected list, add, remove or explain\n\nusage:\n${BANS_USAGE}`);
    }
    const t = target(values, env);
    const print = (v: unknown): void => out.line(JSON.stringify(v, null, 2));
    switch (sub) {
      case 'list': {
        if (positionals.length > 0) throw new UsageError('GG_CLI_USAGE', 'bans list: takes no address');
        const query = values.limit === undefined ? '' : `?limit=${encodeURIComponent(values.limit)}`;
        const r = (await adminRequest(t, 'GET', `/v1/bans${query}`)) as { total: number; bans: BanInfo[] };
        if (values.json) print(r);
        else if (r.bans.length === 0) out.line('no active bans');
        else {
          out.line(
            renderTable(
              ['ip', 'until', 'offense', 'reason'],
              r.bans.map((b) => [b.ip, iso(b.until), b.offense, b.reason]),
            ),
          );
          out.line(`${r.total} active ban(s)${r.total > r.bans.length ? `, ${r.bans.length} shown (--limit)` : ''}`);
        }
        return 0;
      }
      case 'add': {
        const ip = oneIp(positionals, 'add');
        const body: { ip: string; reason: string; ttl?: number } = {
          ip,
          reason: values.reason ?? 'banned by hand (ghostguard bans add)',
        };
        if (values.ttl !== undefined) {
          const ttl = Duration.safeParse(values.ttl);
          if (!ttl.success || ttl.data <= 0)
            throw new UsageError('GG_CLI_USAGE', '--ttl: a duration like 30m, 1h or 7d');
          body.ttl = ttl.data;
        }
        const r = (await adminRequest(t, 'POST', '/v1/bans', body)) as { ban: BanInfo };
        if (values.json) print(r);
        else out.line(banLine(r.ban));
        return 0;
      }
      case 'remove': {
        const ip = oneIp(positionals, 'remove');
        await adminRequest(t, 'DELETE', `/v1/bans/${encodeURIComponent(ip)}`);
        out.line(`ban lifted: ${ip}`);
        return 0;
      }
      default: {
        const ip = oneIp(positionals, 'explain');
        const r = (await adminRequest(t, 'GET', `/v1/bans/${encodeURIComponent(ip)}/explain`)) as BanExplanation;
        if (values.json) print(r);
        else for (const l of explainLines(r)) out.line(l);
        return 0;
      }
    }
  } catch (err) {
    const parseArgsError =
      err instanceof TypeError && (err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS');
    if (err instanceof UsageError || parseArgsError) {
      out.error(`ghostguard bans: ${(err as Error).message}${parseArgsError ? `\n\nusage:\n${BANS_USAGE}` : ''}`);
      return EXIT_USAGE;
    }
    if (isDaemonError(err)) {
      out.error(`ghostguard bans: ${err.message}${hint(err)}`);
      return ['GG_ADMIN_UNAUTHORIZED', 'GG_ADMIN_FORBIDDEN', 'GG_ADMIN_BAD_REQUEST'].includes(err.code)
        ? EXIT_USAGE
        : EXIT_FAILED;
    }
    throw err;
  }
}

function hint(err: DaemonError): string {
  if (err.code === 'GG_ADMIN_FORBIDDEN') return ' (the daemon does not accept this token)';
  if (err.code === 'GG_ADMIN_UNREACHABLE') return ' (is `ghostguard run` running with the admin endpoint on?)';
  return '';
}
