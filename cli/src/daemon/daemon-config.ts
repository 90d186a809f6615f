import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Duration, type GhostguardConfig, GhostguardError, parseSection } from '@ghostguard/core';
import { z } from 'zod';

/** Environment variable holding the admin token when the file names none. */
export const ADMIN_TOKEN_ENV = 'GHOSTGUARD_ADMIN_TOKEN';
/** Shortest token accepted: a guessable token on an endpoint that lifts bans is worse than none. */
export const MIN_TOKEN_LENGTH = 16;
export const DEFAULT_ADMIN_PORT = 9733;
export const DEFAULT_METRICS_PORT = 9734;

const ListenSchema = (defaultPort: number) =>
  z
    .object({
      /** Loopback by default: both endpoints are for the host's own tools and scrapers. */
      host: z.string().min(1).max(255).default('127.0.0.1'),
      /** 0 picks an ephemeral port (tests). */
      port: z.number().int().min(0).max(65_535).default(defaultPort),
    })
    .strict()
    .prefault({});

const AdminSchema = z
  .object({
    listen: ListenSchema(DEFAULT_ADMIN_PORT),
    /** The bearer token clients must send. Prefer tokenFile or the environment: this file may be world-readable. */
    token: z.string().min(MIN_TOKEN_LENGTH, `at least ${MIN_TOKEN_LENGTH} characters`).max(4096).optional(),
    /** A file holding the token (surrounding whitespace ignored); relative to the configuration file. */
    tokenFile: z.string().min(1).max(4096).optional(),
  })
  .strict()
  .refine((a) => a.token === undefined || a.tokenFile === undefined, 'give token or tokenFile, not both');

const MetricsSchema = z
  .object({
    listen: ListenSchema(DEFAULT_METRICS_PORT),
    /** URL path of the exposition. */
    path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~/-]{0,255}$/, 'an absolute URL path like /metrics')
      .default('/metrics'),
  })
  .strict();

/** The `daemon` section of the configuration file, owned by `ghostguard run`. */
export const DaemonSectionSchema = z
  .object({
    /** The admin endpoint (bans, rooms, stats, reload); `false` switches it off. */
    admin: z.union([z.literal(false), AdminSchema]).default(() => AdminSchema.parse({})),
    /** The Prometheus endpoint; `false` switches it off. */
    metrics: z.union([z.literal(false), MetricsSchema]).default(() => MetricsSchema.parse({})),
    /**
     * A component that cannot start when the daemon starts (port in use…) stops the daemon (true), or is
     * logged, reported down in the metrics and retried on each reload (false).
     */
    requireAllComponents: z.boolean().default(true),
    /** Longest wait (ms) for one component to start or to close. */
    stopTimeout: Duration.refine((ms) => ms > 0, 'more than 0').default(10_000),
  })
  .strict();

export type DaemonSection = z.infer<typeof DaemonSectionSchema>;
export type AdminSection = Exclude<DaemonSection['admin'], false>;
export type MetricsSection = Exclude<DaemonSection['metrics'], false>;
export type ListenSection = AdminSection['listen'];

/** Validates `config.daemon` (absent: every default); throws GG_CONFIG_INVALID naming `daemon.<key>`. */
export function parseDaemonSection(config: GhostguardConfig, origin = 'configuration'): DaemonSection {
  return parseSection(DaemonSectionSchema, config.daemon, ['daemon'], origin);
}

export interface TokenSources {
  /** The configuration file's path: a relative tokenFile is read from its directory. */
  configPath?: string;
  env?: NodeJS.ProcessEnv;
}

/**
 * The admin token: `token`, else the contents of `tokenFile`, else $GHOSTGUARD_ADMIN_TOKEN. No token (or a
 * short one) is a configuration error: the admin endpoint does not start without one (set `admin: false`).
 */
export function resolveAdminToken(admin: AdminSection, sources: TokenSources = {}): string {
  let token: string | undefined = admin.token;
  let from = 'daemon.admin.token';
  if (token === undefined && admin.tokenFile !== undefined) {
    const file =
      sources.configPath === undefined ? admin.tokenFile : resolve(dirname(sources.configPath), admin.tokenFile);
    from = `daemon.admin.tokenFile (${file})`;
    try {
      token = readFileSync(file, 'utf8').trim();
    } catch (cause) {
      throw new GhostguardError('GG_CONFIG_READ', `cannot read ${from}: ${(cause as Error).message}`, { cause });
    }
  }
  if (token === undefined) {
    const env = (sources.env ?? process.env)[ADMIN_TOKEN_ENV]?.trim();
    if (env) {
      token = env;
      from = `$${ADMIN_TOKEN_ENV}`;
    }
  }
  if (token === undefined || token === '') {
    throw new GhostguardError(
      'GG_CONFIG_INVALID',
      `the admin endpoint needs a token: set daemon.admin.token, daemon.admin.tokenFile or $${ADMIN_TOKEN_ENV}, ` +
        'or switch the endpoint off with `admin: false`',
    );
  }
  if (token.length < MIN_TOKEN_LENGTH) {
    throw new GhostguardError(
      'GG_CONFIG_INVALID',
      `the admin token from ${from} is too short: at least ${MIN_TOKEN_LENGTH} characters`,
    );
  }
  return token;
}

/** `http://host:port` for a listen address; a wildcard host is reached over loopback. */
export function urlOf(listen: { host: string; port: number }): string {
  const host = listen.host === '0.0.0.0' ? '127.0.0.1' : listen.host === '::' ? '::1' : listen.host;
  return `http://${host.includes(':') ? `[${host}]` : host}:${listen.port}`;
}
