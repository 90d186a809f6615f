import { describe, expect, it } from 'vitest';
import type { CallAttempt } from '../attempt.js';
import { type ConfigInput, parseConfig } from '../config.js';
import { h323Attempt, sipAttempt } from '../testing.js';
import type { Reason } from '../verdict.js';
import { DialShapeRules } from './dial-shape.js';
import { TargetKnowledge } from './target-knowledge.js';
import { RuleWeights } from './weights.js';

const SERVED: ConfigInput = {
  dialShape: { domains: ['video.example.com'], localAddresses: ['203.0.113.10'], knownTargets: ['room-*', '1001'] },
};

function run(a: CallAttempt, input: ConfigInput = SERVED) {
  const config = parseConfig(input);
  const rules = new DialShapeRules(config, new RuleWeights(config.rules), new TargetKnowledge(config.dialShape));
  const out: Reason[] = [];
  const known = rules.evaluate(a, out);
  return { known, ids: out.map((r) => r.rule) };
}

describe('dial shape', () => {
  it('passes a call to a known room on a served domain', () => {
    expect(run(sipAttempt())).toEqual({ known: true, ids: [] });
  });

  it('flags a Request-URI host that is a bare IP literal, except the SBC’s own address', () => {
    const a = sipAttempt({ target: { user: 'room-1', host: '198.51.100.7' } });
    expect(run(a).ids).toContain('dial.ip-literal-host');
    expect(run(sipAttempt({ target: { user: 'room-1', host: '203.0.113.10' } })).ids).not.toContain(
      'dial.ip-literal-host',
    );
    expect(run(sipAttempt({ target: { user: 'room-1', host: '[2001:db8::1]' } })).ids).toContain(
      'dial.ip-literal-host',
    );
  });

  it('flags a domain that is not served, only when domains are configured', () => {
    const a = sipAttempt({ target: { user: 'room-1', host: 'elsewhere.example.org' } });
    expect(run(a).ids).toContain('dial.foreign-domain');
    expect(run(a, {}).ids).not.toContain('dial.foreign-domain');
  });

  it('flags a target that is not a known room, and says when nothing is known', () => {
    const a = sipAttempt({ target: { user: '4711', host: 'video.example.com' } });
    expect(run(a)).toEqual({ known: false, ids: ['dial.unknown-target'] });
    expect(run(a, {})).toEqual({ known: undefined, ids: [] });
  });

  it('uses the To user as the target of a REGISTER', () => {
    const reg = sipAttempt({
      method: 'REGISTER',
      target: { host: 'video.example.com' },
      sip: { toUri: '"100"<sip:100@video.example.com>' },
    });
    expect(run(reg).ids).toContain('dial.unknown-target');
  });

  it('flags toll-fraud number shapes: international and dial-out prefixes', () => {
    for (const n of ['0046812345678', '+441632960123', '011441632960123', '900441632960123', '9011441632960123']) {
      expect(run(sipAttempt({ target: { user: n, host: 'video.example.com' } }), {}).ids, n).toContain(
        'dial.toll-fraud',
      );
    }
    for (const n of ['1001', 'room-boardroom', '4711', '5551234']) {
      expect(run(sipAttempt({ target: { user: n, host: 'video.example.com' } }), {}).ids, n).not.toContain(
        'dial.toll-fraud',
      );
    }
  });

  it('flags long digit strings that are not toll-fraud shaped', () => {
    expect(run(sipAttempt({ target: { user: '123456789012', host: 'video.example.com' } }), {}).ids).toContain(
      'dial.long-digits',
    );
    expect(run(sipAttempt({ target: { user: '12345', host: 'video.example.com' } }), {}).ids).not.toContain(
      'dial.long-digits',
    );
  });

  it('takes toll-fraud patterns from config', () => {
    const cfg: ConfigInput = { dialShape: { tollFraudPatterns: ['^8\\d{7}$'] } };
    expect(run(sipAttempt({ target: { user: '81234567' } }), cfg).ids).toContain('dial.toll-fraud');
    expect(run(sipAttempt({ target: { user: '0046812345678' } }), cfg).ids).not.toContain('dial.toll-fraud');
  });

  it('judges H.323 dialled numbers the same way', () => {
    expect(run(h323Attempt({ target: { user: '00881234567890' } }), {}).ids).toContain('dial.toll-fraud');
    expect(run(h323Attempt()).ids).toEqual([]);
  });
});
