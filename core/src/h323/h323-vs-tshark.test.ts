import { describe, expect, it } from 'vitest';
import {
  ethernetFrame,
  ipv4Packet,
  ipv6Packet,
  pcapFile,
  TcpFlag,
  tcpSegment,
} from '../capture/test-support/capture-builder.js';
import { tsharkFields, withTempFile } from '../capture/test-support/tshark.js';
import { decodeH323UserInformation } from './h225-decode.js';
import type { H225Alias, H225TransportAddress, H225UserInformation, H225Vendor } from './h225-types.js';
import { encodeAlerting, encodeCallProceeding, encodeReleaseComplete, encodeSetup } from './messages.js';
import { decodeQ931, type Q931Message } from './q931.js';
import { recordedOoh323Messages } from './test-support/ooh323-call.js';
import { ALL_KINDS_SETUP } from './test-support/setup-specs.js';

/**
 * Cross-check against a decoder no one here wrote: every message is written to a pcap, dissected by the
 * system tshark (Wireshark's Q.931 and H.225.0 PER dissectors), and tshark's fields are compared with
 * what decodeQ931 + decodeH323UserInformation read, field by field.
 */

interface Sample {
  label: string;
  /** A whole TPKT frame. */
  frame: Uint8Array;
  /** true: sent to port 1720 (SETUP); false: sent from it (replies). */
  toCalled: boolean;
  ipv6?: boolean;
}

const recorded = recordedOoh323Messages();
const callId = '6f6f68333233632df438a917c83f003c';

const SAMPLES: Sample[] = [
  ...recorded.map((m, i) => ({ label: `recorded chan_ooh323 message ${i}`, frame: m.frame, toCalled: m.toCalled })),
  { label: 'Metasploit h323_version SETUP', frame: encodeSetup({ shape: 'metasploit-h323-version' }), toCalled: true },
  { label: 'Polycom-like room SETUP', frame: encodeSetup({ shape: 'room' }), toCalled: true },
  { label: 'toll-fraud dialledDigits SETUP', frame: encodeSetup({ shape: 'toll-fraud' }), toCalled: true },
  { label: 'IP-only destination SETUP', frame: encodeSetup({ shape: 'ip-only-destination' }), toCalled: true },
  { label: 'IPv6 transport addresses SETUP', frame: encodeSetup({ shape: 'ipv6' }), toCalled: true, ipv6: true },
  { label: 'OpenH323 "Cisco" SETUP', frame: encodeSetup({ shape: 'cisco-openh323' }), toCalled: true },
  { label: 'every alias kind SETUP', frame: encodeSetup(ALL_KINDS_SETUP), toCalled: true },
  {
    label: 'encodeCallProceeding',
    frame: encodeCallProceeding(0x2b, { callIdentifier: callId, h245Tunnelling: true }),
    toCalled: false,
  },
  {
    label: 'encodeAlerting (v6, mcu with vendor)',
    frame: encodeAlerting(0x733f, {
      protocolVersion: 6,
      endpointType: 'mcu',
      vendor: { t35CountryCode: 9, manufacturerCode: 61, productId: 'ghostguard', versionId: '0.1.0' },
      display: 'Room',
    }),
    toCalled: false,
  },
  { label: 'encodeReleaseComplete default', frame: encodeReleaseComplete(0x2b), toCalled: false },
  {
    label: 'encodeReleaseComplete undefinedReason/16',
    frame: encodeReleaseComplete(1, { reason: 'undefinedReason', cause: 16, callIdentifier: callId }),
    toCalled: false,
  },
  {
    label: 'encodeReleaseComplete securityDenied/17 (extension alternative)',
    frame: encodeReleaseComplete(0x7fff, { reason: 'securityDenied', cause: 17, protocolVersion: 2 }),
    toCalled: false,
  },
];

/** Each message in its own TCP segment (own port pair), IPv4 or IPv6. */
function capture(samples: readonly Sample[]): Uint8Array {
  const records = samples.map((s, i) => {
    const client = 40_000 + i;
    const segment = tcpSegment({
      srcPort: s.toCalled ? client : 1720,
      dstPort: s.toCalled ? 1720 : client,
      seq: 1,
      ack: 1,
      flags: TcpFlag.PSH | TcpFlag.ACK,
      payload: s.frame,
    });
    const [a, b] = s.ipv6 ? ['2001:db8:1::30', '2001:db8::10'] : ['198.51.100.30', '203.0.113.10'];
    const [src, dst] = s.toCalled ? [a, b] : [b, a];
    const ip = s.ipv6
      ? ipv6Packet({ src, dst, protocol: 6, payload: segment })
      : ipv4Packet({ src, dst, protocol: 6, payload: segment });
    return { seconds: 1_700_000_000 + i, fraction: 0, data: ethernetFrame(ip) };
  });
  return pcapFile({ littleEndian: true, linkType: 1, records });
}

