import { z } from 'zod';

export type Action = 'allow' | 'reject' | 'drop' | 'tarpit';
export const ACTIONS: readonly Action[] = ['allow', 'reject', 'drop', 'tarpit'];

/** One rule's contribution to a verdict. */
export interface Reason {
  /** Rule or fingerprint id, e.g. `fp.ua.friendly-scanner`, `behaviour.enumeration`. */
  rule: string;
  detail: string;
  weight: number;
}

/** A ban as it crosses a boundary (the shared store, a feed): validated before it is merged. */
export const BanInfoSchema = z.object({
  ip: z.string().min(2).max(64),
  reason: z.string().max(512),
  since: z.number().finite().nonnegative(),
  until: z.number().finite().nonnegative(),
  offense: z.number().int().min(1).max(1_000_000),
});

export interface BanInfo {
  ip: string;
  reason: string;
  /** ms since the epoch */
  since: number;
  until: number;
  /** How many times this source has been banned (drives the escalating TTL). */
  offense: number;
  /**
   * Who decided it: this guard's detection (`automatic`, prefix folds included), an operator (`operator`: the
   * admin API, `guard.bans.add`), or another node through the shared store (`replica`). Absent on bans written
   * before origins were kept.
   */
  origin?: BanRecordOrigin;
}

export type BanRecordOrigin = 'automatic' | 'operator' | 'replica';

export interface Verdict {
  /** What the adapter enforces. In monitor mode this is always `allow`. */
  action: Action;
  /** What the policy decided; differs from `action` only in monitor mode. */
  intended: Action;
  score: number;
  reasons: Reason[];
  /** Set when this verdict created a ban or the source was already banned. */
  ban?: BanInfo;
  /** True when the policy only logs: `intended` is what would have been enforced. */
  monitor: boolean;
}
