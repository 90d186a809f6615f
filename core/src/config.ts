import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { cidrProblem, findUnknownKeys, formatUnknownKey } from './config-keys.js';
import { GhostguardError } from './errors.js';

/** `1500`, `"1500ms"`, `"10s"`, `"5m"`, `"2h"`, `"7d"` → milliseconds. */
const DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export const Duration = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'string' ? DURATION.exec(v.trim()) : null;
  const ms =
    typeof v === 'number' ? v : m ? Number(m[1]) * UNIT_MS[(m[2] ?? 'ms') as keyof typeof UNIT_MS] : Number.NaN;
  if (!Number.isFinite(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: `a duration like 500ms, 10s, 5m, 2h or 7d (got ${JSON.stringify(v)})` });
    return z.NEVER;
  }
  return ms;
});

/** [first level, second level] prefix lengths, the first longer (`[24, 16]`). */
const PrefixPair = (min: number, max: number) =>
  z
    .tuple([z.number().int().min(min).max(max), z.number().int().min(min).max(max)])
    .refine(([a, b]) => a > b, 'two prefix lengths, the first longer than the second, like [24, 16]');

const ActionSchema = z.enum(['allow', 'reject', 'drop', 'tarpit']);
const TierSchema = z.object({ minScore: z.number(), action: ActionSchema });
const TiersSchema = z.array(TierSchema).min(1);

const RegexString = z.string().refine(
  (s) => {
    try {
      new RegExp(s);
      return true;
    } catch {
      return false;
    }
  },
  { message: 'a valid regular expression' },
);

export const FingerprintFieldSchema = z.enum([
  'userAgent',
  'fromDisplay',
  'toDisplay',
  'callerUser',
  'targetUser',
  'sdpSessionName',
  'viaBranch',
  'fromTag',
  'h323ProductId',
  'h323VersionId',
  'h323Display',
]);

const CustomFingerprintSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/, 'lower-case id like custom.my-scanner'),
  description: z.string(),
  field: FingerprintFieldSchema,
  pattern: RegexString,
  weight: z.number(),
  source: z.string().default('local configuration'),
});

/** What a room system is: a video room (the default: what ghostguard guards) or an audio endpoint. */
export const RoomKindSchema = z.enum(['video', 'audio']);
export type RoomKind = z.infer<typeof RoomKindSchema>;

/**
 * A network as text (`192.0.2.0/24`, `2001:db8::/32`, a bare address), checked when the file loads: every
 * bad entry of a list is named (its index in the key path), host bits below the prefix are an error.
 */
