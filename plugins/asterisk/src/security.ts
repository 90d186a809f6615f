import type { Outcome, OutcomeKind } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import { parseSecurityAddress } from './address.js';
import { ADAPTER } from './attempt.js';
import { textField } from './fields.js';

/** Security events that mean a failed attempt, and what they report (ChallengeSent, SuccessfulAuth… are not failures). */
const FAILURES: Readonly<Record<string, OutcomeKind>> = {
  invalidaccountid: 'auth-failure',
  challengeresponsefailed: 'auth-failure',
  invalidpassword: 'auth-failure',
  authmethodnotallowed: 'auth-failure',
  failedacl: 'acl-failure',
  unexpectedaddress: 'acl-failure',
  requestbadformat: 'bad-request',
};

/** chan_sip reports an INVITE to an extension with no dialplan match as FailedACL with this ACL name. */
const NO_EXTENSION_MATCH = 'no_extension_match';

export type SecurityReading = { outcome: Outcome } | { problem: string; event: string };

/** The outcome a security event reports, undefined when the event is not a failure. Never throws. */
export function readSecurityEvent(evt: AmiObject, now: number): SecurityReading | undefined {
  const name = textField(evt, 'event') ?? '';
  let kind = FAILURES[name.toLowerCase()];
  if (kind === undefined) return undefined;
  const remote = textField(evt, 'remoteaddress');
  const address = remote === undefined ? undefined : parseSecurityAddress(remote);
  if (!address)
    return { problem: `RemoteAddress ${JSON.stringify((remote ?? '').slice(0, 80))} is not an address`, event: name };
  const acl = textField(evt, 'aclname');
  if (kind === 'acl-failure' && acl === NO_EXTENSION_MATCH) kind = 'unknown-target';
  const account = textField(evt, 'accountid');
  const service = textField(evt, 'service');
  const detail = `${name}${acl ? ` ${acl}` : ''}${service ? ` (${service})` : ''}`;
  const outcome: Outcome = {
    kind,
    source: { ip: address.ip, ...(address.port !== undefined ? { port: address.port } : {}) },
    time: now,
    detail: detail.slice(0, 512),
    adapter: ADAPTER,
  };
  if (account) outcome.target = account.slice(0, 256);
  return { outcome };
}
