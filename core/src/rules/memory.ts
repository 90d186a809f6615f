import type { GhostguardConfig } from '../config.js';
import { maskV6Key, type ParsedIp } from '../net/ip.js';
import { hashString } from '../state/activity.js';
import type { SuspectMemory, SuspectRecord } from '../state/suspect-memory.js';
import type { Reason } from '../verdict.js';
import { type RuleWeights, resolveWeights } from './weights.js';

export const MEMORY_RULES = {
  /** The source was refused within the memory window. */
  refused: { id: 'memory.refused-recently', weight: 30 },
  /** Weight per earlier "maybe" attempt in the window (at most three count). */
  repeatSuspect: { id: 'memory.repeat-suspect', weight: 15 },
  /** The same target again, under another Call-ID, within memory.redialWithin of a remembered attempt. */
  redial: { id: 'memory.redial', weight: 25 },
} as const;

type MemoryRule = keyof typeof MEMORY_RULES;

/** The id a ban caused by repeated refusals carries in its reason. */
export const REFUSALS_BAN_RULE = 'memory.refusals';

const MAX_COUNTED_SUSPECTS = 3;

/** What explain shows of a remembered source. */
export interface RememberedSource {
  /** Refused and "maybe" attempts in the current run. */
  suspects: number;
  refusals: number;
  /** The rules that weighed in the last remembered attempt. */
  lastRules: string[];
}
const CALL_METHODS: ReadonlySet<string> = new Set(['INVITE', 'SETUP']);

/**
 * Whose record an attempt reads: an IPv4 address (as a small integer), or an IPv6 /64 (one host usually
 * owns a /64, and a caller rotating addresses inside it is still one caller).
 */
function memoryKeyOf(ip: ParsedIp): number | string {
  return ip.family === 4 ? ip.v4 | 0 : maskV6Key(ip.v6, 64);
}

const hashOf = (s: string | undefined, lower = false): number =>
  s === undefined || s === '' ? 0 : hashString(lower ? s.toLowerCase() : s);

/**
 * Layer 6: memory of refusals (Kamailio's pike forgets a source at the end of its window; a ghost caller
 * that rings one room every 1–3 s, each call just under the reject tier, is the case pike misses). A
 * source refused recently carries a weight into its next attempts; each earlier "maybe" adds one; the same
 * target redialled under a new Call-ID adds one more; refusalsToBan refusals in a run ban the source.
 */
export class MemoryRules {
  private readonly w: Record<MemoryRule, number | undefined>;
  private readonly m: GhostguardConfig['memory'];

  constructor(
    config: GhostguardConfig,
    weights: RuleWeights,
    readonly store: SuspectMemory,
  ) {
    this.w = resolveWeights(MEMORY_RULES, weights);
    this.m = config.memory;
  }

  /** Adds the reasons the source's record carries; returns the record (undefined: nothing remembered). */
  evaluate(
    source: ParsedIp,
    method: string,
    target: string | undefined,
    callId: string | undefined,
    now: number,
    out: Reason[],
  ): SuspectRecord | undefined {
    if (this.store.size === 0) return undefined;
    const r = this.store.recall(memoryKeyOf(source), now);
    if (r === undefined) return undefined;
    const t = this.store.rel(now);
    if (r.lastRefusedAt >= 0 && this.w.refused !== undefined) {
      out.push({
        rule: MEMORY_RULES.refused.id,
        detail: `refused ${r.refusals} time(s), last ${Math.round((t - r.lastRefusedAt) / 1000)} s ago`,
        weight: this.w.refused,
      });
    }
    // The same Call-ID again is the same call (a retry after a 401/407 challenge, a fork): not a repeat.
    // "Maybe" attempts and redials are about calls: a REGISTER or OPTIONS is not a call to a room.
    if (!CALL_METHODS.has(method)) return r;
    const callHash = hashOf(callId);
    const sameCall = callHash !== 0 && callHash === r.lastCallId;
    if (sameCall) return r;
    if (this.w.repeatSuspect !== undefined) {
      const n = Math.min(r.suspects, MAX_COUNTED_SUSPECTS);
      out.push({
        rule: MEMORY_RULES.repeatSuspect.id,
        detail: `${r.suspects} earlier suspect attempt(s) from this source in the last ${Math.round(this.m.window / 1000)} s`,
        weight: this.w.repeatSuspect * n,
      });
    }
    const targetHash = hashOf(target, true);
    if (
      this.w.redial !== undefined &&
      targetHash !== 0 &&
      targetHash === r.lastTarget &&
      t - r.lastSeenAt <= this.m.redialWithin
    ) {
      out.push({
        rule: MEMORY_RULES.redial.id,
        detail: `same target again ${((t - r.lastSeenAt) / 1000).toFixed(1)} s after a suspect attempt`,
        weight: this.w.redial,
      });
    }
    return r;
  }

  /**
   * Remembers the attempt when it was refused or its own shape (`score`: fingerprints, dial shape, identity,
   * media; not behaviour or memory) scored at least suspectScore; returns true when the
   * source has now been refused refusalsToBan times in this run (the caller bans it).
   */
  record(
    source: ParsedIp,
    method: string,
    target: string | undefined,
    callId: string | undefined,
    now: number,
    score: number,
    refused: boolean,
    existing: SuspectRecord | undefined,
    reasons: readonly Reason[],
  ): boolean {
    if (!refused && (score < this.m.suspectScore || !CALL_METHODS.has(method))) return false;
    const rules: string[] = [];
    for (const r of reasons) if (r.weight > 0 && rules.length < 8) rules.push(r.rule);
    const remembered = { refused, target: hashOf(target, true), callId: hashOf(callId), rules };
    const r = this.store.remember(memoryKeyOf(source), now, remembered, existing);
    return refused && r.refusals >= this.m.refusalsToBan;
  }

  describe(source: ParsedIp, now: number): RememberedSource | undefined {
    const r = this.store.peek(memoryKeyOf(source), now);
    return r === undefined ? undefined : { suspects: r.suspects, refusals: r.refusals, lastRules: [...r.lastRules] };
  }
}
