import { GhostguardError } from '../errors.js';
import {
  encodeUserInformation,
  guidBytes,
  type H323AliasSpec,
  type H323EndpointKind,
  type H323TransportSpec,
  type H323VendorSpec,
  latin1Bytes,
  writeProceedingLike,
  writeReleaseComplete,
  writeSetupUuie,
} from './h225-encode.js';
import type { H225ReleaseReason } from './h225-types.js';
import { Q931_IE, Q931_MESSAGE_TYPES, Q931_PROTOCOL_DISCRIMINATOR } from './q931.js';
import { type H323SetupShape, setupShapeSpec } from './setup-shapes.js';
import { encodeTpkt } from './tpkt.js';

/**
 * Whole call-signalling messages as they go on the wire: TPKT header, Q.931 header and IEs, and the
 * User-User IE with the H.225.0 UUIE. The gate sends CallProceeding, Alerting and ReleaseComplete;
 * tests and the demo build SETUPs of chosen shapes with encodeSetup().
 */

/** X.208/X.209 coded user information: the User-User protocol discriminator H.225.0 uses. */
const USER_USER_X208 = 0x05;
const DEFAULT_VERSION = 4;
/** Q.931 cause 21: call rejected. */
const DEFAULT_CAUSE = 21;

export interface H225ReplyOptions {
  /** H.225.0 version in protocolIdentifier (default 4; pass the SETUP's to answer in kind). */
  protocolVersion?: number;
  /** The SETUP's callIdentifier (32 hex digits or 16 octets); default all zeros. */
  callIdentifier?: string | Uint8Array;
  /** destinationInfo (CallProceeding, Alerting): default a terminal without vendor. */
  endpointType?: H323EndpointKind;
  vendor?: H323VendorSpec;
  h245Tunnelling?: boolean;
  /** Q.931 Display IE. */
  display?: string;
}

export interface H225ReleaseOptions {
  /** H.225 ReleaseCompleteReason (default destinationRejection, i.e. `callRejected`). */
  reason?: H225ReleaseReason | (string & Record<never, never>);
  /** Q.931 cause value 1..127 (default 21, call rejected). */
  cause?: number;
  protocolVersion?: number;
  callIdentifier?: string | Uint8Array;
  h245Tunnelling?: boolean;
  display?: string;
}

export interface Q931NumberSpec {
  digits: string;
  /** Type of number (default 0, unknown). */
  numberType?: number;
  /** Numbering plan (default 1, E.164). */
  numberingPlan?: number;
}

export interface H323SetupSpec {
  callReference: number;
  /** H.225.0 version (default 4). */
  protocolVersion?: number;
  /** Bearer Capability IE contents (default 88 90 a5: unrestricted digital, 64 kbit/s, H.221/H.242); null for none. */
  bearerCapability?: Uint8Array | null;
  /** Display IE, written one byte per char (add '\u0000' to send a C string's terminator). */
  display?: string;
  callingNumber?: string | Q931NumberSpec;
  calledNumber?: string | Q931NumberSpec;
  sourceAliases?: readonly H323AliasSpec[];
  destinationAliases?: readonly H323AliasSpec[];
  vendor?: H323VendorSpec;
  /** sourceInfo type (default terminal). */
  endpointType?: H323EndpointKind;
  h245Address?: H323TransportSpec;
  destCallSignalAddress?: H323TransportSpec;
  sourceCallSignalAddress?: H323TransportSpec;
  activeMC?: boolean;
  /** 16 octets or 32 hex digits; default derived from callReference. */
  conferenceId?: string | Uint8Array;
  callIdentifier?: string | Uint8Array;
  conferenceGoal?: 'create' | 'join' | 'invite';
  callType?: 'pointToPoint' | 'oneToN' | 'nToOne' | 'nToN';
  /** fastStart proposals (encoded H.245 OpenLogicalChannels, kept opaque); absent = no fastStart. */
  fastStart?: readonly Uint8Array[];
  mediaWaitForConnect?: boolean;
  canOverlapSend?: boolean;
  multipleCalls?: boolean;
  maintainConnection?: boolean;
  /** H323-UU-PDU.h245Tunnelling (default false). */
  h245Tunnelling?: boolean;
}

