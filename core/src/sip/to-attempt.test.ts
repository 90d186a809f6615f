import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MAX_FIELD_LENGTH, SipAttemptSchema } from '../attempt.js';
import { GhostguardError } from '../errors.js';
import { parseSipMessage } from './message.js';
import { parseSipRequestAttempt, type SipAttemptContext, sipRequestToAttempt } from './to-attempt.js';

const fixture = (name: string) => readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url));
const crlf = (...lines: string[]) => lines.join('\r\n');
const ctx: SipAttemptContext = { source: { ip: '127.0.0.1', port: 5061 }, time: 1_700_000_000_000 };

function attemptOf(input: Uint8Array | string, context: SipAttemptContext = ctx) {
  const attempt = parseSipRequestAttempt(input, context);
  expect(SipAttemptSchema.safeParse(attempt).success).toBe(true);
  return attempt;
}

describe('sipRequestToAttempt on SIPVicious requests', () => {
  it('maps the svwar REGISTER probe, fingerprints included', () => {
    expect(attemptOf(fixture('svwar-register.sip'))).toEqual({
      protocol: 'sip',
      method: 'REGISTER',
      source: { ip: '127.0.0.1', port: 5061, transport: 'udp' },
      target: { host: '127.0.0.1' },
      caller: { user: '589659964', host: '127.0.0.1', display: '589659964' },
      userAgent: 'friendly-scanner',
      callId: '1265510921',
      time: 1_700_000_000_000,
      sip: {
        requestUri: 'sip:127.0.0.1',
        viaBranch: 'z9hG4bK-2100381865',
        viaSentBy: '127.0.0.1:5061',
        fromTag: '3538393635393936340134313830383231383334',
        fromUri: 'sip:589659964@127.0.0.1',
        toUri: 'sip:589659964@127.0.0.1',
        contact: 'sip:589659964@127.0.0.1',
        maxForwards: 70,
        cseq: { seq: 1, method: 'REGISTER' },
        hasBody: false,
      },
    });
  });

  it('maps the svmap OPTIONS: target from the Request-URI, the scanner name in the display', () => {
    const attempt = attemptOf(fixture('svmap-options.sip'));
    expect(attempt.method).toBe('OPTIONS');
    expect(attempt.target).toEqual({ user: '100', host: '127.0.0.1' });
    expect(attempt.caller).toEqual({ user: '100', host: '1.1.1.1', display: 'sipvicious' });
    expect(attempt.sip.toUri).toBe('sip:100@1.1.1.1');
    expect(attempt.sip.contact).toBe('sip:100@127.0.0.1:5061');
  });

  it('reads the digest username of an svcrack REGISTER', () => {
    const attempt = attemptOf(fixture('svcrack-register-auth.sip'));
    expect(attempt.sip.authUser).toBe('101');
    expect(attempt.sip.cseq).toEqual({ seq: 2, method: 'REGISTER' });
  });

  it('maps an svmap INVITE without body', () => {
    const attempt = attemptOf(fixture('svmap-invite.sip'));
    expect(attempt.method).toBe('INVITE');
    expect(attempt.sip.hasBody).toBe(false);
    expect(attempt.sip.sdpSessionName).toBeUndefined();
  });
});

