import { describe, expect, it } from 'vitest';
import { readSecurityEvent } from './security.js';

const base = {
  privilege: 'security,all',
  eventtv: '2026-11-21T20:21:41.256+0000',
  severity: 'Error',
  service: 'SIP',
  eventversion: '1',
  accountid: '101',
  sessionid: '0x7f388800d770',
  localaddress: 'IPV4/UDP/127.0.0.1/5070',
  remoteaddress: 'IPV4/UDP/192.0.2.9/5060',
};

describe('security events → outcomes', () => {
  it.each([
    ['InvalidAccountID', 'auth-failure'],
    ['ChallengeResponseFailed', 'auth-failure'],
    ['InvalidPassword', 'auth-failure'],
    ['AuthMethodNotAllowed', 'auth-failure'],
    ['FailedACL', 'acl-failure'],
    ['UnexpectedAddress', 'acl-failure'],
    ['RequestBadFormat', 'bad-request'],
  ])('%s is reported as %s', (event, kind) => {
    expect(readSecurityEvent({ ...base, event }, 5)).toEqual({
      outcome: {
        kind,
        source: { ip: '192.0.2.9', port: 5060 },
        target: '101',
        time: 5,
        detail: `${event} (SIP)`,
        adapter: 'asterisk',
      },
    });
  });

  it("maps chan_sip's no_extension_match FailedACL to an unknown target", () => {
    const r = readSecurityEvent({ ...base, event: 'FailedACL', aclname: 'no_extension_match', accountid: 'admin' }, 1);
    expect(r).toMatchObject({
      outcome: { kind: 'unknown-target', target: 'admin', detail: 'FailedACL no_extension_match (SIP)' },
    });
  });

  it('reads the IPv6 form', () => {
    const r = readSecurityEvent({ ...base, event: 'InvalidPassword', remoteaddress: 'IPV6/UDP/2001:db8::9/5060' }, 1);
    expect(r).toMatchObject({ outcome: { source: { ip: '2001:db8::9', port: 5060 } } });
  });

  it('ignores events that are not failures, and flags an unreadable address', () => {
    expect(readSecurityEvent({ ...base, event: 'ChallengeSent' }, 1)).toBeUndefined();
    expect(readSecurityEvent({ ...base, event: 'SuccessfulAuth' }, 1)).toBeUndefined();
    expect(readSecurityEvent({ event: 'Newchannel' }, 1)).toBeUndefined();
    expect(readSecurityEvent({ ...base, event: 'InvalidPassword', remoteaddress: undefined }, 1)).toMatchObject({
      event: 'InvalidPassword',
    });
  });
});
