import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  type BanExplanation,
  type BanInfo,
  Duration,
  defineErrors,
  loadConfigFile,
  parseIp,
  parseRange,
} from '@ghostguard/core';
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
  ghostguard bans add <ip or network> [--reason text] [--ttl 1h] [--force] [--json]
  ghostguard bans remove <ip or banned network>
  ghostguard bans explain <ip> [--json]
  ghostguard bans import <file|-> [--reason text] [--ttl 1h] [--force]
  ghostguard bans export [--json]
      manage the bans of a running daemon (ghostguard run) through its admin endpoint:
      --admin http://127.0.0.1:${DEFAULT_ADMIN_PORT} (default: daemon.admin.listen of --config, else that URL),
      --token t (default: daemon.admin.token/tokenFile of --config, else $${ADMIN_TOKEN_ENV});
      list shows each ban's origin (automatic, operator, replica), reason, time left and offences (and whether
      it is in the kernel's set when the firewall bouncer runs); a network (198.51.100.0/22, 2001:db8::/32, no
      host bits) bans every address in it; --ttl is capped by bans.maxTtl unless --force; 127.0.0.1, ::1, this
      host's addresses and allowlisted ones are never banned, nor a network holding one; import reads one
      address or network per line (# comments) or JSON (what export --json writes, or an array of addresses)`;

/** Exit codes: 0 done; 1 the daemon refused or could not be reached; 2 bad usage or a token it does not accept; 3 not banned. */
const EXIT_FAILED = 1;
const EXIT_USAGE = 2;
/** `bans remove` of an address that is not banned (nothing to do: scripts can tell it from a failure). */
export const EXIT_NOT_BANNED = 3;

export const BANS_EXIT_CODES =
  'exit codes: 0 done, 1 the daemon refused or could not be reached, 2 bad usage or a token the daemon does not accept, 3 remove/explain of an address that is not banned (remove)';

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

interface BanBody {
  ip: string;
  reason: string;
  ttl?: number;
  force?: boolean;
}

/** Most bans one export asks for (the admin endpoint's own cap on a list). */
const EXPORT_LIMIT = 100_000;
/** Largest import file read, and most entries in it. */
const MAX_IMPORT_BYTES = 64 * 1024 * 1024;
const MAX_IMPORT_ENTRIES = 100_000;

function ttlOf(text: string): number {
  const ttl = Duration.safeParse(text);
  if (!ttl.success || ttl.data <= 0) throw new UsageError('GG_CLI_USAGE', '--ttl: a duration like 30m, 1h or 7d');
  return ttl.data;
}

/** `2d 3h`, `45m`, `12s`: what is left of a ban, in its two largest units. */
export function remaining(ms: number): string {
  if (ms < 1000) return ms <= 0 ? 'ending' : '<1s';
  const units: Array<[string, number]> = [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ];
  const first = units.findIndex(([, size]) => ms >= size);
  const parts: string[] = [];
  let rest = ms;
  for (const [name, size] of units.slice(first, first + 2)) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0) parts.push(`${n}${name}`);
  }
  return parts.join(' ');
}

/**
 * The bans an import file asks for, every line checked before anything is sent: one address per line (blank
 * lines and `#` comments skipped), or JSON — an array of addresses or of `{ip, reason?, ttl?, until?}`, or
 * `{bans: [...]}` as `bans export --json` writes it (a ban's `until` becomes the time it has left).
 */
