import { z } from 'zod';

/**
 * What a PBX observed after (or instead of) a call attempt, fed back with guard.report():
 * authentication failures, calls to extensions that do not exist, calls that completed normally.
 */
export const OutcomeKindSchema = z.enum([
  /** Wrong password / unknown account (Asterisk InvalidPassword/InvalidAccountID, sofia::register_failure). */
  'auth-failure',
  /** Refused by an ACL (Asterisk FailedACL). */
  'acl-failure',
  /** The dialled target does not exist (404, no_extension_match). */
  'unknown-target',
  /** Malformed request reported by the PBX (RequestBadFormat). */
  'bad-request',
  /** A REGISTER tried to move a room's binding without valid credentials. */
  'hijack-attempt',
  /** A call that was answered and ended normally: the source earns some trust. */
  'completed-call',
]);
export type OutcomeKind = z.infer<typeof OutcomeKindSchema>;

export const OutcomeSchema = z.object({
  kind: OutcomeKindSchema,
  source: z.object({ ip: z.string().min(2).max(64), port: z.number().int().min(0).max(65535).optional() }),
  /** The account or target involved, when known. */
  target: z.string().max(256).optional(),
  time: z.number().finite().nonnegative().optional(),
  /** Free text from the platform (event name, reason). */
  detail: z.string().max(512).optional(),
  adapter: z.string().max(32).optional(),
});
export type Outcome = z.infer<typeof OutcomeSchema>;