describe('sipRequestToAttempt: media offer and asserted identities', () => {
  const invite = (...lines: string[]) =>
    crlf('INVITE sip:555@192.0.2.10 SIP/2.0', 'Via: SIP/2.0/UDP 203.0.113.5;branch=z9hG4bK1', ...lines);

  it('summarises the SDP offer of an INVITE', () => {
    expect(attemptOf(fixture('room-invite-sdp.sip')).media).toEqual({
      offered: true,
      kinds: ['audio'],
      codecs: ['pcmu'],
      bfcp: false,
      connectionAddresses: ['127.0.0.1'],
    });
  });

  it('reads an INVITE without a body as no offer (delayed offer)', () => {
    expect(attemptOf(fixture('svmap-invite.sip')).media).toEqual({
      offered: false,
      kinds: [],
      codecs: [],
      bfcp: false,
      connectionAddresses: [],
    });
  });

  it('leaves media unknown for a body that is not SDP, a body cut short, and requests other than INVITE', () => {
    const pidf = attemptOf(invite('Content-Type: application/pidf+xml', '', '<presence/>'));
    expect(pidf.sip.hasBody).toBe(true);
    expect(pidf).not.toHaveProperty('media');
    const cutShort = attemptOf(invite('Content-Type: application/sdp', 'Content-Length: 200', '', ''));
    expect(cutShort.sip.hasBody).toBe(false);
    expect(cutShort).not.toHaveProperty('media');
    expect(attemptOf(fixture('svwar-register.sip'))).not.toHaveProperty('media');
  });

  it('summarises SDP in other requests too (an OPTIONS or re-INVITE body)', () => {
    const options = attemptOf(
      crlf('OPTIONS sip:a@b SIP/2.0', 'Content-Type: application/sdp', '', 'v=0', 'm=video 4000 RTP/AVP 31', ''),
    );
    expect(options.media).toMatchObject({ offered: true, kinds: ['video'], codecs: ['h261'] });
  });

  it('takes the URI of the first P-Asserted-Identity and Remote-Party-ID value', () => {
    const attempt = attemptOf(
      invite(
        'P-Asserted-Identity: "Alice, Sales" <sip:alice@example.com>, <tel:+15551234567>',
        'P-Asserted-Identity: <sip:second@example.com>',
        'Remote-Party-ID: "1000" <sip:1000@192.0.2.10>;party=calling;screen=yes;privacy=off',
        '',
        '',
      ),
    );
    expect(attempt.sip.assertedIdentity).toBe('sip:alice@example.com');
    expect(attempt.sip.remotePartyId).toBe('sip:1000@192.0.2.10');
  });

  it('skips identity headers that do not parse, and cuts long ones to MAX_FIELD_LENGTH', () => {
    const broken = attemptOf(invite('P-Asserted-Identity: "unclosed <sip:a@b>', 'Remote-Party-ID: <sip:x@y', '', ''));
    expect(broken.sip).not.toHaveProperty('assertedIdentity');
    expect(broken.sip).not.toHaveProperty('remotePartyId');
    const long = attemptOf(invite(`P-Asserted-Identity: <sip:${'a'.repeat(2000)}@example.com>`, '', ''));
    expect(long.sip.assertedIdentity).toHaveLength(MAX_FIELD_LENGTH);
  });
});

