import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkEventBody, userEventFields } from './dialplan.js';

const LIVE = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1-live');

describe('the check event as Asterisk 20.20.1 raised it (live recording, dialplan before the media fields)', () => {
  it('URIENCODE leaves ( and ) alone: the peer writes the recorded fields byte for byte', () => {
    const text = readFileSync(join(LIVE, 'ami-pjsip-guard-tollfraud-run.follow.txt'), 'latin1');
    const at = text.indexOf('UserAgent: TANDBERG%2F529%20(ce11.5.2.4)');
    const start = text.lastIndexOf('Tech: ', at);
    const recorded = text
      .slice(start, text.indexOf('\r\n\r\n', at))
      .split('\r\n')
      .map((line) => [line.slice(0, line.indexOf(':')), line.slice(line.indexOf(':') + 2)]);
    const body = checkEventBody({
      tech: 'PJSIP',
      source: { ip: '127.0.0.120', port: 5062 },
      exten: 'room1',
      callerNum: 'meeting-room',
      callerName: 'Meeting Room',
      userAgent: 'TANDBERG/529 (ce11.5.2.4)',
      via: 'SIP/2.0/UDP 127.0.0.120:5062;rport=5062;received=127.0.0.120;branch=z9hG4bKe7c970e21aacb7b9',
      from: '"Meeting Room" <sip:meeting-room@partner.example.com>;tag=1f272ca4f1',
      to: '<sip:room1@rooms.example.com>',
      callId: '7e17a314d2b863367e93b987@127.0.0.120',
      requestUri: 'sip:room1@rooms.example.com',
      contact: '<sip:meeting-room@127.0.0.120:5062>',
    });
    expect(userEventFields(body)).toEqual(recorded);
  });
});