const CidrText = z.string().superRefine((s, ctx) => {
  const problem = cidrProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** A network, or a named peer `{name, address}` (the name shows in verdict reasons). */
const NamedCidr = z.union([CidrText, z.object({ name: z.string(), address: CidrText }).strict()]);
/** A duration where 0 makes no sense (a window, a ban, a hold). */
const PositiveDuration = Duration.refine((ms) => ms > 0, 'more than 0 (a duration like 10s, 5m)');

const CallerListSchema = z
  .object({
    /** Source networks (CIDRs). */
    cidrs: z.array(CidrText).default([]),
    /** SIP domains: the caller's From host, when the identity checks found nothing forged about it. */
    domains: z.array(z.string().min(1)).default([]),
    /** H.323 aliases of the caller (h323-ID, dialledDigits), or SIP From users. */
    aliases: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .prefault({});

/**
 * Who may call a room (the room vendors' "block all, then allow who may call you", per room). Registered
 * rooms calling each other always pass; trusted peers never reach this.
 */
export const CallerPolicySchema = z
  .object({
    allow: CallerListSchema,
    deny: CallerListSchema,
    /** open: everyone else is scored as usual; known: everyone else is refused with `refuse`. */
    others: z.enum(['open', 'known']).default('open'),
    refuse: z.enum(['reject', 'drop', 'tarpit']).default('reject'),
  })
  .strict();
export type CallerPolicyConfig = z.infer<typeof CallerPolicySchema>;

export const ConfigSchema = z
  .object({
    /** enforce: adapters carry out verdicts; monitor: verdicts are logged only. */
    mode: z.enum(['enforce', 'monitor']).default('enforce'),
    /** Where bans are persisted (atomic writes). null keeps them in memory only. */
    dataDir: z.string().nullable().default(null),
    log: z
      .object({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
        /**
         * Refusal lines (the guard's verdict lines and each adapter's call lines, refusal-log.ts): the first refusal
         * of a source in `window` is itemised, the rest counted into one line per source per window; at most
         * `linesPerSecond` itemised lines (and as many window lines) a second; `maxSources` tracked at once. Absent:
         * these defaults (refusal-log.ts).
         */
        refusals: z
          .object({
            window: Duration.refine((ms) => ms >= 0 && ms <= 86_400_000, 'from 0 (every refusal) to 24h').default(
              60_000,
            ),
            linesPerSecond: z.number().int().min(1).max(100_000).default(10),
            maxSources: z.number().int().min(2).max(1_000_000).default(4096),
          })
          .strict()
          .optional(),
      })
      .prefault({}),
    trust: z
      .object({
        /** Allowlisted networks and peers (trunks, bridges, the PBX itself): never judged. */
        cidrs: z.array(NamedCidr).default([]),
        /** How much a completed call lowers the source's later scores, and for how long. */
        earnedTrustWeight: z.number().nonnegative().default(30),
        earnedTrustFor: Duration.default(86_400_000),
      })
      .prefault({}),
    deny: z.object({ cidrs: z.array(NamedCidr).default([]) }).prefault({}),
    rules: z
      .object({
        /** Rule or fingerprint ids to switch off, e.g. `fp.ua.sipsak` where operators use sipsak. */
        disable: z.array(z.string()).default([]),
        /** Override the weight of any rule or fingerprint id. */
        weights: z.record(z.string(), z.number()).default({}),
      })
      .prefault({}),
    fingerprints: z.object({ custom: z.array(CustomFingerprintSchema).default([]) }).prefault({}),
    dialShape: z
      .object({
        /** Domains this deployment serves; a Request-URI host outside them (or an IP literal) is a signal. */
        domains: z.array(z.string()).default([]),
        /** Local IP addresses that are legitimate Request-URI hosts (the SBC's own). */
        localAddresses: z.array(z.string()).default([]),
        /** Target users that exist: exact names or globs with `*` and `?` (room systems, extensions). */
        knownTargets: z.array(z.string()).default([]),
        /** Toll-fraud number shapes, as regular expressions on the dialled user part. */
        tollFraudPatterns: z
          .array(RegexString)
          .default(['^(?:9|90|900|0)?(?:\\+|00|011)[1-9]\\d{5,}$', '^(?:9|90|900)[1-9]\\d{9,}$']),
        /** A dialled all-digit target at least this long is a signal on its own. */
        longDigitString: z.number().int().positive().default(11),
      })
      .prefault({}),
    behaviour: z
      .object({
        window: PositiveDuration.default(10_000),
        /** Upper bound on sources (and on prefixes) tracked; least recently seen are evicted. */
        maxSources: z.number().int().positive().default(100_000),
        prefixV4: z.number().int().min(8).max(32).default(24),
        prefixV6: z.number().int().min(16).max(128).default(64),
        /** Attempts per window per source / per prefix above which rate is a signal. */
        ratePerSource: z.number().positive().default(20),
        ratePerPrefix: z.number().positive().default(60),
        /** Distinct unknown targets per window that mean enumeration (per source and per prefix). */
        distinctUnknownTargets: z.number().int().positive().default(8),
        /** Same, when no room/target knowledge is configured (every target counts, so the bar is higher). */
        distinctTargetsBlind: z.number().int().positive().default(40),
        /** Run of consecutive numbers (100, 101, 102…) to unknown targets that means a sweep. */
        sequentialRun: z.number().int().min(2).default(5),
        /** PBX-reported failures (auth, unknown extension) per window that are a signal. */
        failures: z.number().int().positive().default(3),
      })
      .prefault({}),
    bans: z
      .object({
        /** A verdict scoring at least this bans the source. */
        banScore: z.number().default(100),
        /** PBX-reported failures within one window that ban the source. */
        failuresToBan: z.number().int().positive().default(10),
        ttl: PositiveDuration.default(600_000),
        /** Each repeat ban multiplies the TTL, up to maxTtl. */
        escalation: z.number().min(1).default(4),
        maxTtl: PositiveDuration.default(7 * 86_400_000),
        /** How long a source's past offences count for escalation. */
        offenseMemory: PositiveDuration.default(30 * 86_400_000),
        /**
         * Upper bound on the ban list (addresses and prefixes). At the cap the ban with the fewest offences that
         * ends soonest makes room; a newcomer with fewer offences than every ban on file is not kept (an
         * operator's ban always is), so a flood of one-shot sources cannot wash out a repeat offender.
         */
        maxBans: z.number().int().positive().default(1_000_000),
        /** Upper bound on offence records (for TTL escalation), evicted the same way. Default: maxBans. */
        maxOffenses: z.number().int().positive().optional(),
        /**
         * Prefix aggregation: once `after` addresses of one first-level prefix are banned they become one ban
         * of the prefix, and `after` banned prefixes of one second-level prefix become one ban of that. 0: off.
         * Allowlisted addresses inside a banned prefix stay trusted.
         */
        aggregate: z
          .object({
            after: z.number().int().min(0).default(64),
            v4: PrefixPair(8, 32).default([24, 16]),
            v6: PrefixPair(16, 128).default([64, 48]),
          })
          .strict()
          .prefault({}),
      })
      .prefault({}),
    /** The embedded store in dataDir (SQLite, WAL): bans and offences written incrementally. */
    store: z
      .object({
        /** Automatic bans are written in the background at least this often (at most this much is lost to a crash). */
        flushEvery: Duration.refine((ms) => ms > 0 && ms <= 60_000, 'between 1 ms and 60 s').default(200),
        /**
         * Rows per background transaction at most (smaller: shorter event-loop pauses; the store also sizes batches
         * to about 2 ms). 256: a 100k-ban burst pauses the loop ≤ 10 ms (pnpm bench banStore), 200k rows a second.
         */
        batchSize: z.number().int().min(1).max(100_000).default(256),
      })
      .strict()
      .prefault({}),
    tarpit: z
      .object({
        /** Concurrent tarpits across all adapters; beyond it the guard drops instead. */
        maxConcurrent: z.number().int().min(0).default(200),
        /** How long a tarpitted call rings before its final answer (< 64 s: SIP transaction timeout). */
        holdFor: Duration.refine(
          (ms) => ms > 0 && ms < 64_000,
          'more than 0 and less than 64 s (SIP Timer B/F)',
        ).default(30_000),
      })
      .prefault({}),
    policy: z
      .object({
        /** Highest matching tier wins. Below every tier: allow. */
        tiers: TiersSchema.default([
          { minScore: 80, action: 'drop' },
          { minScore: 50, action: 'reject' },
        ]),
        /** Per-method tier overrides, e.g. OPTIONS: [{minScore: 50, action: drop}]. */
        methods: z.record(z.string(), TiersSchema).default({}),
        /**
         * ghostguard's own faults (a rule that throws, an attempt object an adapter built wrong): allow (open) or
         * refuse with failClosedAction (closed). Always logged. Never applies to what a caller sent: a request
         * that does not decode is scored (`input.undecodable`), not let through.
         */
        onInternalError: z.enum(['open', 'closed']).optional(),
        /** The old name of onInternalError, still read (the guard logs a deprecation line). */
        failMode: z.enum(['open', 'closed']).optional(),
        failClosedAction: z.enum(['reject', 'drop']).default('drop'),
      })
      .prefault({})
      .transform(({ onInternalError, failMode, ...rest }) => ({
        ...rest,
        onInternalError: onInternalError ?? failMode ?? ('open' as const),
        /** Set when the file still says policy.failMode (for the deprecation line). */
        ...(failMode !== undefined ? { deprecatedFailMode: failMode } : {}),
      })),
    rooms: z
      .object({
        /**
         * Room systems that never register (H.323 rooms on fixed addresses, the gate's upstreams): every
         * name that dials them (extension, h323-ID, E.164 dialledDigits) and optionally where they are.
         */
        static: z
          .array(
            z
              .object({
                name: z.string().min(1).max(256),
                aliases: z.array(z.string().min(1).max(256)).max(16).default([]),
                address: z.string().max(256).optional(),
                /** video (default: rooms.defaultKind) or audio: an audio-only phone offer to a video room is a signal. */
                kind: RoomKindSchema.optional(),
                /** Who may call this room; replaces rooms.callers for it. */
                callers: CallerPolicySchema.optional(),
              })
              .strict(),
          )
          .default([]),
        /** Upper bound on rooms on file; registrations past it are refused (a REGISTER sweep cannot grow it). */
        maxRooms: z.number().int().positive().default(10_000),
        /** The kind of a room that does not say (registered rooms, static rooms without `kind`). */
        defaultKind: RoomKindSchema.default('video'),
        /** Who may call the rooms that have no `callers` of their own. Default: everyone, scored as usual. */
        callers: CallerPolicySchema.prefault({}),
      })
      .prefault({}),
    /**
     * Memory of refusals and of "maybe" attempts per source, longer than the behaviour window: ten calls in
     * ten seconds to one room, each scoring just under the reject tier, must not all ring.
     */
    memory: z
      .object({
        window: Duration.refine((ms) => ms > 0, 'more than 0').default(600_000),
        /** An allowed attempt scoring at least this is remembered as a "maybe". */
        suspectScore: z.number().positive().default(20),
        /** Refusals within the window that ban the source, whatever each one scored. */
        refusalsToBan: z.number().int().positive().default(3),
        /** A second call to the same target within this is a redial (a ghost call rings every 1–3 s). */
        redialWithin: Duration.default(30_000),
        /** Upper bound on remembered sources; repeat offenders are kept over one-shot sources. */
        maxSources: z.number().int().min(2).default(50_000),
      })
      .strict()
      .prefault({}),
    /**
     * Settings for each adapter, kept opaque here: the core knows no plugin. Each plugin exports the zod
     * schema for its own section and validates it (errors name `adapters.<name>.<key>`).
     */
    adapters: z
      .object({
        asterisk: z.unknown().optional(),
        freeswitch: z.unknown().optional(),
        drachtio: z.unknown().optional(),
        h323Gate: z.unknown().optional(),
      })
      .strict()
      .prefault({}),
    /** Shared state between nodes (Redis), validated by @ghostguard/redis. Absent: this node alone. */
    shared: z.unknown().optional(),
    /** Reputation feeds (APIBAN, blocklist files), validated by @ghostguard/feeds. */
    feeds: z.unknown().optional(),
    /** The kernel bouncer (an nftables table kept in step with the bans), validated by @ghostguard/nftables. */
    firewall: z.unknown().optional(),
    /** The `ghostguard run` daemon's own settings (admin endpoint, metrics), validated by the CLI. */
    daemon: z.unknown().optional(),
  })
  .strict();

export type GhostguardConfig = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/**
 * One indented line per zod issue, `  <key.path>: <message>`, the path prefixed with `prefix` (the section a
 * schema validates). Every GG_CONFIG_INVALID message, the core's and the plugins', is made of these lines.
 */
export function formatConfigIssues(error: z.ZodError, prefix: readonly string[] = []): string {
  return error.issues
    .map((issue) => {
      const path = [...prefix, ...issue.path.map(String)];
      return `  ${path.length ? path.join('.') : '(top level)'}: ${issue.message}`;
    })
    .join('\n');
}

/**
 * Validates one adapter's section (`adapters.<name>`) with the plugin's own schema; throws
 * GG_CONFIG_INVALID naming every bad key path from the top of the file (`adapters.asterisk.port`).
 */
export function parseAdapterSection<S extends z.ZodType>(
  schema: S,
  config: GhostguardConfig,
  name: keyof GhostguardConfig['adapters'],
  origin = 'configuration',
): z.infer<S> {
  return parseSection(schema, config.adapters[name], ['adapters', name], origin);
}

/**
 * Validates an opaque section (`shared`, `daemon`, `adapters.<name>`) with its owner's schema; an absent
 * section validates as `{}` (all defaults). Errors name the full key path.
 */
export function parseSection<S extends z.ZodType>(
  schema: S,
  value: unknown,
  path: readonly string[],
  origin = 'configuration',
): z.infer<S> {
  const result = schema.safeParse(value ?? {});
  const lines = issueLines(schema, value, result.success ? undefined : result.error, path);
  if (result.success && !lines) return result.data;
  throw new GhostguardError('GG_CONFIG_INVALID', `invalid configuration in ${origin}:\n${lines}`);
}

/**
 * Every problem of a section: unknown keys at any depth (full key path and a did-you-mean, found beside
 * the schema, so a section that is not `.strict()` is strict all the same), then zod's own issues.
 */
function issueLines(schema: z.ZodType, value: unknown, error: z.ZodError | undefined, path: readonly string[]): string {
  const found = findUnknownKeys(schema, value, path);
  const covered = new Set(found.map((u) => [...u.path, u.key].join('.')));
  const parents = new Set(found.map((u) => u.path.join('.')));
  const at = (issue: z.core.$ZodIssue, key?: string) =>
    [...path, ...issue.path.map(String), ...(key === undefined ? [] : [key])].join('.');
  const kept = (error?.issues ?? []).filter((issue) => {
    // zod's own "unrecognized key" issues of strict sections are kept only where the walk missed one
    if (issue.code === 'unrecognized_keys') return issue.keys.some((key) => !covered.has(at(issue, key)));
    // a union that failed because of a key the walk already named says nothing more
    if (issue.code === 'invalid_union') return !parents.has(at(issue));
    return true;
  });
  const rest = kept.length ? formatConfigIssues(new z.ZodError(kept), path) : '';
  return [...found.map(formatUnknownKey), ...(rest ? [rest] : [])].join('\n');
}

/** Validates a config object; throws GG_CONFIG_INVALID naming every bad key path. */
export function parseConfig(input: unknown, origin = 'configuration'): GhostguardConfig {
  const result = ConfigSchema.safeParse(input ?? {});
  const lines = issueLines(ConfigSchema, input, result.success ? undefined : result.error, []);
  if (!result.success || lines)
    throw new GhostguardError('GG_CONFIG_INVALID', `invalid configuration in ${origin}:\n${lines}`);
  return result.data;
}

/** Reads a YAML or JSON file (YAML is a superset) and validates it. */
export function loadConfigFile(path: string): GhostguardConfig {
  let textContent: string;
  try {
    textContent = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new GhostguardError('GG_CONFIG_READ', `cannot read configuration ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let data: unknown;
  try {
    data = parseYaml(textContent, { maxAliasCount: 100 });
  } catch (cause) {
    throw new GhostguardError('GG_CONFIG_INVALID', `${path} is not valid YAML/JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  return parseConfig(data, path);
}