describe('sipRequestToAttempt on other requests', () => {
  it('maps an INVITE with SDP: content type, body, session name', () => {
    const attempt = attemptOf(fixture('room-invite-sdp.sip'));
    expect(attempt.userAgent).toBe('TANDBERG/529 (ce9.15)');
    expect(attempt.caller).toEqual({ user: 'roomA', host: 'example.com', display: 'Room A' });
    expect(attempt.target).toEqual({ user: '555', host: '127.0.0.1' });
    expect(attempt.sip).toMatchObject({
      contentType: 'application/sdp',
      hasBody: true,
      sdpSessionName: '-',
      contact: '<sip:roomA@127.0.0.1:5099>',
    });
  });

  it('maps sipsak OPTIONS: a bracket-less From keeps its tag outside the URI', () => {
    const attempt = attemptOf(fixture('sipsak-options.sip'));
    expect(attempt.caller).toEqual({ user: 'sipsak', host: '127.0.0.1' });
    expect(attempt.sip.fromTag).toBe('8498728');
    expect(attempt.sip.fromUri).toBe('sip:sipsak@127.0.0.1:36486');
    expect(attempt.sip.viaBranch).toBe('z9hG4bK.30bbfa21');
  });

  it('maps compact headers, an IPv6 Request-URI, the topmost Via and Proxy-Authorization', () => {
    const attempt = attemptOf(
      crlf(
        'INVITE sip:2001@[2001:db8::10]:5060 SIP/2.0',
        'v: SIP/2.0/TCP [2001:db8::2]:5070;branch=z9hG4bK-top, SIP/2.0/UDP 10.0.0.9;branch=z9hG4bK-down',
        'f: Mallory <sip:m@evil.example>;tag=ff',
        't: <sip:2001@[2001:db8::10]>;tag=tt',
        'i: abc',
        'Proxy-Authorization: Digest username="2001", realm="x"',
        'c: application/sdp; charset=utf-8',
        'l: 0',
        '',
        '',
      ),
    );
    expect(attempt.target).toEqual({ user: '2001', host: '2001:db8::10' });
    expect(attempt.source.transport).toBe('tcp');
    expect(attempt.sip).toMatchObject({
      viaBranch: 'z9hG4bK-top',
      viaSentBy: '[2001:db8::2]:5070',
      toTag: 'tt',
      authUser: '2001',
      contentType: 'application/sdp',
      hasBody: false,
    });
    expect(attempt.caller.display).toBe('Mallory');
    expect(attempt.callId).toBe('abc');
  });

  it('lets the adapter transport win over the Via transport, and drops unknown Via transports', () => {
    const tls = attemptOf(fixture('svwar-register.sip'), { ...ctx, source: { ip: '::1', transport: 'tls' } });
    expect(tls.source).toEqual({ ip: '::1', transport: 'tls' });
    const odd = attemptOf(crlf('OPTIONS sip:a@b SIP/2.0', 'Via: SIP/2.0/TLS-SCTP h;branch=z9hG4bK1', '', ''));
    expect(odd.source.transport).toBeUndefined();
  });

  it('passes local address and adapter name through', () => {
    const attempt = attemptOf(fixture('svmap-options.sip'), {
      ...ctx,
      local: { ip: '127.0.0.1', port: 5060 },
      adapter: 'drachtio',
    });
    expect(attempt.local).toEqual({ ip: '127.0.0.1', port: 5060 });
    expect(attempt.adapter).toBe('drachtio');
  });

  it('maps a request that has none of the usual headers', () => {
    const attempt = attemptOf('OPTIONS tel:+4930123 SIP/2.0\r\n\r\n');
    expect(attempt.target).toEqual({ user: '+4930123' });
    expect(attempt.caller).toEqual({});
    expect(attempt.sip).toEqual({ requestUri: 'tel:+4930123', hasBody: false });
  });

  it('keeps a raw Content-Type that does not parse, and skips values that do not parse', () => {
    const attempt = attemptOf(
      crlf(
        'MESSAGE sip:a@b SIP/2.0',
        'Content-Type: garbage',
        'CSeq: x',
        'Max-Forwards: many',
        '',
        'v=0\r\ns=hidden\r\n',
      ),
    );
    expect(attempt.sip.contentType).toBe('garbage');
    expect(attempt.sip.cseq).toBeUndefined();
    expect(attempt.sip.maxForwards).toBeUndefined();
    expect(attempt.sip.sdpSessionName).toBe('hidden');
  });

  it('cuts every long field to MAX_FIELD_LENGTH without splitting a surrogate pair', () => {
    const long = 'a'.repeat(MAX_FIELD_LENGTH - 1) + '😀'.repeat(10);
    const attempt = attemptOf(
      crlf(
        `${'X'.repeat(40)} sip:${'u'.repeat(2000)}@h SIP/2.0`,
        `From: "${long}" <sip:${'f'.repeat(2000)}@h>;tag=${'t'.repeat(2000)}`,
        `User-Agent: ${long}`,
        `Call-ID: ${'c'.repeat(3000)}`,
        `CSeq: 1 ${'M'.repeat(100)}`,
        '',
        '',
      ),
    );
    expect(attempt.method).toHaveLength(32);
    expect(attempt.sip.cseq?.method).toHaveLength(32);
    expect(attempt.userAgent).toBe('a'.repeat(MAX_FIELD_LENGTH - 1));
    expect(attempt.caller.display).toBe('a'.repeat(MAX_FIELD_LENGTH - 1));
    for (const value of [attempt.target.user, attempt.caller.user, attempt.callId, attempt.sip.fromTag]) {
      expect(value).toHaveLength(MAX_FIELD_LENGTH);
    }
    expect(attempt.sip.requestUri).toHaveLength(MAX_FIELD_LENGTH);
  });

  it('throws GG_SIP_PARSE for a response', () => {
    const response = parseSipMessage(fixture('kamailio-404-response.sip'));
    expect(() => sipRequestToAttempt(response, ctx)).toThrow(GhostguardError);
    expect(() => sipRequestToAttempt(response, ctx)).toThrow('not a request');
    try {
      parseSipRequestAttempt(fixture('kamailio-404-response.sip'), ctx);
      expect.unreachable();
    } catch (err) {
      expect((err as GhostguardError).code).toBe('GG_SIP_PARSE');
    }
  });
});

