import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsteriskSectionSchema } from '@ghostguard/asterisk';
import { loadConfigFile, parseAdapterSection } from '@ghostguard/core';
import {
  CHECK_EVENT,
  checkEventBody,
  EXAMPLE_PJSIP_ALLOW,
  TARPIT_CONTEXT,
  VERDICT_VARIABLE,
} from '@ghostguard/stand-ins/ami';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support.js';

const EXAMPLES = join(ROOT, 'examples/asterisk');
const read = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');
const MEDIA_KEYS = ['AudioFormats', 'VideoFormats', 'EndpointAllow', 'ContentLength', 'ContentType'];

describe('examples/asterisk', () => {
  it('ghostguard.yaml is valid, adapters.asterisk included', () => {
    const config = loadConfigFile(join(EXAMPLES, 'ghostguard.yaml'));
    const section = parseAdapterSection(AsteriskSectionSchema, config, 'asterisk');
    expect(section).toMatchObject({
      host: '127.0.0.1',
      port: 5038,
      username: 'ghostguard',
      h323Peers: { callerb: '192.0.2.50' },
    });
    expect(section.dropCause.PJSIP).toBe(1);
    expect(section.rejectCause.SIP).toBe(21);
  });

  it('the check routine raises the fields, in the order, that the peer emulates and the adapter reads', () => {
    const dialplan = read('extensions.conf');
    const line = /UserEvent\((\w+),(.*)\)$/m.exec(dialplan);
    expect(line?.[1]).toBe(CHECK_EVENT);
    const keys = line![2]!.split(/,(?=\w+: )/).map((part) => part.slice(0, part.indexOf(':')));
    const call = { tech: 'PJSIP', source: { ip: '192.0.2.1' }, exten: '1', invite: {} } as const;
    const peerKeys = checkEventBody(call).map(([k]) => k);
    expect(keys).toEqual(peerKeys);
    // a call scripted without its INVITE's body stands for a dialplan without the media fields
    const legacy = checkEventBody({ ...call, invite: undefined }).map(([k]) => k);
    expect(legacy).toEqual(keys.filter((k) => !MEDIA_KEYS.includes(k)));
    // every value is URI-encoded (a comma in a header would split UserEvent's arguments)
    for (const part of line![2]!.split(/,(?=\w+: )/)) expect(part).toMatch(/^\w+: \$\{URIENCODE\(.*\)\}$/);
    expect(dialplan).toContain(`Set(${VERDICT_VARIABLE}=)`);
    expect(dialplan).toContain(`[${TARPIT_CONTEXT}]`);
    expect(dialplan).toMatch(/GHOSTGUARD_FAIL_POLICY=open/);
  });

  it('the check routine reads the offer as the adapter expects, from the functions Asterisk 20 has', () => {
    const dialplan = read('extensions.conf');
    const reads = (driver: string) => {
      const start = dialplan.indexOf(`same => n(${driver}),`);
      return dialplan.slice(start, dialplan.indexOf('Goto(raise)', start));
    };
    /** `Set(LOCAL(<name>)=${<expr>})` as the dialplan spells it. */
    const set = (name: string, expr: string) => `Set(LOCAL(${name})=$\{${expr}})`;
    for (const driver of ['pjsip', 'sip']) {
      expect(reads(driver)).toContain(set('audiofmt', 'CHANNEL(audionativeformat)'));
      expect(reads(driver)).toContain(set('videofmt', 'CHANNEL(videonativeformat)'));
    }
    expect(reads('pjsip')).toContain(set('allow', `PJSIP_ENDPOINT($\{CHANNEL(endpoint)},allow)`));
    expect(reads('pjsip')).toContain(set('ctype', 'PJSIP_HEADER(read,Content-Type)'));
    expect(reads('pjsip')).toContain(set('clen', 'PJSIP_HEADER(read,Content-Length)'));
    expect(reads('sip')).toContain(set('ctype', 'SIP_HEADER(Content-Type)'));
    expect(reads('sip')).toContain(set('clen', 'SIP_HEADER(Content-Length)'));
    // every variable of the UserEvent starts empty (chan_ooh323 and other drivers send the fields empty)
    for (const v of ['audiofmt', 'videofmt', 'allow', 'clen', 'ctype']) expect(dialplan).toContain(`Set(LOCAL(${v})=)`);
  });

  it("the peer's default PJSIP allow list is the example anonymous endpoint's", () => {
    const pjsip = read('pjsip.conf');
    const anonymous = pjsip.slice(pjsip.indexOf('[anonymous]'));
    expect(/^disallow = all$/m.test(anonymous)).toBe(true);
    const allow = /^allow = (.*)$/m.exec(anonymous)?.[1];
    expect(allow?.split(',').map((f) => f.trim())).toEqual(EXAMPLE_PJSIP_ALLOW);
  });

  it('manager.conf grants least privilege on loopback, enough for the default event mask and the room listings', () => {
    const manager = read('manager.conf');
    expect(manager).toMatch(/^bindaddr = 127\.0\.0\.1$/m);
    expect(manager).toMatch(/^read = call,user,security,system$/m);
    // call: Setvar/Hangup/Redirect; system: PJSIPShowContacts, SIPpeers, SIPshowpeer
    expect(manager).toMatch(/^write = call,system$/m);
    const defaults = AsteriskSectionSchema.parse({ username: 'u', secret: 's' });
    expect(defaults.eventMask.split(',').sort()).toEqual(['call', 'security', 'system', 'user']);
  });
});
