import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsteriskSectionSchema } from '@ghostguard/asterisk';
import { loadConfigFile, parseAdapterSection } from '@ghostguard/core';
import { CHECK_EVENT, checkEventBody, TARPIT_CONTEXT, VERDICT_VARIABLE } from '@ghostguard/peers/ami';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support.js';

const EXAMPLES = join(ROOT, 'examples/asterisk');
const read = (name: string) => readFileSync(join(EXAMPLES, name), 'utf8');

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
    const peerKeys = checkEventBody({ tech: 'PJSIP', source: { ip: '192.0.2.1' }, exten: '1' }).map(([k]) => k);
    expect(keys).toEqual(peerKeys);
    // every value is URI-encoded (a comma in a header would split UserEvent's arguments)
    for (const part of line![2]!.split(/,(?=\w+: )/)) expect(part).toMatch(/^\w+: \$\{URIENCODE\(.*\)\}$/);
    expect(dialplan).toContain(`Set(${VERDICT_VARIABLE}=)`);
    expect(dialplan).toContain(`[${TARPIT_CONTEXT}]`);
    expect(dialplan).toMatch(/GHOSTGUARD_FAIL_POLICY=open/);
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
