import { Duration } from '@ghostguard/core';
import { z } from 'zod';

export const ApibanOptionsSchema = z
  .object({
    /** The APIBAN key; or leave out and set it in the environment variable named by apiKeyEnv. */
    apiKey: z.string().min(1).optional(),
    apiKeyEnv: z.string().min(1).default('APIBAN_KEY'),
    /** The API root; `<baseUrl>/<key>/banned/<id>` is pulled. */
    baseUrl: z.string().url().default('https://apiban.org/api'),
    /** Between pulls (APIBAN asks clients not to poll more often than every few minutes). */
    interval: Duration.refine((ms) => ms >= 60_000, 'at least 1m (APIBAN rate limit)').default(300_000),
    /** A full list is pulled again this often (APIBAN's incremental IDs only ever add). */
    fullRefreshEvery: Duration.default(86_400_000),
    /** Where the pulled set and the last ID are kept across restarts; default `<dataDir>/apiban.json`. */
    cacheFile: z.string().min(1).optional(),
    timeout: Duration.default(10_000),
    /** Largest response body read, bytes; a bigger one is an error (never an unbounded allocation). */
    maxResponseBytes: z.number().int().positive().default(4_000_000),
    /** Most pages pulled in one run (each page holds up to 250 addresses). */
    maxPages: z.number().int().positive().default(2_000),
  })
  .strict();

export const BlocklistFileSchema = z
  .object({
    /** Feed name in verdict reasons (`listed by feed <name>`). */
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/i, 'a short name like office-blocklist'),
    path: z.string().min(1),
    /** How often the file is checked for changes. */
    pollInterval: Duration.refine((ms) => ms >= 100, 'at least 100ms').default(10_000),
    maxBytes: z.number().int().positive().default(64_000_000),
  })
  .strict();

/** The `feeds:` section of the ghostguard YAML. */
export const FeedsSectionSchema = z
  .object({
    apiban: ApibanOptionsSchema.optional(),
    files: z.array(BlocklistFileSchema).default([]),
  })
  .strict();

export type ApibanOptions = z.infer<typeof ApibanOptionsSchema>;
export type BlocklistFileOptions = z.infer<typeof BlocklistFileSchema>;
export type FeedsSection = z.infer<typeof FeedsSectionSchema>;
