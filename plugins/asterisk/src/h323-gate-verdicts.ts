import type { CallAttempt, Guard, Verdict } from '@ghostguard/core';

/**
 * Verdicts of the H.323 gate (`@ghostguard/h323-gate`) running on the same guard in front of chan_ooh323. The gate
 * sees the caller's real address and judges its SETUP (a ban lands on that address); a SETUP it lets through
 * reaches chan_ooh323 from the gate, and the dialplan's check then names only the channel
 * (`OOH323/<ooh323.conf user>-<n>`) and what the SETUP said (CALLER_H323ID, the dialed extension). This keeps the
 * gate's allowed SETUPs for `windowMs`, keyed by those two, so that check takes the gate's verdict instead of
 * judging (and possibly banning) an address the adapter did not see. Each entry answers one check. Bounded
 * (FIFO), constant time per verdict.
 *
 * The gate tells nothing beyond what every adapter publishes: guard.on('verdict') with `attempt.adapter`
 * `h323-gate`.
 */
export const MAX_GATE_VERDICTS = 4_096;
const GATE_ADAPTER = 'h323-gate';

export interface GateVerdict {
  source: string;
  verdict: Verdict;
}

interface Entry extends GateVerdict {
  at: number;
}

export function gateKey(h323Id: string | undefined, dialed: string | undefined): string {
  return `${(h323Id ?? '').trim()}\n${(dialed ?? '').trim()}`;
}

export class GateVerdicts {
  private readonly byKey = new Map<string, Entry[]>();
  /** Keys in arrival order, one per entry: the oldest entry goes first when full. */
  private readonly order: string[] = [];
  private head = 0;
  private size = 0;
  private readonly listener: (attempt: CallAttempt, verdict: Verdict) => void;

  constructor(
    private readonly guard: Guard,
    private readonly windowMs: number,
  ) {
    this.listener = (attempt, verdict) => {
      if (attempt?.adapter !== GATE_ADAPTER || attempt.protocol !== 'h323') return;
      // Only a SETUP the gate relays reaches chan_ooh323 (monitor mode relays everything: action allow).
      if (verdict.action !== 'allow') return;
      const h323Id = attempt.h323.sourceAliases.find((a) => a.type === 'h323-ID')?.value;
      this.add(gateKey(h323Id, attempt.target.user), {
        source: attempt.source.ip,
        verdict,
        at: attempt.time,
      });
    };
    guard.on('verdict', this.listener);
  }

  /** The gate's verdict for a check with these fields, if the gate let such a SETUP through lately (used up). */
  take(h323Id: string | undefined, dialed: string | undefined, now: number): GateVerdict | undefined {
    const key = gateKey(h323Id, dialed);
    const list = this.byKey.get(key);
    if (list === undefined) return undefined;
    while (list.length > 0 && now - list[0]!.at > this.windowMs) list.shift();
    const e = list.shift();
    if (list.length === 0) this.byKey.delete(key);
    if (e === undefined) return undefined;
    this.size--;
    return { source: e.source, verdict: e.verdict };
  }

  close(): void {
    this.guard.off('verdict', this.listener);
    this.byKey.clear();
  }

  private add(key: string, e: Entry): void {
    if (this.size >= MAX_GATE_VERDICTS) this.evictOldest();
    const list = this.byKey.get(key);
    if (list) list.push(e);
    else this.byKey.set(key, [e]);
    this.order.push(key);
    this.size++;
    // Entries used up by take() leave their key in the queue: rebuild it now and then (amortized constant).
    if (this.order.length - this.head > 2 * MAX_GATE_VERDICTS) this.rebuildOrder();
  }

  private rebuildOrder(): void {
    const all: Array<{ key: string; at: number }> = [];
    for (const [key, list] of this.byKey) for (const e of list) all.push({ key, at: e.at });
    all.sort((a, b) => a.at - b.at);
    this.order.length = 0;
    for (const x of all) this.order.push(x.key);
    this.head = 0;
  }

  private evictOldest(): void {
    while (this.head < this.order.length) {
      const key = this.order[this.head++]!;
      const list = this.byKey.get(key);
      if (list === undefined || list.length === 0) continue;
      list.shift();
      if (list.length === 0) this.byKey.delete(key);
      this.size--;
      return;
    }
  }
}
