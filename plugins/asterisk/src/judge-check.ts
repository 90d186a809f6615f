import type { Guard, Verdict } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import { ooh323Caller } from './address.js';
import { ADAPTER, checkAttempt, sourceOf } from './attempt.js';
import { type CheckRequest, readCheckEvent } from './check-event.js';
import type { GateVerdicts } from './h323-gate-verdicts.js';
import type { ResolvedAsteriskOptions } from './options.js';

/** The channel a verdict acts on. */
export type CheckTarget = Pick<CheckRequest, 'channel' | 'tech' | 'uniqueid'>;

/** What one GhostguardCheck event comes to, before anything is sent back. */
export type CheckDecision =
  /** No channel named: nothing to act on (the dialplan times out and follows its fail policy). */
  | { readonly kind: 'no-channel'; readonly problem: string }
  /** No usable source address: the adapter's fail mode decides. */
  | { readonly kind: 'unjudgeable'; readonly target: CheckTarget; readonly detail: string }
  /** A call the H.323 gate judged (with the caller's real address) before it reached chan_ooh323. */
  | { readonly kind: 'gate'; readonly target: CheckTarget; readonly verdict: Verdict; readonly source: string }
  | {
      readonly kind: 'judged';
      readonly target: CheckTarget;
      readonly verdict: Verdict;
      readonly source: string;
      /** A field that did not decode: judged on the fields that did, plus input.undecodable. */
      readonly malformed?: string;
      readonly calledUser?: string;
      readonly userAgent?: string;
    };

/**
 * Reads a GhostguardCheck event and asks the guard; the fields that did decode are judged even when one did not.
 * A chan_ooh323 call relayed by the H.323 gate (`h323Gate.callers`) takes the gate's verdict (`gate`); it is never
 * judged as the gate's address nor as an address a name only suggests.
 */
export function judgeCheck(
  guard: Guard,
  o: ResolvedAsteriskOptions,
  evt: AmiObject,
  time: number,
  gate?: GateVerdicts,
): CheckDecision {
  const read = readCheckEvent(evt);
  if (!read.ok && read.channel === undefined) return { kind: 'no-channel', problem: read.problem };
  const target: CheckTarget = read.ok
    ? read.request
    : { channel: read.channel!, tech: read.tech ?? 'other', ...(read.uniqueid ? { uniqueid: read.uniqueid } : {}) };
  if (target.tech === 'OOH323' && o.h323Gate.callers.length > 0) {
    const caller = ooh323Caller(target.channel);
    const name = caller === undefined ? undefined : 'ip' in caller ? caller.ip : caller.name;
    if (name !== undefined && o.h323Gate.callers.includes(name)) {
      const judged = read.ok ? gate?.take(read.request.h323Id, read.request.dialed, time) : undefined;
      if (judged) return { kind: 'gate', target, verdict: judged.verdict, source: judged.source };
      return {
        kind: 'unjudgeable',
        target,
        detail: read.ok
          ? 'a call relayed by the H.323 gate that no gate verdict matches (CALLER_H323ID and extension, within h323Gate.window)'
          : `${read.problem}; a call relayed by the H.323 gate`,
      };
    }
  }
  const source = sourceOf(target.tech, target.channel, read.ok ? read.request.source : read.source);
  if (!read.ok) {
    if (typeof source === 'string') return { kind: 'unjudgeable', target, detail: `${read.problem}; ${source}` };
    const h323 = target.tech === 'OOH323';
    // A caller's header cannot hide the rest of the call: the decodable part is judged too.
    const partial = read.partial ? checkAttempt(read.partial, source, time) : undefined;
    const verdict = guard.judgeMalformed({
      protocol: h323 ? 'h323' : 'sip',
      method: h323 ? 'SETUP' : 'INVITE',
      source: { ip: source.ip, ...(source.port !== undefined ? { port: source.port } : {}) },
      time,
      detail: `GhostguardCheck field ${read.problem}`,
      adapter: ADAPTER,
      ...(partial ? { partial } : {}),
    });
    return { kind: 'judged', target, verdict, source: source.ip, malformed: read.problem };
  }
  if (typeof source === 'string') return { kind: 'unjudgeable', target, detail: source };
  const attempt = checkAttempt(read.request, source, time);
  const verdict = guard.judge(attempt);
  return {
    kind: 'judged',
    target,
    verdict,
    source: source.ip,
    ...(attempt.target.user !== undefined ? { calledUser: attempt.target.user } : {}),
    ...(attempt.userAgent !== undefined ? { userAgent: attempt.userAgent } : {}),
  };
}