describe('sipRequestToAttempt: what the parser skipped (issue 13)', () => {
  const svmap = () => fixture('svmap-invite.sip').toString('latin1');

  it('sets no anomalies for a clean request', () => {
    for (const name of ['svwar-register.sip', 'svmap-invite.sip', 'room-invite-sdp.sip', 'sipsak-options.sip']) {
      expect(attemptOf(fixture(name))).not.toHaveProperty('anomalies');
    }
  });

  it("copies the parser's anomalies", () => {
    const padded = svmap().replace('\r\nUser-Agent:', `\r\nX-Pad: a\0b\r\nX-Long: ${'p'.repeat(9000)}\r\nUser-Agent:`);
    const attempt = attemptOf(padded);
    expect(attempt.anomalies).toEqual(['NUL in header line 6 skipped', 'header line of 9008 bytes skipped (X-Long)']);
    expect(attempt.userAgent).toBe('friendly-scanner');
  });

  it('joins every User-Agent, so a benign one put first cannot hide the scanner, and notes it', () => {
    const before = attemptOf(svmap().replace('\r\nUser-Agent:', '\r\nUser-Agent: Cisco/CE9\r\nUser-Agent:'));
    expect(before.userAgent).toBe('Cisco/CE9 | friendly-scanner');
    expect(before.anomalies).toEqual(['2 User-Agent header fields']);
    const after = attemptOf(svmap().replace('\r\nCall-ID:', '\r\nuser-agent: Cisco/CE9\r\nCall-ID:'));
    expect(after.userAgent).toBe('friendly-scanner | Cisco/CE9');
    const many = attemptOf(
      svmap().replace('\r\nCall-ID:', `${`\r\nUser-Agent: ${'u'.repeat(300)}`.repeat(5)}\r\nCall-ID:`),
    );
    expect(many.userAgent).toHaveLength(MAX_FIELD_LENGTH);
    expect(many.userAgent?.startsWith('friendly-scanner | uuu')).toBe(true);
    expect(many.anomalies).toEqual(['6 User-Agent header fields']);
  });

  it('notes a repeated single-valued field the rules read (the rules read the first)', () => {
    const attempt = attemptOf(svmap().replace('\r\nFrom:', '\r\nf: "Room" <sip:room@example.com>;tag=1\r\nFrom:'));
    expect(attempt.caller.display).toBe('Room');
    expect(attempt.anomalies).toEqual(['2 From header fields']);
  });

  it('keeps the anomaly list within the schema (8 texts of at most 200 characters), for a hand-built message too', () => {
    const msg = parseSipMessage(svmap());
    const hostile = { ...msg, anomalies: [...Array.from({ length: 20 }, (_, i) => `${i}${'x'.repeat(500)}`), '', 7] };
    const attempt = sipRequestToAttempt(hostile as never, ctx);
    expect(attempt.anomalies).toHaveLength(8);
    for (const a of attempt.anomalies ?? []) expect(a.length).toBeLessThanOrEqual(200);
    expect(SipAttemptSchema.safeParse(attempt).success).toBe(true);
    const bare = { ...msg, anomalies: undefined };
    expect(sipRequestToAttempt(bare as never, ctx)).not.toHaveProperty('anomalies');
  });
});
