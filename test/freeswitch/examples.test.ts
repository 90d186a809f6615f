import { existsSync, readFileSync } from 'node:fs';
import { loadConfigFile } from '@ghostguard/core';
import { freeswitchSection } from '@ghostguard/freeswitch';
import { describe, expect, it } from 'vitest';

const example = (path: string) => new URL(`../../examples/freeswitch/${path}`, import.meta.url);

describe('examples/freeswitch', () => {
  it('ghostguard.yaml is valid and its outbound port is the one every socket action of the dialplan connects to', () => {
    const section = freeswitchSection(loadConfigFile(example('ghostguard.yaml').pathname));
    expect(section.outbound).toMatchObject({ host: '127.0.0.1', port: 8084 });
    const dialplan = readFileSync(example('dialplan/ghostguard.xml'), 'utf8');
    const sockets = [...dialplan.matchAll(/application="socket" data="([^"]*)"/g)].map((m) => m[1]);
    expect(sockets.length).toBeGreaterThan(0);
    for (const data of sockets) expect(data).toBe(`${section.outbound?.host}:${section.outbound?.port} async full`);
    expect(dialplan).toMatch(/sched_transfer" data="\+3 \$1 XML ghostguard-fallback"/);
    expect(dialplan).not.toMatch(/socket_resume=true/);
  });

  it('ships no file for dialplan/public/ (vanilla public.xml runs its own extensions before those)', () => {
    expect(existsSync(example('dialplan/public'))).toBe(false);
    expect(existsSync(example('dialplan/00_ghostguard.xml'))).toBe(false);
    expect(readFileSync(example('README.md'), 'utf8')).toContain('<param name="context" value="ghostguard"/>');
  });

  it('the inbound password and port match event_socket.conf.xml', () => {
    const section = freeswitchSection(loadConfigFile(example('ghostguard.yaml').pathname));
    const conf = readFileSync(example('event_socket.conf.xml'), 'utf8');
    expect(conf).toContain(`<param name="password" value="${section.inbound?.password}"/>`);
    expect(conf).toContain(`<param name="listen-port" value="${section.inbound?.port}"/>`);
  });

  it('follows the room registrations of the profile sofia-profile.md describes, with room for the listing', () => {
    const section = freeswitchSection(loadConfigFile(example('ghostguard.yaml').pathname));
    expect(section.inbound?.rooms).toMatchObject({ enabled: true, profiles: ['internal'], flushHijacks: true });
    expect(section.inbound?.maxFrameBytes).toBeGreaterThanOrEqual(700 * (section.inbound?.rooms?.maxListItems ?? 0));
    expect(readFileSync(example('sofia-profile.md'), 'utf8')).toContain('flush_inbound_reg <call-id>');
  });

  it('the checked context tests the variable ghostguard sets on allow', () => {
    const xml = readFileSync(example('dialplan/ghostguard.xml'), 'utf8');
    // biome-ignore lint/suspicious/noTemplateCurlyInString: FreeSWITCH's channel-variable syntax, not a template.
    expect(xml).toContain('<condition field="${ghostguard_verdict}" expression="^allow$">');
    expect(xml).toContain('<context name="ghostguard-fallback">');
  });
});