function bad(message: string): never {
  throw new GhostguardError('GG_INPUT_FORMAT', `H.323 encoder: ${message}`);
}

function checkCallReference(callReference: number): void {
  if (!Number.isInteger(callReference) || callReference < 0 || callReference > 0x7fff) {
    bad(`call reference ${callReference} (0..32767)`);
  }
}

/** Q.931 header with a 2-octet call reference; `fromDestination` sets the flag (sent by the side that did not originate). */
function q931Header(messageType: number, callReference: number, fromDestination: boolean): number[] {
  checkCallReference(callReference);
  return [
    Q931_PROTOCOL_DISCRIMINATOR,
    2,
    (fromDestination ? 0x80 : 0) | (callReference >> 8),
    callReference & 0xff,
    messageType,
  ];
}

function ie(id: number, value: Uint8Array): number[] {
  if (value.length > 255) bad(`IE 0x${id.toString(16)} of ${value.length} bytes`);
  return [id, value.length, ...value];
}

function userUserIe(uuie: Uint8Array): number[] {
  const length = uuie.length + 1;
  if (length > 0xffff) bad('User-User IE too long');
  return [Q931_IE.UserUser, length >> 8, length & 0xff, USER_USER_X208, ...uuie];
}

function frame(parts: number[]): Uint8Array {
  return encodeTpkt(Uint8Array.from(parts));
}

function numberIe(id: number, spec: string | Q931NumberSpec): number[] {
  const n = typeof spec === 'string' ? { digits: spec } : spec;
  const octet3 = 0x80 | (((n.numberType ?? 0) & 7) << 4) | ((n.numberingPlan ?? 1) & 0x0f);
  return ie(id, Uint8Array.from([octet3, ...latin1Bytes(n.digits)]));
}

function zeroGuid(): Uint8Array {
  return new Uint8Array(16);
}

/** A GUID made from the call reference, so encodeSetup is deterministic unless told otherwise. */
function derivedGuid(callReference: number, salt: number): Uint8Array {
  const g = new Uint8Array(16);
  for (let i = 0; i < 16; i++) g[i] = (callReference * 31 + i * 97 + salt * 13) & 0xff;
  return g;
}

function replyFrame(
  messageType: number,
  body: 'callProceeding' | 'alerting',
  callReference: number,
  opts: H225ReplyOptions,
): Uint8Array {
  const header = q931Header(messageType, callReference, true);
  const callId = opts.callIdentifier === undefined ? zeroGuid() : guidBytes(opts.callIdentifier, 'callIdentifier');
  const version = opts.protocolVersion ?? DEFAULT_VERSION;
  const uuie = encodeUserInformation(
    body,
    (w) => writeProceedingLike(w, version, opts.endpointType ?? 'terminal', opts.vendor, callId),
    opts.h245Tunnelling ?? false,
  );
  const display = opts.display === undefined ? [] : ie(Q931_IE.Display, latin1Bytes(opts.display));
  return frame([...header, ...display, ...userUserIe(uuie)]);
}

/** CallProceeding for the call `callReference` (as read from the SETUP), as a complete TPKT frame. */
export function encodeCallProceeding(callReference: number, opts: H225ReplyOptions = {}): Uint8Array {
  return replyFrame(Q931_MESSAGE_TYPES.CallProceeding, 'callProceeding', callReference, opts);
}

/** Alerting for the call `callReference`, as a complete TPKT frame. */
export function encodeAlerting(callReference: number, opts: H225ReplyOptions = {}): Uint8Array {
  return replyFrame(Q931_MESSAGE_TYPES.Alerting, 'alerting', callReference, opts);
}

/**
 * ReleaseComplete for the call `callReference` with a Cause IE and an H.225 reason, as a complete TPKT
 * frame. An unknown reason name throws GG_CONFIG_INVALID (callers validate their configuration with it).
 */