const BODY_INDEX: Record<string, number> = {
  setup: 0,
  callProceeding: 1,
  connect: 2,
  alerting: 3,
  information: 4,
  releaseComplete: 5,
  facility: 6,
  progress: 7,
  empty: 8,
  status: 9,
  statusInquiry: 10,
  setupAcknowledge: 11,
  notify: 12,
};
const RELEASE = [
  'noBandwidth',
  'gatekeeperResources',
  'unreachableDestination',
  'destinationRejection',
  'invalidRevision',
  'noPermission',
  'unreachableGatekeeper',
  'gatewayResources',
  'badFormatAddress',
  'adaptiveBusy',
  'inConf',
  'undefinedReason',
  'facilityCallDeflection',
  'securityDenied',
];
const FACILITY = ['routeCallToGatekeeper', 'callForwarded', 'routeCallToMC', 'undefinedReason'].concat([
  'conferenceListChoice',
  'startH245',
  'noH245',
  'newTokens',
  'featureSetUpdate',
  'forwardedElements',
  'transportedInformation',
]);
const GOALS = ['create', 'join', 'invite', 'capability-negotiation', 'callIndependentSupplementaryService'];
const CALL_TYPES = ['pointToPoint', 'oneToN', 'nToOne', 'nToN'];

const hex2 = (n: number) => `0x${n.toString(16).padStart(2, '0')}`;
const bool = (b: boolean | undefined) => (b === undefined ? '' : b ? '1' : '0');
const opt = (v: string | number | undefined) => (v === undefined ? '' : String(v));
const list = (xs: readonly (string | number)[]) => xs.join(',');

/** "ip:port" / "[ip6]:port" alias text back to a transport address. */
function transportOfAlias(a: H225Alias): H225TransportAddress {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(a.value)!;
  const ip = m[1]!;
  return { kind: ip.includes(':') ? 'ip6Address' : 'ipAddress', ip, port: Number(m[2]) };
}

/** What tshark's `-T fields` prints for each field, computed from our decoders' output. */
function ourFields(q: Q931Message, u: H225UserInformation | undefined): Record<string, string> {
  const s = u?.setup;
  const aliases = [
    ...(s?.sourceAddress?.aliases ?? []),
    ...(s?.destinationAddress?.aliases ?? []),
    ...(u?.respondingAddress?.aliases ?? []),
  ];
  const ofType = (t: H225Alias['type']) => list(aliases.filter((a) => a.type === t).map((a) => a.value));
  // Transport addresses in message order: alias transportIDs, destCallSignalAddress, sourceCallSignalAddress.
  const transports: H225TransportAddress[] = [
    ...aliases.filter((a) => a.type === 'transportID').map(transportOfAlias),
    ...(s?.destCallSignalAddress ? [s.destCallSignalAddress] : []),
    ...(s?.sourceCallSignalAddress ? [s.sourceCallSignalAddress] : []),
  ];
  const v4 = transports.filter((t) => t.kind === 'ipAddress');
  const v6 = transports.filter((t) => t.kind === 'ip6Address');
  const endpoint = s?.sourceInfo ?? u?.destinationInfo;
  const vendor: H225Vendor | undefined = endpoint?.vendor;
  const bc = q.bearerCapability;
  return {
    'q931.call_ref': q.callReference.toString(16).padStart(q.callReferenceLength * 2, '0'),
    'q931.call_ref_flag': bool(q.callReferenceFlag),
    'q931.message_type': hex2(q.messageType),
    'q931.display_information': opt(q.display),
    'q931.called_party_number.digits': opt(q.calledPartyNumber?.digits),
    'q931.calling_party_number.digits': opt(q.callingPartyNumber?.digits),
    'q931.number_type': list(
      [q.callingPartyNumber, q.calledPartyNumber].flatMap((n) => (n ? [hex2(n.numberType)] : [])),
    ),
    'q931.cause_value': opt(q.cause?.value),
    'q931.cause_location': opt(q.cause?.location),
    'q931.information_transfer_capability': bc ? hex2(bc.informationTransferCapability) : '',
    'q931.information_transfer_rate': bc?.transferRate === undefined ? '' : hex2(bc.transferRate),
    'q931.uil1': bc?.layer1Protocol === undefined ? '' : hex2(bc.layer1Protocol),
    'q931.user.protocol_discriminator': q.userUser ? hex2(q.userUser.protocolDiscriminator) : '',
    'h225.h323_message_body': u ? String(BODY_INDEX[u.body]) : '',
    'h225.protocolIdentifier': opt(u?.protocolIdentifier),
    'h225.sourceAddress': opt(s?.sourceAddress?.count),
    'h225.destinationAddress': opt(s?.destinationAddress?.count),
    'h225.h323_ID': ofType('h323-ID'),
    'h225.dialledDigits': ofType('dialedDigits'),
    'h225.url_ID': ofType('url-ID'),
    'h225.email_ID': ofType('email-ID'),
    'h225.publicNumberDigits': ofType('partyNumber'),
    'h225.t35CountryCode': opt(vendor?.t35CountryCode),
    'h225.t35Extension': opt(vendor?.t35Extension),
    'h225.manufacturerCode': opt(vendor?.manufacturerCode),
    'h225.productId': opt(vendor?.productId),
    'h225.versionId': opt(vendor?.versionId),
    'h225.terminal_element': endpoint?.terminal ? '1' : '',
    'h225.gateway_element': endpoint?.gateway ? '1' : '',
    'h225.mcu_element': endpoint?.mcu ? '1' : '',
    'h225.mc': bool(endpoint?.mc),
    'h225.undefinedNode': bool(endpoint?.undefinedNode),
    'h225.h245Ip': s?.h245Address?.kind === 'ipAddress' ? opt(s.h245Address.ip) : '',
    'h225.h245IpPort': s?.h245Address?.kind === 'ipAddress' ? opt(s.h245Address.port) : '',
    'h225.ipV4': list(v4.map((t) => t.ip!)),
    'h225.ipV4_port': list(v4.map((t) => t.port!)),
    'h225.ipV6': list(v6.map((t) => t.ip!)),
    'h225.ipV6_port': list(v6.map((t) => t.port!)),
    'h225.activeMC': bool(s?.activeMC),
    'h225.conferenceID': opt(s?.conferenceId ?? u?.conferenceId),
    'h225.conferenceGoal': s ? String(GOALS.indexOf(s.conferenceGoal)) : '',
    'h225.callType': s ? String(CALL_TYPES.indexOf(s.callType)) : '',
    'h225.guid': opt(u?.callIdentifier),
    'h225.fastStart': opt((s?.fastStart ?? u?.fastStart)?.count),
    'h225.mediaWaitForConnect': bool(s?.mediaWaitForConnect),
    'h225.canOverlapSend': bool(s?.canOverlapSend),
    'h225.multipleCalls': bool(s?.multipleCalls ?? u?.multipleCalls),
    'h225.maintainConnection': bool(s?.maintainConnection ?? u?.maintainConnection),
    'h225.h245Tunnelling': bool(u?.h245Tunnelling),
    'h225.reason':
      u?.releaseReason !== undefined
        ? String(RELEASE.indexOf(u.releaseReason))
        : u?.facilityReason !== undefined
          ? String(FACILITY.indexOf(u.facilityReason))
          : '',
  };
}

