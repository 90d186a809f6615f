import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ChannelSnapshot, hangup, newchannel, securityEvent, varSet } from './events.js';
import { parseFollowText } from './follow-file.js';
import { encodeFrame } from './frame.js';

const FIXTURES = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1');
const blocks = (name: string) => parseFollowText(readFileSync(join(FIXTURES, name), 'latin1')).map((b) => b.text);

describe('event builders reproduce the recorded events', () => {
  it('chan_ooh323 Newchannel, VarSet and Hangup', () => {
    const recorded = blocks('ami-events-h323-call.follow.txt');
    const s: ChannelSnapshot = {
      channel: 'OOH323/callerb-0',
      state: 4,
      callerIdNum: '2000',
      callerIdName: 'caller-b',
      accountCode: 'ast_h323',
      context: 'from-h323',
      exten: '5551234',
      priority: 1,
      uniqueid: '1795292748.11',
      linkedid: '1795292748.11',
    };
    expect(encodeFrame(newchannel(s))).toBe(recorded[0]);
    expect(encodeFrame(varSet(s, '_CALLER_H323ID', 'RealpeersCallerB'))).toBe(recorded[1]);
    const up = { ...s, state: 6, priority: 4 };
    expect(recorded).toContain(encodeFrame(hangup(up, 16)));
  });

  it('chan_sip guest call hung up with cause 21', () => {
    const recorded = blocks('ami-events-svmap-invite-open.follow.txt');
    const s: ChannelSnapshot = {
      channel: 'SIP/1.1.1.1-00000003',
      state: 4,
      callerIdNum: '100',
      callerIdName: 'sipvicious',
      context: 'public',
      exten: '100',
      priority: 2,
      uniqueid: '1795292653.3',
      linkedid: '1795292653.3',
    };
    expect(recorded).toContain(encodeFrame(hangup(s, 21)));
    expect(encodeFrame(newchannel({ ...s, state: 0, priority: 1 }))).toBe(recorded[0]);
  });

  it('security events: InvalidPassword (EventVersion 2), FailedACL, InvalidAccountID', () => {
    const crack = blocks('ami-events-svcrack-101.follow.txt');
    expect(
      encodeFrame(
        securityEvent({
          event: 'InvalidPassword',
          accountId: '101',
          time: Date.parse('2026-11-21T20:21:41.256Z'),
          sessionId: '0x7f388800d770',
          local: { ip: '127.0.0.1', port: 5070 },
          remote: { ip: '127.0.0.1', port: 5060 },
          extra: [
            ['Challenge', '5d107f4a'],
            ['ReceivedChallenge', '5d107f4a'],
            ['ReceivedHash', '8e399e6d47355fef90ee7ffc8740837f'],
          ],
        }),
      ),
    ).toBe(crack[1]);
    const war = blocks('ami-events-svwar-default-open.follow.txt');
    expect(
      encodeFrame(
        securityEvent({
          event: 'InvalidAccountID',
          accountId: '100',
          time: Date.parse('2026-11-21T20:22:50.716Z'),
          sessionId: '0x7f38880134b0',
          local: { ip: '127.0.0.1', port: 5070 },
          remote: { ip: '127.0.0.1', port: 5060 },
        }),
      ),
    ).toBe(war[1]);
  });
});
