import {
  decodeAlias,
  decodeAliasList,
  decodeCallIdentifier,
  decodeEndpointType,
  decodeOid,
  decodeTransportAddress,
  field,
  protocolVersionOf,
  skipNonStandardParameter,
  skipQseriesOptions,
} from './h225-common.js';
import {
  H225_MAX_FASTSTART_TEXT,
  type H225CallType,
  type H225ConferenceGoal,
  type H225EndpointType,
  type H225FastStart,
  type H225MessageBodyName,
  type H225SetupUuie,
  type H225UserInformation,
  RELEASE_REASON_EXTENSIONS,
  RELEASE_REASON_ROOT,
} from './h225-types.js';
import { PerReader } from './per-reader.js';
import { latin1Text } from './text.js';

/**
 * H.225.0 H323-UserInformation, ASN.1 PER aligned (the User-User IE of every call-signalling message).
 * The Setup-UUIE is decoded in full up to the fields ghostguard reads; the other bodies as far as their
 * root goes, so the H323-UU-PDU's h245Tunnelling after them is reachable too.
 */

const ROOT_BODIES: readonly H225MessageBodyName[] = [
  'setup',
  'callProceeding',
  'connect',
  'alerting',
  'information',
  'releaseComplete',
  'facility',
];
const EXTENSION_BODIES: readonly H225MessageBodyName[] = [
  'progress',
  'empty',
  'status',
  'statusInquiry',
  'setupAcknowledge',
  'notify',
];

const SETUP_EXTENSION_NAMES = [
  'sourceCallSignalAddress',
  'remoteExtensionAddress',
  'callIdentifier',
  'h245SecurityCapability',
  'tokens',
  'cryptoTokens',
  'fastStart',
  'mediaWaitForConnect',
  'canOverlapSend',
  'endpointIdentifier',
  'multipleCalls',
  'maintainConnection',
];

/**
 * Decodes H323-UserInformation from `bytes` (the User-User IE contents after its protocol discriminator).
 * Throws GhostguardError('GG_H323_DECODE') naming the field path, with the byte offset where decoding stopped.
 */
export function decodeH323UserInformation(bytes: Uint8Array): H225UserInformation {
  return decodeUserInformationAt(bytes, 0, bytes.length);
}

/** Same, for bytes[start, end) of a larger buffer: error offsets are then offsets in that buffer. */
/** One reader for every decode: decoding is synchronous, and the reader is reset first and released after. */
const reader = new PerReader();

/**
 * `forAttempt`: the caller only maps the result to a CallAttempt (decodeSetupAttempt), so fields no
 * attempt carries are checked and skipped, not converted: the Setup-UUIE's conferenceId is left ''. And
 * where decoding stops, a PerDecodeStop is thrown instead of a GhostguardError (no stack trace taken).
 */
export function decodeUserInformationAt(
  buf: Uint8Array,
  start: number,
  end: number,
  forAttempt = false,
): H225UserInformation {
  const r: PerReader = reader.reset(buf, start, end);
  skipUnread = forAttempt;
  r.quiet = forAttempt;
  try {
    return decodeWith(r);
  } finally {
    skipUnread = false;
    r.quiet = false;
    r.release();
  }
}

/** Set for the duration of one decodeUserInformationAt(…, forAttempt = true). */
let skipUnread = false;