export function readImport(
  positionals: string[],
  reason: string | undefined,
  ttl: number | undefined,
  now = Date.now(),
): BanBody[] {
  if (positionals.length !== 1) throw new UsageError('GG_CLI_USAGE', 'bans import: give one file (or - for stdin)');
  const file = positionals[0] as string;
  let text: string;
  try {
    const fd = file === '-' ? 0 : file;
    text = readFileSync(fd, 'utf8');
  } catch (cause) {
    throw new UsageError('GG_CLI_USAGE', `bans import: cannot read ${file}: ${(cause as Error).message}`, { cause });
  }
  if (text.length > MAX_IMPORT_BYTES) throw new UsageError('GG_CLI_USAGE', `bans import: ${file} is larger than 64 MB`);
  const defaultReason = reason ?? `imported by hand (ghostguard bans import ${file})`;
  const problems: string[] = [];
  const out: BanBody[] = [];
  const take = (where: string, ip: unknown, r: unknown, t: unknown, until: unknown): void => {
    if (typeof ip !== 'string' || (parseIp(ip) === undefined && parseRange(ip) === undefined)) {
      problems.push(`${where}: not an IP address or network: ${JSON.stringify(ip)?.slice(0, 80)}`);
      return;
    }
    let entryTtl = ttl;
    if (t !== undefined) {
      const parsed = Duration.safeParse(t);
      if (!parsed.success || parsed.data <= 0) {
        problems.push(`${where}: ttl: a duration like 30m, 1h or 7d`);
        return;
      }
      entryTtl = parsed.data;
    } else if (typeof until === 'number') {
      if (until <= now) return; // ended since it was exported
      entryTtl = until - now;
    }
    out.push({
      ip,
      reason: typeof r === 'string' && r.trim() !== '' ? r.trim().slice(0, 512) : defaultReason,
      ...(entryTtl === undefined ? {} : { ttl: entryTtl }),
    });
  };
  const trimmed = text.trimStart();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (cause) {
      throw new UsageError('GG_CLI_USAGE', `bans import: ${file} is not valid JSON: ${(cause as Error).message}`);
    }
    const list = Array.isArray(data) ? data : (data as { bans?: unknown })?.bans;
    if (!Array.isArray(list)) {
      throw new UsageError('GG_CLI_USAGE', `bans import: ${file}: expected an array, or {"bans": [...]}`);
    }
    list.slice(0, MAX_IMPORT_ENTRIES + 1).forEach((item, i) => {
      if (typeof item === 'string') take(`entry ${i}`, item, undefined, undefined, undefined);
      else if (typeof item === 'object' && item !== null) {
        const o = item as Record<string, unknown>;
        take(`entry ${i}`, o.ip, o.reason, o.ttl, o.until);
      } else problems.push(`entry ${i}: expected an address or {ip, reason?, ttl?}`);
    });
  } else {
    text.split('\n').forEach((raw, i) => {
      const line = raw.replace(/#.*$/, '').trim();
      if (line !== '' && out.length + problems.length <= MAX_IMPORT_ENTRIES)
        take(`line ${i + 1}`, line, undefined, undefined, undefined);
    });
  }
  if (out.length > MAX_IMPORT_ENTRIES) {
    throw new UsageError('GG_CLI_USAGE', `bans import: more than ${MAX_IMPORT_ENTRIES} entries in ${file}`);
  }
  if (problems.length) {
    const shown = problems.slice(0, 20).map((p) => `  ${file} ${p}`);
    if (problems.length > 20) shown.push(`  … and ${problems.length - 20} more`);
    throw new UsageError(
      'GG_CLI_USAGE',
      `bans import: nothing imported, ${problems.length} bad entries:\n${shown.join('\n')}`,
    );
  }
  return out;
}

/** A ban as the admin API lists it: `kernel` is there when the firewall bouncer runs. */
type ListedBan = BanInfo & { kernel?: boolean };

