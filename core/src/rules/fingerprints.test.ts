import { describe, expect, it } from 'vitest';
import type { CallAttempt } from '../attempt.js';
import { parseConfig } from '../config.js';
import {
  decodeSetupAttempt,
  encodeSetup,
  type H323SetupShape,
  type H323SetupSpec,
  setupShapeSpec,
} from '../h323/index.js';
import { h323Attempt, sipAttempt } from '../testing.js';
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
    case 'h323Display':
      return h323Attempt({ h323: { display: value } });
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
  'fp.h323.display-system': 'SYSTEM',
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
  h323Display: ['Partner Boardroom', 'caller-b', 'System Room 2', 'Cisco Room Kit', 'asterisk-a'],
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
      'fp.h323.cisco-caller-name',
      'fp.h323.cisco-on-openh323',
      'fp.h323.ip-only-destination',
      'fp.h323.msf-call-reference',
      'fp.h323.msf-version-setup',
      'fp.h323.random-vendor-id',
      'fp.h323.speex-faststart',
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

/** A SETUP as the decoder hands it to judge(): encoded by the core's encoder, then decoded. */
function setupAttempt(input: H323SetupSpec | H323SetupShape) {
  const frame = encodeSetup(input);
  return decodeSetupAttempt(frame.subarray(4), { source: { ip: '198.51.100.66', port: 40_000 }, time: 0 });
}