function decodeWith(r: PerReader): H225UserInformation {
  r.enter('H323-UserInformation');
  const outerExt = r.bit(); // extension bit of H323-UserInformation: nothing after h323-uu-pdu is read
  const hasUserData = r.bool();
  r.enter('h323-uu-pdu');
  const pduExt = r.bit();
  const hasNsd = r.bit();
  r.enter('h323-message-body');
  // Every field set (undefined until read): one object shape for every message.
  const info: H225UserInformation = {
    body: 'unknown',
    setup: undefined,
    protocolIdentifier: undefined,
    protocolVersion: undefined,
    callIdentifier: undefined,
    releaseReason: undefined,
    facilityReason: undefined,
    destinationInfo: undefined,
    conferenceId: undefined,
    respondingAddress: undefined,
    fastStart: undefined,
    multipleCalls: undefined,
    maintainConnection: undefined,
    h245Tunnelling: undefined,
    hasUserData,
    unreadOctets: 0,
  };
  if (r.bit()) {
    const alt = r.smallNumber();
    const body: H225MessageBodyName = EXTENSION_BODIES[alt] ?? 'unknown';
    info.body = body;
    r.enter(body);
    const saved = r.openTypeBegin();
    decodeExtensionBody(r, info);
    r.openTypeEnd(saved);
    r.leave();
  } else {
    const alt = r.bits(3);
    const body = ROOT_BODIES[alt];
    if (body === undefined) r.fail(`alternative ${alt} does not exist`);
    info.body = body;
    r.enter(body);
    decodeRootBody(r, info);
    r.leave();
  }
  r.leave();
  if (hasNsd) field(r, 'nonStandardData', skipNonStandardParameter);
  if (pduExt) {
    const n = r.extensionBitmap();
    const bitmap = r.pos - n;
    for (let i = 0; i < n; i++) {
      if (!r.presentAt(bitmap, i)) continue;
      if (i === 1) {
        r.enter('h245Tunnelling');
        info.h245Tunnelling = openBool(r);
        r.leave();
      } else {
        r.skipOpenType();
      }
    }
  }
  // Nothing announced after h323-uu-pdu: what is left past the last octet's padding was not read.
  if (outerExt === 0 && !hasUserData) info.unreadOctets = (r.end - r.pos) >>> 3;
  return info;
}

/** A BOOLEAN extension addition: its open type holds one bit. */
function openBool(r: PerReader): boolean {
  const saved = r.openTypeBegin();
  const v = r.bool();
  r.openTypeEnd(saved);
  return v;
}

function readBool(r: PerReader): boolean {
  return r.bool();
}

/** Decodes an extension addition (an open type) named `name`; the open type's length bounds it. */
function openField<T>(r: PerReader, name: string, decode: (r: PerReader) => T): T {
  r.enter(name);
  const saved = r.openTypeBegin();
  const v = decode(r);
  r.openTypeEnd(saved);
  r.leave();
  return v;
}

function protocolIdentifier(r: PerReader, info: H225UserInformation): void {
  const oid = field(r, 'protocolIdentifier', decodeOid);
  info.protocolIdentifier = oid;
  const v = protocolVersionOf(oid);
  if (v !== undefined) info.protocolVersion = v;
}

/** Where a body's extension additions that are kept sit (callIdentifier is addition 0 in every body but Setup). */
interface BodyAdditions {
  fastStart?: number;
  multipleCalls?: number;
  maintainConnection?: number;
  respondingAddress?: number;
}

const ADDITIONS: Partial<Record<H225MessageBodyName, BodyAdditions>> = {
  callProceeding: { fastStart: 4, multipleCalls: 5, maintainConnection: 6 },
  alerting: { fastStart: 4, multipleCalls: 5, maintainConnection: 6, respondingAddress: 7 },
  connect: { fastStart: 4, multipleCalls: 5, maintainConnection: 6, respondingAddress: 8 },
  information: { fastStart: 3 },
  releaseComplete: {},
  facility: { fastStart: 7, multipleCalls: 8, maintainConnection: 9 },
};

/** Reads a body's extension additions: callIdentifier, fastStart, the two flags, the answering aliases; skips the rest. */
function bodyExtensions(r: PerReader, info: H225UserInformation): void {
  const at = ADDITIONS[info.body] ?? {};
  const n = r.extensionBitmap();
  const bitmap = r.pos - n;
  for (let i = 0; i < n; i++) {
    if (!r.presentAt(bitmap, i)) continue;
    if (i === 0) {
      info.callIdentifier = openField(r, 'callIdentifier', decodeCallIdentifier);
    } else if (i === at.fastStart) {
      info.fastStart = openField(r, 'fastStart', decodeFastStart);
    } else if (i === at.multipleCalls) {
      info.multipleCalls = openField(r, 'multipleCalls', readBool);
    } else if (i === at.maintainConnection) {
      info.maintainConnection = openField(r, 'maintainConnection', readBool);
    } else if (i === at.respondingAddress) {
      const name = info.body === 'alerting' ? 'alertingAddress' : 'connectedAddress';
      info.respondingAddress = openField(r, name, decodeAliasList);
    } else {
      r.skipOpenType();
    }
  }
}

