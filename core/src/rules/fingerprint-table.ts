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
  | 'from-equals-to'
  | 'h323-msf-version-setup'
  | 'h323-msf-call-reference'
  | 'h323-random-vendor-id'
  | 'h323-speex-faststart'
  | 'h323-cisco-on-openh323'
  | 'h323-cisco-caller-name'
  | 'h323-ip-only-destination';

export interface ShapeFingerprint {
  id: string;
  description: string;
  weight: number;
  source: string;
  detector: ShapeDetector;
  /** Protocol the shape reads (default sip). */
  protocol?: 'sip' | 'h323';
  /** Methods the shape applies to; all methods of its protocol when absent. */
  methods?: readonly string[];
}

const SIPVICIOUS_SRC =
  'SIPVicious 0.3.3 source (svhelper.py makeRequest) and recordings in shared/fixtures/sipvicious-0.3.3';

const HONEYPOT_SRC = 'public VoIP honeypot and SIP blocklist reports (User-Agent of scanning and toll-fraud traffic)';

const MSF_H323_SRC =
  'Metasploit auxiliary/scanner/h323/h323_version.rb (rapid7/metasploit-framework: h323_setup_call, create_user_info, ' +
  'encap_q225_standard), read and its SETUP decoded here with tshark';

const OPENH323_CISCO_SRC =
  'OpenH323 H323EndPoint constructor (every OpenH323 endpoint announces H.221 vendor 9/0/61, "Equivalence"); ' +
  'Wireshark H.225 manufacturer table (Cisco is 181/0/18); VC Warehouse KB "Bugged by Spoof VC Calls?" (2014: ' +
  'unsolicited H.323 calls to room systems, source name often "Cisco")';

const IP_ONLY_SRC =
  'H.225.0 Setup-UUIE (destinationAddress is OPTIONAL: a call dialled to an IP address carries only ' +
  'destCallSignalAddress); Metasploit h323_version sends no destination alias; room-system options to reject H.323 ' +
  'calls dialled by IP address (Avaya CU360 admin guide, "Reject Incoming Calls with Invalid Numbers")';

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
  {
    id: 'fp.h323.display-system',
    description: 'Q.931 Display "SYSTEM": what Metasploit h323_version calls itself (alone a weak marker)',
    weight: 15,
    source: MSF_H323_SRC,
    field: 'h323Display',
    pattern: /^SYSTEM$/i,
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
  {
    id: 'fp.h323.msf-version-setup',
    description:
      'Metasploit h323_version SETUP: at least 4 of call reference 0x733f, Display "SYSTEM", no Called/Calling Party ' +
      'Number, one short random h323-ID, a 32-letter random vendor id, a Speex fastStart proposal, Bearer Capability 00 03 88',
    weight: 100,
    source: MSF_H323_SRC,
    detector: 'h323-msf-version-setup',
    protocol: 'h323',
    methods: ['SETUP'],
  },
  {
    id: 'fp.h323.msf-call-reference',
    description: 'Q.931 call reference 0x733f, fixed in Metasploit h323_version (alone: 1 in 32768 by chance)',
    weight: 20,
    source: MSF_H323_SRC,
    detector: 'h323-msf-call-reference',
    protocol: 'h323',
    methods: ['SETUP'],
  },
  {
    id: 'fp.h323.random-vendor-id',
    description: 'vendor productId or versionId of exactly 32 random mixed-case letters (Metasploit h323_version)',
    weight: 20,
    source: MSF_H323_SRC,
    detector: 'h323-random-vendor-id',
    protocol: 'h323',
    methods: ['SETUP'],
  },
  {
    id: 'fp.h323.speex-faststart',
    description: 'a Speex fastStart proposal (Metasploit h323_version; also old OpenH323 softphones: weak)',
    weight: 10,
    source: MSF_H323_SRC,
    detector: 'h323-speex-faststart',
    protocol: 'h323',
    methods: ['SETUP'],
  },
  {
    id: 'fp.h323.cisco-on-openh323',
    description:
      "the caller calls itself Cisco (productId, versionId, Display or h323-ID) but announces OpenH323's H.221 vendor code 9/0/61",
    weight: 60,
    source: OPENH323_CISCO_SRC,
    detector: 'h323-cisco-on-openh323',
    protocol: 'h323',
    methods: ['SETUP'],
  },
  {
    id: 'fp.h323.cisco-caller-name',
    description: 'Display or source h323-ID is just "Cisco" (seen on scanner calls to room systems; weak alone)',
    weight: 10,
    source: OPENH323_CISCO_SRC,
    detector: 'h323-cisco-caller-name',
    protocol: 'h323',
    methods: ['SETUP'],
  },
  {
    id: 'fp.h323.ip-only-destination',
    description:
      'SETUP names no destination but an IP address: no Called Party Number, no destination alias but transportIDs',
    weight: 15,
    source: IP_ONLY_SRC,
    detector: 'h323-ip-only-destination',
    protocol: 'h323',
    methods: ['SETUP'],
  },
];