/** `bans list`: one row a ban; the kernel column only when the daemon runs the firewall bouncer. */
export function banTable(bans: readonly ListedBan[], now: number): string {
  const kernel = bans.some((b) => b.kernel !== undefined);
  const head = ['ip', 'origin', 'remaining', 'until', 'offences', ...(kernel ? ['kernel'] : []), 'reason'];
  return renderTable(
    head,
    bans.map((b) => [
      b.ip,
      b.origin ?? '-',
      remaining(b.until - now),
      iso(b.until),
      b.offense,
      ...(kernel ? [b.kernel === undefined ? '-' : b.kernel ? 'yes' : 'no'] : []),
      b.reason,
    ]),
  );
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
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    if (!['list', 'add', 'remove', 'explain', 'import', 'export'].includes(sub ?? '')) {
      throw new UsageError(
        'GG_CLI_USAGE',
        `bans: expected list, add, remove, explain, import or export\n\nusage:\n${BANS_USAGE}`,
      );
    }
    const ttl = values.ttl === undefined ? undefined : ttlOf(values.ttl);
    // parsed before anything is sent: a bad line stops the import with nothing applied
    const entries = sub === 'import' ? readImport(positionals, values.reason, ttl) : [];
    const t = target(values, env);
    const print = (v: unknown): void => out.line(JSON.stringify(v, null, 2));
    switch (sub) {
      case 'list': {
        if (positionals.length > 0) throw new UsageError('GG_CLI_USAGE', 'bans list: takes no address');
        const query = values.limit === undefined ? '' : `?limit=${encodeURIComponent(values.limit)}`;
        const r = (await adminRequest(t, 'GET', `/v1/bans${query}`)) as { total: number; bans: ListedBan[] };
        if (values.json) print(r);
        else if (r.bans.length === 0) out.line('no active bans');
        else out.line(banTable(r.bans, Date.now()));
        if (!values.json && r.bans.length > 0) {
          out.line(`${r.total} active ban(s)${r.total > r.bans.length ? `, ${r.bans.length} shown (--limit)` : ''}`);
        }
        return 0;
      }
      case 'add': {
        const ip = oneIp(positionals, 'add');
        if (ip.includes('/') && parseRange(ip) === undefined) {
          throw new UsageError(
            'GG_CLI_USAGE',
            `bans add: ${ip} is not a network: write it like 198.51.100.0/22 or 2001:db8::/32, without host bits`,
          );
        }
        const body: BanBody = {
          ip,
          reason: values.reason ?? 'banned by hand (ghostguard bans add)',
          ...(ttl === undefined ? {} : { ttl }),
          ...(values.force ? { force: true } : {}),
        };
        const r = (await adminRequest(t, 'POST', '/v1/bans', body)) as { ban: BanInfo };
        if (values.json) print(r);
        else out.line(banLine(r.ban));
        return 0;
      }
      case 'remove': {
        const ip = oneIp(positionals, 'remove');
        try {
          await adminRequest(t, 'DELETE', `/v1/bans/${encodeURIComponent(ip)}`);
        } catch (err) {
          if (!isDaemonError(err) || err.code !== 'GG_ADMIN_NOT_FOUND') throw err;
          out.error(`ghostguard bans: ${ip} is not banned (nothing removed)`);
          return EXIT_NOT_BANNED;
        }
        out.line(`ban lifted: ${ip}`);
        return 0;
      }
      case 'import': {
        let added = 0;
        const refused: string[] = [];
        for (const entry of entries) {
          try {
            await adminRequest(t, 'POST', '/v1/bans', { ...entry, ...(values.force ? { force: true } : {}) });
            added++;
          } catch (err) {
            // the daemon's refusal of one entry (allowlisted, loopback, past maxTtl) does not stop the others
            if (!isDaemonError(err) || !['GG_ADMIN_CONFLICT', 'GG_ADMIN_BAD_REQUEST'].includes(err.code)) throw err;
            refused.push(`${entry.ip}: ${err.message}`);
          }
        }
        for (const line of refused.slice(0, 20)) out.error(`ghostguard bans: refused ${line}`);
        if (refused.length > 20) out.error(`ghostguard bans: … and ${refused.length - 20} more refused`);
        out.line(`imported ${added} ban(s)${refused.length ? `, ${refused.length} refused` : ''}`);
        return refused.length ? EXIT_FAILED : 0;
      }
      case 'export': {
        if (positionals.length > 0) throw new UsageError('GG_CLI_USAGE', 'bans export: takes no address');
        const r = (await adminRequest(t, 'GET', `/v1/bans?limit=${EXPORT_LIMIT}`)) as {
          total: number;
          bans: BanInfo[];
        };
        if (values.json) print({ bans: r.bans });
        else for (const b of r.bans) out.line(b.ip);
        if (r.total > r.bans.length) out.error(`ghostguard bans: ${r.total} bans, the first ${r.bans.length} exported`);
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
  if (err.code === 'GG_ADMIN_FORBIDDEN')
    return (
      ' (the daemon does not accept this token: give the right one with --token, --config or $' + ADMIN_TOKEN_ENV + ')'
    );
  if (err.code === 'GG_ADMIN_UNAUTHORIZED')
    return ` (give the admin token with --token, --config or $${ADMIN_TOKEN_ENV})`;
  if (err.code === 'GG_ADMIN_UNREACHABLE') return ' (is `ghostguard run` running with the admin endpoint on?)';
  return '';
}