function decodeRootBody(r: PerReader, info: H225UserInformation): void {
  switch (info.body) {
    case 'setup': {
      const setup = decodeSetupUuie(r);
      info.setup = setup;
      info.protocolIdentifier = setup.protocolIdentifier;
      if (setup.protocolVersion !== undefined) info.protocolVersion = setup.protocolVersion;
      if (setup.callIdentifier !== undefined) info.callIdentifier = setup.callIdentifier;
      return;
    }
    case 'callProceeding':
    case 'alerting': {
      const ext = r.bit();
      const hasH245 = r.bit();
      protocolIdentifier(r, info);
      info.destinationInfo = field(r, 'destinationInfo', decodeEndpointType);
      if (hasH245) field(r, 'h245Address', decodeTransportAddress);
      if (ext) bodyExtensions(r, info);
      return;
    }
    case 'connect': {
      const ext = r.bit();
      const hasH245 = r.bit();
      protocolIdentifier(r, info);
      if (hasH245) field(r, 'h245Address', decodeTransportAddress);
      info.destinationInfo = field(r, 'destinationInfo', decodeEndpointType);
      info.conferenceId = field(r, 'conferenceID', conferenceId);
      if (ext) bodyExtensions(r, info);
      return;
    }
    case 'information': {
      const ext = r.bit();
      protocolIdentifier(r, info);
      if (ext) bodyExtensions(r, info);
      return;
    }
    case 'releaseComplete': {
      const ext = r.bit();
      const hasReason = r.bit();
      protocolIdentifier(r, info);
      if (hasReason) info.releaseReason = field(r, 'reason', releaseReason);
      if (ext) bodyExtensions(r, info);
      return;
    }
    case 'facility': {
      const ext = r.bit();
      const opt = r.bits(3);
      protocolIdentifier(r, info);
      if (opt & 4) field(r, 'alternativeAddress', decodeTransportAddress);
      if (opt & 2) field(r, 'alternativeAliasAddress', decodeAliasList);
      if (opt & 1) field(r, 'conferenceID', conferenceId);
      info.facilityReason = field(r, 'reason', facilityReason);
      if (ext) bodyExtensions(r, info);
      return;
    }
    default:
      return;
  }
}

/** Bodies carried as an open type: decoded up to callIdentifier; the open type's length bounds the rest. */
function decodeExtensionBody(r: PerReader, info: H225UserInformation): void {
  switch (info.body) {
    case 'progress': {
      r.bit();
      const opt = r.bits(5);
      protocolIdentifier(r, info);
      info.destinationInfo = field(r, 'destinationInfo', decodeEndpointType);
      if (opt & 16) field(r, 'h245Address', decodeTransportAddress);
      info.callIdentifier = field(r, 'callIdentifier', decodeCallIdentifier);
      return;
    }
    case 'status':
    case 'statusInquiry':
    case 'setupAcknowledge':
    case 'notify':
      r.bit();
      r.bits(2);
      protocolIdentifier(r, info);
      info.callIdentifier = field(r, 'callIdentifier', decodeCallIdentifier);
      return;
    default:
      return;
  }
}

function conferenceId(r: PerReader): string {
  return r.hex(r.octetsAt(16), 16);
}

function releaseReason(r: PerReader): string {
  if (r.bit()) {
    const alt = r.smallNumber();
    r.skipOpenType();
    return RELEASE_REASON_EXTENSIONS[alt] ?? 'unknown';
  }
  const alt = r.bits(4);
  const name = RELEASE_REASON_ROOT[alt];
  if (name === undefined) r.fail(`alternative ${alt} does not exist`);
  return name;
}

const FACILITY_REASONS = ['routeCallToGatekeeper', 'callForwarded', 'routeCallToMC', 'undefinedReason'];
const FACILITY_REASON_EXTENSIONS = [
  'conferenceListChoice',
  'startH245',
  'noH245',
  'newTokens',
  'featureSetUpdate',
  'forwardedElements',
  'transportedInformation',
];

