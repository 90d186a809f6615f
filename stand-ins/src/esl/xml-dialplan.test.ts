import { describe, expect, it } from 'vitest';
import { loadDialplan, parseXml, runCall, separateWords } from './xml-dialplan.js';

const call = (user: string) =>
  ({
    protocol: 'sip',
    source: { ip: '192.0.2.7', port: 5060 },
    requestUri: { user, host: 'example.com' },
    from: { user: 'caller', host: 'example.com' },
    to: { user, host: 'example.com' },
    callId: 'abc@192.0.2.7',
  }) as const;

const ctx = (body: string) => `<include><context name="c">${body}</context></include>`;

async function run(body: string, user = '1000', files: Record<string, string> = {}) {
  const dialplan = loadDialplan({ 'dialplan/c.xml': ctx(body), ...files });
  return runCall({ dialplan, call: call(user), context: 'c', secondMs: 1, maxCallMs: 2_000 });
}

describe('the XML dialplan as FreeSWITCH runs it', () => {
  it('reads elements and attributes, skips comments, refuses a tag left open', () => {
    const [inc] = parseXml('<!-- <x/> --><include><a b="1 &amp; 2"/></include>');
    expect(inc).toMatchObject({ name: 'include', children: [{ name: 'a', attrs: { b: '1 & 2' } }] });
    expect(() => parseXml('<include><a>')).toThrow(/not closed/);
  });

  it('splits application data on blanks like switch_separate_string: the last word ends at the next blank', () => {
    expect(separateWords('1000 XML default XML ghostguard-checked', 4)).toEqual(['1000', 'XML', 'default', 'XML']);
    expect(separateWords('  a   b ', 3)).toEqual(['a', 'b']);
  });

  it('includes public/*.xml in name order where the X-PRE-PROCESS stands, and $${globals}', async () => {
    const dialplan = loadDialplan(
      {
        'dialplan/p.xml':
          '<include><context name="p"><X-PRE-PROCESS cmd="include" data="p/*.xml"/></context></include>',
        'dialplan/p/10_b.xml':
          '<include><extension name="b"><condition><action application="log" data="INFO b"/></condition></extension></include>',
        'dialplan/p/00_a.xml':
          '<include><extension name="a" continue="true"><condition><action application="log" data="INFO $${d}"/></condition></extension></include>',
      },
      { d: 'example.com' },
    );
    const r = await runCall({ dialplan, call: call('1'), context: 'p', secondMs: 1 });
    expect(r.logs).toEqual(['[INFO] example.com', '[INFO] b']);
  });

  it('stops hunting at the first matching extension unless continue="true"; $1 from the condition', async () => {
    const r = await run(`
      <extension name="x" continue="true"><condition><action application="set" data="a=1"/></condition></extension>
      <extension name="y"><condition field="destination_number" expression="^(10)(00)$"><action application="log" data="INFO $2-$1"/></condition></extension>
      <extension name="z"><condition><action application="log" data="INFO never"/></condition></extension>`);
    expect(r.variables.a).toBe('1');
    expect(r.logs).toEqual(['[INFO] 00-10']);
  });

  it('an anti-action makes the extension match; a failing condition without one lets hunting go on', async () => {
    const r = await run(`
      <extension name="x"><condition field="destination_number" expression="^9"/><condition><action application="log" data="INFO x"/></condition></extension>
      <extension name="y"><condition field="destination_number" expression="^9"><anti-action application="log" data="INFO y"/></condition></extension>
      <extension name="z"><condition><action application="log" data="INFO z"/></condition></extension>`);
    expect(r.logs).toEqual(['[INFO] y']);
  });

  it('expands channel variables when the application runs, and fields holding $ when hunting', async () => {
    const r = await run(`
      <extension name="x"><condition field="\${sip_call_id}" expression="^abc@"><action application="set" data="v=\${destination_number}"/><action application="log" data="INFO \${v}"/></condition></extension>`);
    expect(r.logs).toEqual(['[INFO] 1000']);
  });

  it('no extension at all: No Route, Aborting, NO_ROUTE_DESTINATION (404)', async () => {
    const r = await run('<extension name="x"><condition field="destination_number" expression="^9$"/></extension>');
    expect(r.trace.at(-1)).toBe('No Route, Aborting');
    expect(r).toMatchObject({ hangupCause: 'NO_ROUTE_DESTINATION', sipStatus: 404 });
  });

  it('sched_transfer fires after its seconds unless sched_cancel deleted the group first', async () => {
    const body = (cancel: string) =>
      ctx(`<extension name="x"><condition field="destination_number" expression="^(1000)$">
        <action application="sched_transfer" data="+5 later XML c"/>${cancel}<action application="sleep" data="40"/>
        <action application="log" data="INFO slept"/></condition></extension>
        <extension name="l"><condition field="destination_number" expression="^later$"><action application="log" data="INFO moved"/></condition></extension>`);
    const fired = await runCall({
      dialplan: loadDialplan({ 'dialplan/c.xml': body('') }),
      call: call('1000'),
      context: 'c',
      secondMs: 1,
    });
    expect(fired.logs).toEqual(['[INFO] moved']);
    const cancelled = await runCall({
      dialplan: loadDialplan({ 'dialplan/c.xml': body('<action application="sched_cancel" data=""/>') }),
      call: call('1000'),
      context: 'c',
      secondMs: 1,
    });
    expect(cancelled.logs).toEqual(['[INFO] slept']);
  });

  it('bridge: sofia_contact of an unregistered user fails the call; {vars} go to the B-leg', async () => {
    // biome-ignore lint/suspicious/noTemplateCurlyInString: FreeSWITCH's channel-variable syntax, not a template.
    const data = '{sip_invite_call_id=${sip_call_id}}${sofia_contact(internal/${destination_number}@example.com)}';
    const body = `<extension name="x"><condition><action application="bridge" data="${data}"/></condition></extension>`;
    const none = await run(body);
    expect(none).toMatchObject({ hangupCause: 'USER_NOT_REGISTERED', bridges: [] });
    const dialplan = loadDialplan({ 'dialplan/c.xml': ctx(body) });
    const r = await runCall({
      dialplan,
      call: call('1000'),
      context: 'c',
      contacts: { 'internal/1000@example.com': 'sip:1000@192.0.2.8:5062' },
    });
    expect(r.bridges).toEqual([
      expect.objectContaining({ profile: 'internal', uri: 'sip:1000@192.0.2.8:5062', callId: 'abc@192.0.2.7' }),
    ]);
    expect(r.answered).toBe(true);
  });
});
