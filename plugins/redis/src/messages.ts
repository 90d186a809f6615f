import { type BanInfo, BanInfoSchema, type Outcome, OutcomeSchema, parseIp } from '@ghostguard/core';
import { z } from 'zod';

/**
 * What nodes tell each other on the channel. A ban carries the whole BanInfo (the receiver merges it: the longer
 * ban wins, no escalation); an unban only the address. Expiry needs no message: keys and local bans both time out.
 * A report carries one failure the PBX reported to the sender (the receiver counts it like a local one).
 */
const NodeId = z.string().min(1).max(128);
const IpText = z
  .string()
  .min(2)
  .max(64)
  .refine((s) => parseIp(s) !== undefined, 'an IP address');
/**
 * A ban's subject: an address, or a prefix ban the guard folded (`198.51.100.0/24`, bans.aggregate), which a
 * reconcile pushes like any ban; a node whose prefix lengths differ ignores it (guard.bans.merge says false).
 */
const BanSubject = z
  .string()
  .min(2)
  .max(64)
  .refine((s) => {
    const slash = s.indexOf('/');
    if (slash < 0) return parseIp(s) !== undefined;
    const len = s.slice(slash + 1);
    return /^\d{1,3}$/.test(len) && Number(len) <= 128 && parseIp(s.slice(0, slash)) !== undefined;
  }, 'an IP address or a prefix like 198.51.100.0/24');
const WireBan = BanInfoSchema.extend({ ip: BanSubject });

/**
 * The outcome kinds shared between nodes: failures only. A completed call earns trust on the node that saw it and
 * nowhere else (trust is per node).
 */
export const SHARED_REPORT_KINDS = [
  'auth-failure',
  'acl-failure',
  'unknown-target',
  'bad-request',
  'hijack-attempt',
] as const satisfies readonly Outcome['kind'][];
export type SharedReportKind = (typeof SHARED_REPORT_KINDS)[number];

export function isSharedReportKind(kind: Outcome['kind']): kind is SharedReportKind {
  return (SHARED_REPORT_KINDS as readonly string[]).includes(kind);
}

/** A shared failure as sent: the core's outcome fields, a failure kind, a real address and the sender's time. */
const WireOutcome = OutcomeSchema.extend({
  kind: z.enum(SHARED_REPORT_KINDS),
  source: z.object({ ip: IpText, port: z.number().int().min(0).max(65_535).optional() }),
  time: z.number().finite().nonnegative(),
});
export type WireOutcome = Omit<Outcome, 'kind' | 'time'> & { kind: SharedReportKind; time: number };

export const SyncMessageSchema = z.discriminatedUnion('op', [
  z.object({ op: z.literal('ban'), node: NodeId, ban: WireBan }),
  z.object({ op: z.literal('unban'), node: NodeId, ip: BanSubject }),
  z.object({ op: z.literal('report'), node: NodeId, outcome: WireOutcome }),
]);

export type SyncMessage =
  | { op: 'ban'; node: string; ban: BanInfo }
  | { op: 'unban'; node: string; ip: string }
  | { op: 'report'; node: string; outcome: WireOutcome };

/** Why a message was ignored (counted per kind in health()). */
export type RejectKind = 'too-large' | 'not-json' | 'bad-shape';

export type DecodeResult = { ok: true; message: SyncMessage } | { ok: false; kind: RejectKind; detail: string };

/** A ban as stored and sent: BanInfo fields only, the reason cut to what the receiving schema accepts. */
export function wireBan(ban: BanInfo): BanInfo {
  return {
    ip: ban.ip,
    reason: ban.reason.length > 512 ? ban.reason.slice(0, 512) : ban.reason,
    since: ban.since,
    until: ban.until,
    offense: Math.min(Math.max(1, Math.trunc(ban.offense)), 1_000_000),
  };
}

/**
 * A failure as sent: the outcome's own fields only (no extras a listener may have added), stamped with `now` when
 * the reporter gave no time. The guard validated the outcome already, so every field is within the schema's caps.
 */
export function wireOutcome(outcome: Outcome & { kind: SharedReportKind }, now: number): WireOutcome {
  const w: WireOutcome = { kind: outcome.kind, source: { ip: outcome.source.ip }, time: outcome.time ?? now };
  if (outcome.source.port !== undefined) w.source.port = outcome.source.port;
  if (outcome.target !== undefined) w.target = outcome.target;
  if (outcome.detail !== undefined) w.detail = outcome.detail;
  if (outcome.adapter !== undefined) w.adapter = outcome.adapter;
  return w;
}

export function encodeMessage(message: SyncMessage): string {
  return JSON.stringify(message);
}

/** Parses and validates one pub/sub payload; never throws, whatever arrives. */
export function decodeMessage(payload: string, maxBytes: number): DecodeResult {
  // Length in UTF-16 units bounds the byte length from below; the cap is about not parsing megabytes.
  if (payload.length > maxBytes) return { ok: false, kind: 'too-large', detail: `${payload.length} characters` };
  let data: unknown;
  try {
    data = JSON.parse(payload);
  } catch (err) {
    return { ok: false, kind: 'not-json', detail: (err as Error).message.slice(0, 200) };
  }
  const parsed = SyncMessageSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return {
      ok: false,
      kind: 'bad-shape',
      detail: `${issue?.path.map(String).join('.') || '(top level)'}: ${issue?.message ?? 'invalid'}`.slice(0, 200),
    };
  }
  return { ok: true, message: parsed.data };
}

/** A ban key's value (read during a reconcile), validated like a message; undefined when it is not a ban. */
export function decodeStoredBan(value: string, maxBytes: number): BanInfo | undefined {
  if (value.length > maxBytes) return undefined;
  try {
    const parsed = WireBan.safeParse(JSON.parse(value));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