function facilityReason(r: PerReader): string {
  if (r.bit()) {
    const alt = r.smallNumber();
    r.skipOpenType();
    return FACILITY_REASON_EXTENSIONS[alt] ?? 'unknown';
  }
  return FACILITY_REASONS[r.bits(2)]!;
}

const GOALS: readonly H225ConferenceGoal[] = ['create', 'join', 'invite'];
const GOAL_EXTENSIONS: readonly H225ConferenceGoal[] = [
  'capability-negotiation',
  'callIndependentSupplementaryService',
];

function conferenceGoal(r: PerReader): H225ConferenceGoal {
  if (r.bit()) {
    const alt = r.smallNumber();
    r.skipOpenType();
    return GOAL_EXTENSIONS[alt] ?? 'extension';
  }
  const goal = GOALS[r.bits(2)];
  if (goal === undefined) r.fail('alternative 3 does not exist');
  return goal;
}

const CALL_TYPES: readonly H225CallType[] = ['pointToPoint', 'oneToN', 'nToOne', 'nToN'];

function callType(r: PerReader): H225CallType {
  if (r.bit()) {
    r.smallNumber();
    r.skipOpenType();
    return 'extension';
  }
  return CALL_TYPES[r.bits(2)]!;
}

function destExtraCrv(r: PerReader): void {
  const n = r.length();
  for (let i = 0; i < n; i++) r.u16();
}

export function decodeSetupUuie(r: PerReader): H225SetupUuie {
  const ext = r.bit();
  // h245Address, sourceAddress, destinationAddress, destCallSignalAddress, destExtraCallInfo, destExtraCRV, callServices
  const opt = r.bits(7);
  r.enter('protocolIdentifier');
  const oid = decodeOid(r);
  r.leave();
  // Every field is set (undefined when absent): one object shape for every SETUP.
  const setup: H225SetupUuie = {
    protocolIdentifier: oid,
    protocolVersion: protocolVersionOf(oid),
    h245Address: undefined,
    sourceAddress: undefined,
    sourceInfo: EMPTY_ENDPOINT,
    destinationAddress: undefined,
    destCallSignalAddress: undefined,
    destExtraCallInfo: undefined,
    activeMC: false,
    conferenceId: '',
    conferenceGoal: 'create',
    callType: 'pointToPoint',
    sourceCallSignalAddress: undefined,
    remoteExtensionAddress: undefined,
    callIdentifier: undefined,
    fastStart: undefined,
    mediaWaitForConnect: undefined,
    canOverlapSend: undefined,
    multipleCalls: undefined,
    maintainConnection: undefined,
    extensions: NO_EXTENSIONS,
  };
  if (opt & 64) {
    r.enter('h245Address');
    setup.h245Address = decodeTransportAddress(r);
    r.leave();
  }
  if (opt & 32) {
    r.enter('sourceAddress');
    setup.sourceAddress = decodeAliasList(r);
    r.leave();
  }
  r.enter('sourceInfo');
  setup.sourceInfo = decodeEndpointType(r);
  r.leave();
  if (opt & 16) {
    r.enter('destinationAddress');
    setup.destinationAddress = decodeAliasList(r);
    r.leave();
  }
  if (opt & 8) {
    r.enter('destCallSignalAddress');
    setup.destCallSignalAddress = decodeTransportAddress(r);
    r.leave();
  }
  if (opt & 4) setup.destExtraCallInfo = field(r, 'destExtraCallInfo', decodeAliasList);
  if (opt & 2) field(r, 'destExtraCRV', destExtraCrv);
  setup.activeMC = r.bool();
  r.enter('conferenceID');
  if (skipUnread) r.octetsAt(16);
  else setup.conferenceId = conferenceId(r);
  r.leave();
  r.enter('conferenceGoal');
  setup.conferenceGoal = conferenceGoal(r);
  r.leave();
  if (opt & 1) field(r, 'callServices', skipQseriesOptions);
  r.enter('callType');
  setup.callType = callType(r);
  r.leave();
  if (ext) setupExtensions(r, setup);
  return setup;
}

const NO_EXTENSIONS: readonly number[] = Object.freeze([]);

