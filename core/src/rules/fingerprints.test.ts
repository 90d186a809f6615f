import { describe, expect, it } from 'vitest';
import type { CallAttempt } from '../attempt.js';
import { parseConfig } from '../config.js';
import { sipAttempt } from '../testing.js';
import type { Reason } from '../verdict.js';
import { BUILTIN_MARKERS, BUILTIN_SHAPES, type FingerprintField } from './fingerprint-table.js';
import { decodeSipviciousFromTag, FingerprintMatcher } from './fingerprints.js';
import { RuleWeights } from './weights.js';

function matcher(input: Parameters<typeof parseConfig>[0] = {}) {
  const config = parseConfig(input);
  return new FingerprintMatcher(config, new RuleWeights(config.rules));
}

function ids(m: FingerprintMatcher, a: CallAttempt): string[] {
  const out: Reason[] = [];
  m.evaluate(a, out);
  return out.map((r) => r.rule);
}

function withField(field: FingerprintField, value: string): CallAttempt {
  const a = sipAttempt();
  switch (field) {
    case 'userAgent':
      return { ...a, userAgent: value };
    case 'fromDisplay':
      return { ...a, caller: { ...a.caller, display: value } };
    case 'toDisplay':
      return { ...a, target: { ...a.target, display: value } };
    case 'sdpSessionName':
      return { ...a, sip: { ...a.sip, sdpSessionName: value } };
    default:
      throw new Error(`no builder for ${field}`);
  }
}

/** A real-world value for every built-in marker (positive case) — a new row without one fails this test. */
const POSITIVE: Record<string, string> = {
  'fp.ua.friendly-scanner': 'friendly-scanner',
  'fp.ua.sipvicious': 'sipvicious 0.3.3',
  'fp.ua.sipcli': 'sipcli/v1.8',
  'fp.ua.sip-scan': 'sip-scan',
  'fp.ua.iwar': 'iWar',
  'fp.ua.sundayddr': 'sundayddr',
  'fp.ua.vaxsip': 'VaxSIPUserAgent/3.1',
  'fp.ua.vaxip': 'VaxIPUserAgent/3.0',
  'fp.ua.pplsip': 'pplsip',
  'fp.ua.portsip': 'PortSIP VoIP SDK 11.2.1',
  'fp.ua.sivus': 'SIVuS Scanner',
  'fp.ua.smap': 'smap 0.6.0',
  'fp.ua.siparmyknife': 'siparmyknife',
  'fp.ua.nmap': 'Nmap NSE',
  'fp.ua.sipsak': 'sipsak 0.9.8.1',
  'fp.ua.test-agent': 'Test Agent',
  'fp.sdp.portsip': 'portsip.com',
  'fp.sdp.svwar': 'svwar',
  'fp.display.sipvicious': 'sipvicious',
  'fp.display.sipvicious-to': 'sipvicious',
};

/** Legitimate values of the same fields that must not match (negative cases). */
const LEGIT_VALUES: Record<FingerprintField, string[]> = {
  userAgent: [
    'Cisco/CE (RoomKit Pro) ce11.5.1',
    'TANDBERG/529 (ce11.9.2)',
    'Poly/RealPresence Group 500 6.2.2',
    'LifeSize Icon_600/LS_RM3_3.11.4',
    'baresip v1.0.0 (x86_64/linux)',
    'Linphone Desktop/5.0',
    'Pexip Infinity Conferencing Platform/32',
    'Asterisk PBX 20.20.1',
  ],
  fromDisplay: ['Alice', 'Boardroom', 'Pexip VMR'],
  toDisplay: ['Room Boardroom', ''],
  sdpSessionName: ['-', 'Cisco RoomKit', 'Polycom IP Phone', 'SIP Call'],
  callerUser: [],
  targetUser: [],
  viaBranch: [],
  fromTag: [],
  h323ProductId: [],
  h323VersionId: [],
  h323Display: [],
};