/** tshark prints GUIDs with dashes; the rest as is. */
function normalise(field: string, value: string): string {
  return field === 'h225.conferenceID' || field === 'h225.guid' ? value.replace(/-/g, '') : value;
}

describe('H.323 decoders vs tshark', () => {
  const decoded = SAMPLES.map((s) => {
    const q = decodeQ931(s.frame.subarray(4));
    const u = q.userUser ? decodeH323UserInformation(q.userUser.data) : undefined;
    return { q, u, ours: ourFields(q, u) };
  });
  const fields = Object.keys(decoded[0]!.ours);
  const rows = withTempFile('h323.pcap', capture(SAMPLES), (file) =>
    tsharkFields(file, ['frame.number', '_ws.malformed', 'h225.FastStart_item', ...fields]),
  );

  it('tshark dissects every message, without a malformed packet', () => {
    expect(rows).toHaveLength(SAMPLES.length);
    for (const [i, row] of rows.entries()) expect(row[1], SAMPLES[i]!.label).toBe('');
  });

  for (const [i, sample] of SAMPLES.entries()) {
    it(`agrees field by field on the ${sample.label}`, () => {
      const row = rows[i]!;
      const { ours, u } = decoded[i]!;
      const theirs: Record<string, string> = {};
      fields.forEach((f, k) => {
        theirs[f] = normalise(f, row[k + 3] ?? '');
      });
      expect(ours).toEqual(theirs);
      // fastStart proposals: tshark lists each one's length, we keep their total.
      const items = (row[2] ?? '').split(',').filter((x) => x !== '');
      expect((u?.setup?.fastStart ?? u?.fastStart)?.octets ?? 0).toBe(items.reduce((n, x) => n + Number(x), 0));
    });
  }

  it('compares a meaningful set of fields on every sample', () => {
    // Count the fields where tshark printed a value: the comparison must not pass on empty strings alone.
    const filled = rows.map((row) => row.slice(3).filter((v) => v !== '').length);
    expect(Math.min(...filled)).toBeGreaterThanOrEqual(6);
    expect(filled.reduce((n, x) => n + x, 0)).toBeGreaterThan(400);
  });
});
