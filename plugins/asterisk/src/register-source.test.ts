import { describe, expect, it } from 'vitest';
import { MAX_REMEMBERED_AUTHS, RegisterSources } from './register-source.js';

/** PJSIP's SuccessfulAuth as asterisk-manager hands it over (ami-pjsip-svcrack.follow.txt, lower-cased keys). */
const auth = (account: string, remote: string, session: string, service = 'PJSIP') => ({
  event: 'SuccessfulAuth',
  privilege: 'security,all',
  service,
  accountid: account,
  sessionid: session,
  localaddress: 'IPV4/UDP/127.0.0.1/5170',
  remoteaddress: remote,
  usingpassword: '1',
});

describe('where a PJSIP REGISTER came from (SuccessfulAuth)', () => {
  it('gives the RemoteAddress of the account’s last SuccessfulAuth within the window, once when taken', () => {
    const s = new RegisterSources(5_000);
    s.note('successfulauth', auth('room1', 'IPV4/UDP/127.0.0.75/5060', '1769276081'), 1_000);
    expect(s.forAccount(['room1'], 1_500)).toEqual({ ip: '127.0.0.75', port: 5060, transport: 'udp' });
    expect(s.forAccount(['ROOM1'], 1_500, true)).toMatchObject({ ip: '127.0.0.75' });
    // Used up: a second new contact without its own SuccessfulAuth gets no source.
    expect(s.forAccount(['room1'], 1_600)).toBeUndefined();
    // By Call-ID (a listing's CallId), at any time.
    expect(s.forSession('1769276081')).toMatchObject({ ip: '127.0.0.75' });
    expect(s.forSession('other')).toBeUndefined();
  });

  it('ignores other services, other events, undecodable addresses and stale authentications', () => {
    const s = new RegisterSources(5_000);
    s.note('successfulauth', auth('101', 'IPV4/UDP/10.0.0.5/5060', 'x', 'SIP'), 0);
    s.note('challengesent', auth('room2', 'IPV4/UDP/10.0.0.6/5060', 'y'), 0);
    s.note('successfulauth', auth('room3', 'nowhere', 'z'), 0);
    s.note('successfulauth', auth('room4', 'IPV4/UDP/10.0.0.8/5060', 'w'), 0);
    expect(s.forAccount(['101', 'room2', 'room3'], 10)).toBeUndefined();
    expect(s.forAccount(['room4'], 5_001)).toBeUndefined();
    expect(s.forAccount(['room4'], 5_000)).toMatchObject({ ip: '10.0.0.8' });
  });

  it('stays bounded: the oldest accounts and Call-IDs go first', () => {
    const s = new RegisterSources(60_000);
    for (let i = 0; i <= MAX_REMEMBERED_AUTHS; i++) {
      s.note('successfulauth', auth(`room${i}`, `IPV4/UDP/10.1.${i >> 8}.${i & 255}/5060`, `call-${i}`), i);
    }
    expect(s.forAccount(['room0'], MAX_REMEMBERED_AUTHS)).toBeUndefined();
    expect(s.forSession('call-0')).toBeUndefined();
    expect(s.forAccount([`room${MAX_REMEMBERED_AUTHS}`], MAX_REMEMBERED_AUTHS)).toBeDefined();
    expect(s.forSession(`call-${MAX_REMEMBERED_AUTHS}`)).toBeDefined();
  });
});