describe('fingerprint markers', () => {
  const m = matcher();
  for (const row of BUILTIN_MARKERS) {
    it(`${row.id} fires on a real marker value`, () => {
      const value = POSITIVE[row.id];
      expect(value, `no positive sample for ${row.id}`).toBeDefined();
      expect(ids(m, withField(row.field, value!))).toContain(row.id);
    });
    it(`${row.id} stays quiet on legitimate ${row.field} values`, () => {
      for (const v of LEGIT_VALUES[row.field]) expect(ids(m, withField(row.field, v))).not.toContain(row.id);
    });
    it(`${row.id} names its source and has a positive weight`, () => {
      expect(row.source.length).toBeGreaterThan(5);
      expect(row.weight).toBeGreaterThan(0);
    });
  }

  it('matches user agents case-insensitively', () => {
    expect(ids(m, withField('userAgent', 'Friendly-Scanner'))).toContain('fp.ua.friendly-scanner');
  });

  it('can switch sipsak off where operators use it', () => {
    const quiet = matcher({ rules: { disable: ['fp.ua.sipsak'] } });
    expect(ids(quiet, withField('userAgent', 'sipsak 0.9.8.1'))).not.toContain('fp.ua.sipsak');
  });

  it('honours weight overrides', () => {
    const out: Reason[] = [];
    matcher({ rules: { weights: { 'fp.ua.sipsak': 5 } } }).evaluate(withField('userAgent', 'sipsak 0.9.8'), out);
    expect(out.find((r) => r.rule === 'fp.ua.sipsak')?.weight).toBe(5);
  });

  it('adds custom fingerprints from config', () => {
    const custom = matcher({
      fingerprints: {
        custom: [
          { id: 'custom.evil', description: 'evil dialer', field: 'userAgent', pattern: 'evil-?dialer', weight: 70 },
        ],
      },
    });
    expect(ids(custom, withField('userAgent', 'EvilDialer 2'))).toContain('custom.evil');
    expect(ids(custom, withField('userAgent', 'Cisco/CE'))).not.toContain('custom.evil');
  });
});

describe('fingerprint shapes', () => {
  const m = matcher();
  const legit = sipAttempt();

  it('every shape row has a test below', () => {
    expect(BUILTIN_SHAPES.map((s) => s.id).sort()).toEqual([
      'fp.shape.from-equals-to',
      'fp.shape.no-branch-cookie',
      'fp.shape.sipvicious-branch',
      'fp.shape.sipvicious-from-tag',
    ]);
  });

  it('flags the SIPVicious Via branch z9hG4bK-<decimal>', () => {
    expect(ids(m, sipAttempt({ sip: { viaBranch: 'z9hG4bK-2100381865' } }))).toContain('fp.shape.sipvicious-branch');
    expect(ids(m, legit)).not.toContain('fp.shape.sipvicious-branch');
    expect(ids(m, sipAttempt({ sip: { viaBranch: 'z9hG4bK-524287-1---8b7c4f2ae1b9' } }))).not.toContain(
      'fp.shape.sipvicious-branch',
    );
  });

  it('decodes svmap, svwar and svcrack From tags (recorded values)', () => {
    expect(decodeSipviciousFromTag('3766303030303031313363340132303031323231343935')).toBe(
      'svmap tag encoding target 127.0.0.1:5060',
    );
    expect(decodeSipviciousFromTag('31303001343637393634373032')).toBe('svwar tag encoding extension "100"');
    expect(decodeSipviciousFromTag('3130313a70617373776f72640131323938353830393139')).toBe(
      'svcrack tag encoding a password guess for user "101"',
    );
    expect(decodeSipviciousFromTag('3206210844')).toBe("svcrack's fixed first From tag");
  });

  it('leaves ordinary From tags alone', () => {
    for (const tag of ['1928301774', 'as83kd9bs', '9fxced76sl', 'a6c85cf', '313233', 'deadbeef01020304']) {
      expect(decodeSipviciousFromTag(tag), tag).toBeUndefined();
    }
    expect(ids(m, legit)).not.toContain('fp.shape.sipvicious-from-tag');
  });

  it('flags a Via branch without the z9hG4bK cookie', () => {
    expect(ids(m, sipAttempt({ sip: { viaBranch: '123456789' } }))).toContain('fp.shape.no-branch-cookie');
    expect(ids(m, sipAttempt({ sip: { viaBranch: undefined } }))).toContain('fp.shape.no-branch-cookie');
    expect(ids(m, legit)).not.toContain('fp.shape.no-branch-cookie');
  });

  it('flags From user == target user on INVITE but not on REGISTER', () => {
    const probe = sipAttempt({ caller: { user: '100', host: '1.1.1.1' }, target: { user: '100', host: '127.0.0.1' } });
    expect(ids(m, probe)).toContain('fp.shape.from-equals-to');
    expect(ids(m, { ...probe, method: 'REGISTER' })).not.toContain('fp.shape.from-equals-to');
    expect(ids(m, legit)).not.toContain('fp.shape.from-equals-to');
  });
});
