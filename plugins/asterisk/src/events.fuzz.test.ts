import { CallAttemptSchema, OutcomeSchema } from '@ghostguard/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseHostPort } from './address.js';
import { checkAttempt } from './attempt.js';
import { readCheckEvent } from './check-event.js';
import { readSecurityEvent } from './security.js';

const KEYS = [
  'event',
  'channel',
  'uniqueid',
  'userevent',
  'tech',
  'source',
  'dialed',
  'callernum',
  'callername',
  'useragent',
  'via',
  'from',
  'to',
  'callid',
  'requesturi',
  'contact',
  'h323id',
  'h323digits',
  'remoteaddress',
  'aclname',
  'accountid',
  'service',
];

/** Values as asterisk-manager produces them: strings, arrays for repeated keys, objects for variables. */
const text = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ maxLength: 40 }).map((s) => encodeURIComponent(s)),
  fc.constantFrom(
    'PJSIP',
    'SIP',
    'OOH323',
    '203.0.113.9%3A5060',
    '%5B2001%3Adb8%3A%3A1%5D%3A5060',
    '%E0%A4%A',
    'IPV4/UDP/1.2.3.4/5060',
    'IPV6/UDP/::1/5060',
  ),
);
const value = fc.oneof(
  text,
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
);
const amiObject = fc.dictionary(fc.constantFrom(...KEYS), value);
const securityName = fc.constantFrom(
  'InvalidAccountID',
  'InvalidPassword',
  'FailedACL',
  'RequestBadFormat',
  'UnexpectedAddress',
  'ChallengeSent',
);

describe('hostile AMI events', () => {
  it('never make the check reader throw, and every attempt it yields is a valid CallAttempt', () => {
    fc.assert(
      fc.property(amiObject, (evt) => {
        const r = readCheckEvent(evt);
        if (!r.ok || r.request.source === undefined) return;
        const source = parseHostPort(r.request.source);
        if (!source) return;
        const attempt = checkAttempt(r.request, source, 1_700_000_000_000);
        expect(CallAttemptSchema.safeParse(attempt).success).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('never make the security reader throw, and every outcome it yields is valid', () => {
    fc.assert(
      fc.property(amiObject, securityName, (evt, name) => {
        const r = readSecurityEvent({ ...evt, event: name }, 1);
        if (r !== undefined && 'outcome' in r) expect(OutcomeSchema.safeParse(r.outcome).success).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });
});
