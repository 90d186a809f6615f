/**
 * Scanner fingerprints: markers that tools leave in the request itself. Data, not code: each row
 * says what it matches, how much it weighs and where the fact comes from. String markers are
 * matched case-insensitively as substrings of one field; shape markers run a small detector.
 */

export type FingerprintField =
  | 'userAgent'
  | 'fromDisplay'
  | 'toDisplay'
  | 'callerUser'
  | 'targetUser'
  | 'sdpSessionName'
  | 'viaBranch'
  | 'fromTag'
  | 'h323ProductId'
  | 'h323VersionId'
  | 'h323Display';

export interface MarkerFingerprint {
  id: string;
  description: string;
  weight: number;
  source: string;
  field: FingerprintField;
  /** Matched against the field; built-in rows use escaped literals (case-insensitive). */
  pattern: RegExp;
}

export type ShapeDetector =
  | 'sipvicious-via-branch'
  | 'sipvicious-from-tag'
  | 'missing-branch-cookie'
  | 'from-equals-to';

export interface ShapeFingerprint {
  id: string;
  description: string;
  weight: number;
  source: string;
  detector: ShapeDetector;
  /** Methods the shape applies to; all SIP methods when absent. */
  methods?: readonly string[];
}

const SIPVICIOUS_SRC =
  'SIPVicious 0.3.3 source (svhelper.py makeRequest) and recordings in shared/fixtures/sipvicious-0.3.3';

const HONEYPOT_SRC = 'public VoIP honeypot and SIP blocklist reports (User-Agent of scanning and toll-fraud traffic)';

function literal(s: string): RegExp {
  return new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'i');
}

function ua(id: string, marker: string, weight: number, description: string, source: string): MarkerFingerprint {
  return { id: `fp.ua.${id}`, description, weight, source, field: 'userAgent', pattern: literal(marker) };
}

export const BUILTIN_MARKERS: readonly MarkerFingerprint[] = [
  ua('friendly-scanner', 'friendly-scanner', 100, 'SIPVicious default User-Agent', SIPVICIOUS_SRC),
  ua('sipvicious', 'sipvicious', 100, 'SIPVicious named in the User-Agent', SIPVICIOUS_SRC),
  ua('sipcli', 'sipcli', 100, 'sipcli toll-fraud dialer', HONEYPOT_SRC),
  ua('sip-scan', 'sip-scan', 100, 'sip-scan scanner', HONEYPOT_SRC),
  ua('iwar', 'iWar', 100, 'iWar war dialer', HONEYPOT_SRC),
  ua('sundayddr', 'sundayddr', 100, 'sundayddr scanning worm', HONEYPOT_SRC),
  ua('vaxsip', 'VaxSIPUserAgent', 80, 'VaxVoIP SDK User-Agent, mass-used by toll-fraud dialers', HONEYPOT_SRC),
  ua('vaxip', 'VaxIPUserAgent', 80, 'VaxVoIP SDK User-Agent, mass-used by toll-fraud dialers', HONEYPOT_SRC),
  ua('pplsip', 'pplsip', 100, 'SIPPTS (pepelux) default User-Agent', 'SIPPTS (pepelux/sippts) default User-Agent'),
  ua('portsip', 'PortSIP VoIP SDK', 60, 'PortSIP SDK, used by many dialers', HONEYPOT_SRC),
  ua('sivus', 'SIVuS', 100, 'SIVuS vulnerability scanner', HONEYPOT_SRC),
  ua('smap', 'smap', 90, 'smap SIP scanner', HONEYPOT_SRC),
  ua('siparmyknife', 'siparmyknife', 100, 'SIP Army Knife fuzzer', HONEYPOT_SRC),
  ua('nmap', 'Nmap NSE', 100, 'Nmap NSE sip-* scripts', 'Nmap nselib/sip.lua default User-Agent "Nmap NSE"'),
  ua(
    'sipsak',
    'sipsak',
    60,
    'sipsak test tool (operators use it: disable fp.ua.sipsak where they do)',
    'sipsak source (User-Agent: sipsak <version>)',
  ),
  ua('test-agent', 'Test Agent', 60, 'generic "Test Agent" seen in scanning campaigns', HONEYPOT_SRC),
  {
    id: 'fp.sdp.portsip',
    description: 'SDP session name of the PortSIP SDK used by dialers',
    weight: 50,
    source: HONEYPOT_SRC,
    field: 'sdpSessionName',
    pattern: /^portsip\.com$/i,
  },
  {
    id: 'fp.sdp.svwar',
    description: 'SDP session name written by svwar',
    weight: 100,
    source: SIPVICIOUS_SRC,
    field: 'sdpSessionName',
    pattern: /^svwar$/i,
  },
  {
    id: 'fp.display.sipvicious',
    description: 'SIPVicious puts "sipvicious" in the From/To display name, not the URI',
    weight: 100,
    source: SIPVICIOUS_SRC,
    field: 'fromDisplay',
    pattern: /sipvicious/i,
  },
  {
    id: 'fp.display.sipvicious-to',
    description: 'SIPVicious puts "sipvicious" in the To display name',
    weight: 100,
    source: SIPVICIOUS_SRC,
    field: 'toDisplay',
    pattern: /sipvicious/i,
  },
];

export const BUILTIN_SHAPES: readonly ShapeFingerprint[] = [
  {
    id: 'fp.shape.sipvicious-branch',
    description: 'Via branch z9hG4bK-<decimal>: SIPVicious writes a dash and a random integer after the cookie',
    weight: 80,
    source: SIPVICIOUS_SRC,
    detector: 'sipvicious-via-branch',
  },
  {
    id: 'fp.shape.sipvicious-from-tag',
    description:
      'From tag is hex of "<payload>\\x01<digits>": svmap encodes target ip+port, svwar the extension, svcrack user:password; or svcrack’s fixed first tag 3206210844',
    weight: 90,
    source: SIPVICIOUS_SRC,
    detector: 'sipvicious-from-tag',
  },
  {
    id: 'fp.shape.no-branch-cookie',
    description: 'Via branch without the RFC 3261 z9hG4bK magic cookie (SIPPTS and other raw tools)',
    weight: 30,
    source: 'RFC 3261 §8.1.1.7; SIPPTS source',
    detector: 'missing-branch-cookie',
  },
  {
    id: 'fp.shape.from-equals-to',
    description: 'INVITE/OPTIONS whose From user equals the To user (svmap and svwar probes)',
    weight: 15,
    source: SIPVICIOUS_SRC,
    detector: 'from-equals-to',
    methods: ['INVITE', 'OPTIONS'],
  },
];