const EMPTY_ENDPOINT: H225EndpointType = Object.freeze({
  vendor: undefined,
  nonStandardData: false,
  gatekeeper: false,
  gateway: false,
  mcu: false,
  terminal: false,
  mc: false,
  undefinedNode: false,
});

function setupExtensions(r: PerReader, setup: H225SetupUuie): void {
  const n = r.extensionBitmap();
  const bitmap = r.pos - n;
  // The list of present additions is for readers of the UUIE; an attempt does not carry it.
  if (!skipUnread) setup.extensions = presentList(r, bitmap, n);
  for (let i = 0; i < n; i++) {
    if (!r.presentAt(bitmap, i)) continue;
    const name = SETUP_EXTENSION_NAMES[i];
    if (name === undefined) {
      r.skipOpenType();
      continue;
    }
    r.enter(name);
    const saved = r.openTypeBegin();
    switch (i) {
      case 0:
        setup.sourceCallSignalAddress = decodeTransportAddress(r);
        break;
      case 1:
        setup.remoteExtensionAddress = decodeAlias(r);
        break;
      case 2:
        setup.callIdentifier = decodeCallIdentifier(r);
        break;
      case 6:
        setup.fastStart = decodeFastStart(r);
        break;
      case 7:
        setup.mediaWaitForConnect = r.bool();
        break;
      case 8:
        setup.canOverlapSend = r.bool();
        break;
      case 10:
        setup.multipleCalls = r.bool();
        break;
      case 11:
        setup.maintainConnection = r.bool();
        break;
      default:
        break;
    }
    r.openTypeEnd(saved);
    r.leave();
  }
}

function presentList(r: PerReader, bitmap: number, n: number): number[] {
  const list: number[] = [];
  for (let i = 0; i < n; i++) if (r.presentAt(bitmap, i)) list.push(i);
  return list;
}

const MAX_TEXT_RUN = 64;
const MIN_TEXT_RUN = 5;

/** fastStart: SEQUENCE OF OCTET STRING, each an H.245 OpenLogicalChannel kept opaque. */
function decodeFastStart(r: PerReader): H225FastStart {
  const count = r.length();
  const fs: H225FastStart = { count, octets: 0, text: [] };
  for (let i = 0; i < count; i++) {
    const n = r.length();
    const at = r.octetsAt(n);
    fs.octets += n;
    if (fs.text.length < H225_MAX_FASTSTART_TEXT) collectText(r.buf, at, at + n, fs.text);
  }
  return fs;
}

function isLetter(b: number): boolean {
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x7a;
}

function isAlnum(b: number): boolean {
  return (b >= 0x30 && b <= 0x39) || isLetter(b);
}

function isPrintable(b: number): boolean {
  return b >= 0x20 && b <= 0x7e;
}

/**
 * Printable runs of >= MIN_TEXT_RUN chars holding a letter (non-standard codec names), distinct, bounded.
 * Any such run covers one of every MIN_TEXT_RUN-th byte, so only those are probed: an H.245 channel
 * proposal is mostly binary, and most probes end there.
 */
export function collectText(bytes: Uint8Array, from: number, to: number, out: string[]): void {
  let probe = from + MIN_TEXT_RUN - 1;
  while (probe < to) {
    if (!isPrintable(bytes[probe]!)) {
      probe += MIN_TEXT_RUN;
      continue;
    }
    let start = probe;
    while (start > from && isPrintable(bytes[start - 1]!)) start--;
    let end = probe + 1;
    while (end < to && isPrintable(bytes[end]!)) end++;
    // Length octets in front of the text are often printable too ('&' is 38): start at a letter or digit.
    while (start < end && !isAlnum(bytes[start]!)) start++;
    if (end - start >= MIN_TEXT_RUN && hasLetter(bytes, start, end)) {
      const s = latin1Text(bytes, start, Math.min(end, start + MAX_TEXT_RUN));
      if (!out.includes(s)) out.push(s);
      if (out.length >= H225_MAX_FASTSTART_TEXT) return;
    }
    // `end` is unprintable (or past the window): the next run starts after it.
    probe = end + MIN_TEXT_RUN;
  }
}

function hasLetter(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (isLetter(bytes[i]!)) return true;
  return false;
}
