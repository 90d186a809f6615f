import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsteriskSectionSchema } from '@ghostguard/asterisk';
import { loadConfigFile, parseAdapterSection } from '@ghostguard/core';
import {
  CHECK_EVENT,
  checkEventBody,
  DEFAULT_VERDICT_POLL_MS,
  EXAMPLE_PJSIP_ALLOW,
  TARPIT_CONTEXT,
  VERDICT_VARIABLE,
} from '@ghostguard/stand-ins/ami';
import { describe, expect, it } from 'vitest';
import { ROOT, readAsteriskConf, SHARED } from './support.js';

const EXAMPLES = join(ROOT, 'examples/asterisk');
const read = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');
const MEDIA_KEYS = ['AudioFormats', 'VideoFormats', 'EndpointAllow', 'ContentLength', 'ContentType'];

describe('examples/asterisk', () => {
  it('ghostguard.yaml is valid, adapters.asterisk included', () => {
    const config = loadConfigFile(join(EXAMPLES, 'ghostguard.yaml'));
    const section = parseAdapterSection(AsteriskSectionSchema, config, 'asterisk');
    expect(section).toMatchObject({ host: '127.0.0.1', port: 5038, username: 'ghostguard', failMode: 'open' });
    // h323Peers attributed calls by name (issue 15): the example no longer sets it.
    expect(section.h323Peers).toEqual({});
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

  it('the check waits with a construct that wakes on the verdict (WaitForCondition, 1 ms), not a 50 ms Wait loop', () => {
    const dialplan = read('extensions.conf');
    const routine = dialplan.slice(dialplan.indexOf('[ghostguard-check]'), dialplan.indexOf('[ghostguard-tarpit]'));
    expect(routine).not.toMatch(/^\s*same => n,Wait\(/m);
    expect(routine).not.toMatch(/While\(/);
    // app_waitforcond's syntax: replacement char, the condition with it for '$', timeout, interval (>= 0.001).
    const wait = /^ same => n,WaitForCondition\((.),(.+),\$\{GHOSTGUARD_WAIT\},\$\{GHOSTGUARD_POLL\}\)$/m.exec(routine);
    expect(wait).not.toBeNull();
    const [, rep, cond] = wait!;
    expect(cond!.startsWith(`${rep}[`) && cond!.endsWith(']')).toBe(true);
    expect(cond!.replaceAll(rep!, '$')).toBe(`$["$\{${VERDICT_VARIABLE}}" != ""]`);
    const poll = Number(/^GHOSTGUARD_POLL=([0-9.]+)/m.exec(dialplan)?.[1]);
    expect(poll).toBeGreaterThanOrEqual(0.001);
    expect(poll).toBeLessThanOrEqual(0.001);
    // The stand-in runs the wait with this interval by default (what the bench measures).
    expect(DEFAULT_VERDICT_POLL_MS).toBe(poll * 1000);
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

  it('pjsip.conf and sip.conf load into one Asterisk: no port bound twice', () => {
    const pjsip = readAsteriskConf(read('pjsip.conf'));
    const sip = readAsteriskConf(read('sip.conf'));
    const pjsipBinds = pjsip
      .filter((x) => x.values.type === 'transport')
      .map((x) => `${x.values.protocol}/${x.values.bind!.split(':').at(-1)}`);
    expect(pjsipBinds).toEqual(['udp/5060', 'tcp/5060']);
    const sipPort = sip
      .find((x) => x.name === 'general')!
      .values.udpbindaddr!.split(':')
      .at(-1);
    expect(pjsipBinds).not.toContain(`udp/${sipPort}`);
  });

  it('pjsip.conf has a room template: endpoint to the check, one contact per AOR, userpass auth', () => {
    const pjsip = readAsteriskConf(read('pjsip.conf'));
    const room = (type: string) => pjsip.find((x) => !x.template && x.values.type === type && /^room1/.test(x.name));
    expect(room('endpoint')?.values).toMatchObject({ context: 'from-external', aors: 'room1', auth: 'room1-auth' });
    expect(room('aor')?.values).toMatchObject({ max_contacts: '1', remove_existing: 'yes', qualify_frequency: '60' });
    expect(room('auth')?.values).toMatchObject({ auth_type: 'userpass', username: 'room1' });
    expect(room('endpoint')!.values.allow).toBe(EXAMPLE_PJSIP_ALLOW.join(','));
  });

  it('ooh323.conf says what chan_ooh323 does with it, as recorded: unconfigured callers refused before the dialplan', () => {
    const conf = read('ooh323.conf');
    const general = readAsteriskConf(conf).find((x) => x.name === 'general')!.values;
    expect(general.gatekeeper).toBe('DISABLE');
    const console = readFileSync(join(SHARED, 'asterisk-20.20.1-live/asterisk-instanceB-console-1.txt'), 'utf8');
    expect(console).toMatch(/ooh323_onReceivedSetup: Unacceptable ip 127\.0\.0\.2/);
    expect(conf).toContain('"Unacceptable ip <address>", ReleaseComplete cause 21');
    expect(conf).toContain('FROM ANY ADDRESS');
    expect(conf).not.toMatch(/h323Peers/);
  });
});