export function encodeReleaseComplete(callReference: number, opts: H225ReleaseOptions = {}): Uint8Array {
  const reason = opts.reason === undefined || opts.reason === 'callRejected' ? 'destinationRejection' : opts.reason;
  const cause = opts.cause ?? DEFAULT_CAUSE;
  if (!Number.isInteger(cause) || cause < 1 || cause > 127) {
    throw new GhostguardError('GG_CONFIG_INVALID', `Q.931 cause ${cause} is not in 1..127`);
  }
  const header = q931Header(Q931_MESSAGE_TYPES.ReleaseComplete, callReference, true);
  const callId = opts.callIdentifier === undefined ? zeroGuid() : guidBytes(opts.callIdentifier, 'callIdentifier');
  const version = opts.protocolVersion ?? DEFAULT_VERSION;
  const uuie = encodeUserInformation(
    'releaseComplete',
    (w) => writeReleaseComplete(w, version, reason, callId),
    opts.h245Tunnelling ?? false,
  );
  // Cause: ITU-T coding, location 0 (user), then the cause value; octet 3a omitted (extension bit set).
  const causeIe = ie(Q931_IE.Cause, Uint8Array.of(0x80, 0x80 | cause));
  const display = opts.display === undefined ? [] : ie(Q931_IE.Display, latin1Bytes(opts.display));
  return frame([...header, ...causeIe, ...display, ...userUserIe(uuie)]);
}

const DEFAULT_BEARER = Uint8Array.of(0x88, 0x90, 0xa5);

/**
 * A SETUP as a complete TPKT frame (sent by the originating side: flag clear), from a full spec or from a
 * ready-made shape (`{ shape: 'metasploit-h323-version' }`, see setup-shapes.ts).
 */
export function encodeSetup(input: H323SetupSpec | H323SetupShape): Uint8Array {
  const spec = 'shape' in input ? setupShapeSpec(input) : input;
  const header = q931Header(Q931_MESSAGE_TYPES.Setup, spec.callReference, false);
  const ies: number[] = [];
  const bearer = spec.bearerCapability === undefined ? DEFAULT_BEARER : spec.bearerCapability;
  if (bearer !== null) ies.push(...ie(Q931_IE.BearerCapability, bearer));
  if (spec.display !== undefined) ies.push(...ie(Q931_IE.Display, latin1Bytes(spec.display)));
  if (spec.callingNumber !== undefined) ies.push(...numberIe(Q931_IE.CallingPartyNumber, spec.callingNumber));
  if (spec.calledNumber !== undefined) ies.push(...numberIe(Q931_IE.CalledPartyNumber, spec.calledNumber));
  const uuie = encodeUserInformation(
    'setup',
    (w) =>
      writeSetupUuie(w, {
        protocolVersion: spec.protocolVersion ?? DEFAULT_VERSION,
        endpointType: spec.endpointType ?? 'terminal',
        activeMC: spec.activeMC ?? false,
        conferenceId:
          spec.conferenceId === undefined
            ? derivedGuid(spec.callReference, 1)
            : guidBytes(spec.conferenceId, 'conferenceId'),
        callIdentifier:
          spec.callIdentifier === undefined
            ? derivedGuid(spec.callReference, 2)
            : guidBytes(spec.callIdentifier, 'callIdentifier'),
        conferenceGoal: spec.conferenceGoal ?? 'create',
        callType: spec.callType ?? 'pointToPoint',
        mediaWaitForConnect: spec.mediaWaitForConnect ?? false,
        canOverlapSend: spec.canOverlapSend ?? false,
        multipleCalls: spec.multipleCalls ?? false,
        maintainConnection: spec.maintainConnection ?? false,
        ...(spec.h245Address ? { h245Address: spec.h245Address } : {}),
        ...(spec.sourceAliases ? { sourceAliases: spec.sourceAliases } : {}),
        ...(spec.vendor ? { vendor: spec.vendor } : {}),
        ...(spec.destinationAliases ? { destinationAliases: spec.destinationAliases } : {}),
        ...(spec.destCallSignalAddress ? { destCallSignalAddress: spec.destCallSignalAddress } : {}),
        ...(spec.sourceCallSignalAddress ? { sourceCallSignalAddress: spec.sourceCallSignalAddress } : {}),
        ...(spec.fastStart ? { fastStart: spec.fastStart } : {}),
      }),
    spec.h245Tunnelling ?? false,
  );
  return frame([...header, ...ies, ...userUserIe(uuie)]);
}
