/**
 * Events from the inbound socket → what the guard learns (`guard.report`):
 * - `CUSTOM sofia::register_failure` (FreeSWITCH sends it on a 403 after a wrong password, with
 *   `log-auth-failures` on the profile): an auth failure of `network-ip`, target `to-user`.
 * - `CHANNEL_HANGUP_COMPLETE` of an inbound call: answered and cleared normally → a completed call (trust);
 *   never answered and unroutable (UNALLOCATED_NUMBER, NO_ROUTE_DESTINATION) → an unknown target.
 * Causes ghostguard itself produces (CALL_REJECTED, NO_USER_RESPONSE, NO_ANSWER) are never reported back, nor a
 * NO_ROUTE_DESTINATION of a call ghostguard moved itself with `allow.transfer` (the channel carries
 * `variable_ghostguard_transferred: true`, set before the uuid_transfer; FreeSWITCH's channel events carry the
 * channel variables, as the recorded CHANNEL_HANGUP in freeswitch-1.10.12/originate-403.pcap shows): a wrong
 * transfer target is the guard's configuration, not the caller's probing (recorded: 30 legitimate callers reported
 * as unknown targets in freeswitch-1.10.12-live/transfer/ghostguard.log).
 */
import { type Outcome, parseIp } from '@ghostguard/core';
import type { ChannelHeaders } from './attempt.js';

export interface LearningOptions {
  reportCompletedCalls: boolean;
  reportUnknownTargets: boolean;
}

const UNKNOWN_TARGET_CAUSES = new Set(['UNALLOCATED_NUMBER', 'NO_ROUTE_DESTINATION']);

const clip = (v: string | undefined, n: number) => (v === undefined ? undefined : v.slice(0, n));

function ipOf(v: string | undefined): string | undefined {
  return v !== undefined && v.length >= 2 && v.length <= 64 && parseIp(v) !== undefined ? v : undefined;
}

function portOf(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= 65_535 ? n : undefined;
}

function withoutUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

/** A call ghostguard moved with allow.transfer ended without a route there: the target is wrong, not the caller. */
export function isGuardTransferNoRoute(h: ChannelHeaders): boolean {
  return (
    h('Event-Name') === 'CHANNEL_HANGUP_COMPLETE' &&
    h('variable_ghostguard_transferred') === 'true' &&
    (h('Hangup-Cause') ?? h('variable_hangup_cause')) === 'NO_ROUTE_DESTINATION'
  );
}

export function outcomeOfEvent(h: ChannelHeaders, opts: LearningOptions, now: number): Outcome | undefined {
  const name = h('Event-Name');
  if (name === 'CUSTOM' && h('Event-Subclass') === 'sofia::register_failure') {
    const ip = ipOf(h('network-ip'));
    if (!ip) return undefined;
    const profile = clip(h('profile-name'), 64) ?? '?';
    const ua = clip(h('user-agent'), 200) ?? '';
    return withoutUndefined({
      kind: 'auth-failure' as const,
      source: withoutUndefined({ ip, port: portOf(h('network-port')) }),
      target: clip(h('to-user'), 256),
      time: now,
      detail: `sofia::register_failure profile=${profile} user-agent=${ua}`.slice(0, 512),
      adapter: 'freeswitch',
    });
  }
  if (name !== 'CHANNEL_HANGUP_COMPLETE' || h('Call-Direction') !== 'inbound') return undefined;
  const ip = ipOf(h('variable_sip_network_ip') ?? h('Caller-Network-Addr'));
  if (!ip) return undefined;
  const cause = h('Hangup-Cause') ?? h('variable_hangup_cause') ?? '';
  const answered = (h('Caller-Channel-Answered-Time') ?? '0') !== '0';
  const target = clip(h('Caller-Destination-Number'), 256);
  const base = {
    source: withoutUndefined({ ip, port: portOf(h('variable_sip_network_port')) }),
    time: now,
    adapter: 'freeswitch',
  };
  if (answered && cause === 'NORMAL_CLEARING' && opts.reportCompletedCalls) {
    return withoutUndefined({
      kind: 'completed-call' as const,
      ...base,
      target,
      detail: 'CHANNEL_HANGUP_COMPLETE NORMAL_CLEARING',
    });
  }
  if (!answered && UNKNOWN_TARGET_CAUSES.has(cause) && opts.reportUnknownTargets && !isGuardTransferNoRoute(h)) {
    return withoutUndefined({
      kind: 'unknown-target' as const,
      ...base,
      target,
      detail: `CHANNEL_HANGUP_COMPLETE ${cause}`,
    });
  }
  return undefined;
}