describe('H.323 fingerprint shapes', () => {
  const m = matcher();
  const metasploit = setupAttempt({ shape: 'metasploit-h323-version' });
  const room = setupAttempt({ shape: 'room' });
  const h323Rows = BUILTIN_SHAPES.filter((s) => s.protocol === 'h323');

  it('every H.323 shape row names its source and applies to SETUP only', () => {
    expect(h323Rows.length).toBe(7);
    for (const row of h323Rows) {
      expect(row.source.length, row.id).toBeGreaterThan(5);
      expect(row.weight, row.id).toBeGreaterThan(0);
      expect(row.methods).toEqual(['SETUP']);
    }
  });

  it('a room system SETUP (h323-ID, dialledDigits, fastStart) matches no H.323 row', () => {
    const hits = ids(m, room).filter((id) => id.startsWith('fp.h323.'));
    expect(hits).toEqual([]);
  });

  it('H.323 rows never fire on SIP attempts', () => {
    const sip = sipAttempt({ caller: { user: 'a', display: 'Cisco' }, sip: { sdpSessionName: 'speex' } });
    expect(ids(m, sip).filter((id) => id.startsWith('fp.h323.'))).toEqual([]);
  });

  it('flags the Metasploit h323_version SETUP with every marker, strongly', () => {
    const out: Reason[] = [];
    m.evaluate(metasploit, out);
    const byId = new Map(out.map((r) => [r.rule, r]));
    for (const id of [
      'fp.h323.msf-version-setup',
      'fp.h323.msf-call-reference',
      'fp.h323.random-vendor-id',
      'fp.h323.speex-faststart',
      'fp.h323.display-system',
      'fp.h323.ip-only-destination',
    ]) {
      expect(byId.has(id), id).toBe(true);
    }
    expect(byId.get('fp.h323.msf-version-setup')?.detail).toMatch(/^7 of 7 markers: call reference 0x733f/);
    expect(out.reduce((n, r) => n + r.weight, 0)).toBeGreaterThanOrEqual(100);
  });

  it('still flags the Metasploit shape whatever random h323-ID and vendor id it drew', () => {
    for (let seed = 1; seed <= 50; seed++) {
      expect(ids(m, setupAttempt({ shape: 'metasploit-h323-version', seed })), `seed ${seed}`).toContain(
        'fp.h323.msf-version-setup',
      );
    }
  });

  it('needs 4 Metasploit markers: 3 found in a legitimate SETUP are not enough', () => {
    // A softphone offering Speex, named "Bob", dialling by IP without numbers: 3 markers.
    const softphone = setupAttempt({
      callReference: 0x1234,
      display: 'Bob',
      sourceAliases: [{ type: 'h323-ID', value: 'Bob' }],
      vendor: { t35CountryCode: 9, manufacturerCode: 61, productId: 'OpenPhone', versionId: '1.4.5' },
      destCallSignalAddress: { ip: '203.0.113.10', port: 1720 },
      fastStart: setupShapeSpec({ shape: 'metasploit-h323-version' }).fastStart!,
    });
    const hits = ids(m, softphone);
    expect(hits).not.toContain('fp.h323.msf-version-setup');
    expect(hits).toContain('fp.h323.speex-faststart');
  });

  it('weighs the call reference 0x733f alone lightly', () => {
    const out: Reason[] = [];
    m.evaluate(setupAttempt({ ...setupShapeSpec({ shape: 'room' }), callReference: 0x733f }), out);
    expect(out.map((r) => r.rule)).toEqual(['fp.h323.msf-call-reference']);
    expect(out[0]!.weight).toBeLessThan(30);
  });

  it('flags a 32-letter random vendor id in productId or versionId, not a product name', () => {
    const vendor = { t35CountryCode: 181, manufacturerCode: 1 };
    const random = 'qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtY';
    expect(ids(m, h323Attempt({ h323: { vendor: { ...vendor, productId: random } } }))).toContain(
      'fp.h323.random-vendor-id',
    );
    expect(ids(m, h323Attempt({ h323: { vendor: { ...vendor, versionId: random } } }))).toContain(
      'fp.h323.random-vendor-id',
    );
    for (const productId of ['Polycom HDX 8000 HD', 'ooh323', 'ABCDEFGHIJKLMNOPQRSTUVWXYZABCDEF', random.slice(1)]) {
      expect(ids(m, h323Attempt({ h323: { vendor: { ...vendor, productId } } })), productId).not.toContain(
        'fp.h323.random-vendor-id',
      );
    }
  });

  it('flags a Speex fastStart proposal, not G.711 ones', () => {
    expect(ids(m, h323Attempt({ h323: { fastStartText: ['speex sr=16000;mode=6'] } }))).toContain(
      'fp.h323.speex-faststart',
    );
    expect(ids(m, room)).not.toContain('fp.h323.speex-faststart');
  });

  it("flags a tool calling itself Cisco with OpenH323's vendor code", () => {
    const fake = setupAttempt({ shape: 'cisco-openh323' });
    expect(ids(m, fake)).toEqual(expect.arrayContaining(['fp.h323.cisco-on-openh323', 'fp.h323.cisco-caller-name']));
    // A real Cisco (181/0/18) or a Cisco-named room on another stack is not the OpenH323 shape.
    const realCisco = h323Attempt({
      h323: { vendor: { t35CountryCode: 181, t35Extension: 0, manufacturerCode: 18, productId: 'Cisco Codec' } },
    });
    expect(ids(m, realCisco)).not.toContain('fp.h323.cisco-on-openh323');
    const openh323Room = h323Attempt({
      h323: { vendor: { t35CountryCode: 9, t35Extension: 0, manufacturerCode: 61, productId: 'ooh323' } },
    });
    expect(ids(m, openh323Room)).not.toContain('fp.h323.cisco-on-openh323');
  });

  it('flags a caller named just "Cisco", not a room named after it', () => {
    expect(ids(m, h323Attempt({ h323: { display: 'cisco' } }))).toContain('fp.h323.cisco-caller-name');
    expect(ids(m, h323Attempt({ h323: { display: 'Cisco Room Kit Boardroom' } }))).not.toContain(
      'fp.h323.cisco-caller-name',
    );
  });

  it('flags a SETUP that names only an IP address as its destination', () => {
    expect(ids(m, setupAttempt({ shape: 'ip-only-destination' }))).toContain('fp.h323.ip-only-destination');
    const transportOnly = setupAttempt({
      callReference: 7,
      destinationAliases: [{ type: 'transportID', address: { ip: '203.0.113.10', port: 1720 } }],
      destCallSignalAddress: { ip: '203.0.113.10', port: 1720 },
    });
    expect(ids(m, transportOnly)).toContain('fp.h323.ip-only-destination');
    // A Called Party Number or any named destination alias is a real destination.
    expect(ids(m, setupAttempt({ callReference: 7, calledNumber: '4001' }))).not.toContain(
      'fp.h323.ip-only-destination',
    );
    expect(ids(m, room)).not.toContain('fp.h323.ip-only-destination');
  });

  it('reads nothing from malformed H.323 lists (attempts from outside the process)', () => {
    const broken = { ...metasploit, h323: { ...metasploit.h323, sourceAliases: 'x', fastStartText: 3 } };
    expect(() => ids(m, broken as unknown as CallAttempt)).not.toThrow();
  });

  it('can switch an H.323 row off or reweigh it', () => {
    const quiet = matcher({
      rules: { disable: ['fp.h323.msf-version-setup'], weights: { 'fp.h323.speex-faststart': 1 } },
    });
    const out: Reason[] = [];
    quiet.evaluate(metasploit, out);
    expect(out.map((r) => r.rule)).not.toContain('fp.h323.msf-version-setup');
    expect(out.find((r) => r.rule === 'fp.h323.speex-faststart')?.weight).toBe(1);
  });
});
