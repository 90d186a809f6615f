import { GhostguardError } from '../errors.js';
import { hex, latin1Text } from './text.js';

/**
 * Q.931 as H.225.0 uses it (Q.931 §4, H.225.0 §7): protocol discriminator 0x08, call reference,
 * message type, information elements. Codeset-0 IEs ghostguard reads are typed; every other IE is
 * skipped by its length (single-octet IEs, 0x80-0xFF, have none).
 */

export const Q931_PROTOCOL_DISCRIMINATOR = 0x08;

/** Q.931 message types (Q.931 table 4-2) under the names H.225.0 uses. */
export const Q931_MESSAGE_TYPES = {
  Alerting: 0x01,
  CallProceeding: 0x02,
  Progress: 0x03,
  Setup: 0x05,
  Connect: 0x07,
  SetupAcknowledge: 0x0d,
  ConnectAcknowledge: 0x0f,
  UserInformation: 0x20,
  SuspendReject: 0x21,
  ResumeReject: 0x22,
  Hold: 0x24,
  Suspend: 0x25,
  Resume: 0x26,
  HoldAcknowledge: 0x28,
  SuspendAcknowledge: 0x2d,
  ResumeAcknowledge: 0x2e,
  HoldReject: 0x30,
  Retrieve: 0x31,
  RetrieveAcknowledge: 0x33,
  RetrieveReject: 0x37,
  Disconnect: 0x45,
  Restart: 0x46,
  Release: 0x4d,
  RestartAcknowledge: 0x4e,
  ReleaseComplete: 0x5a,
  Segment: 0x60,
  Facility: 0x62,
  Notify: 0x6e,
  StatusEnquiry: 0x75,
  CongestionControl: 0x79,
  Information: 0x7b,
  Status: 0x7d,
} as const;

export type Q931MessageName = keyof typeof Q931_MESSAGE_TYPES;

const NAMES = new Map<number, Q931MessageName>(
  Object.entries(Q931_MESSAGE_TYPES).map(([name, type]) => [type, name as Q931MessageName]),
);

/** Codeset-0 information element identifiers read here. */
export const Q931_IE = {
  BearerCapability: 0x04,
  Cause: 0x08,
  Display: 0x28,
  CallingPartyNumber: 0x6c,
  CalledPartyNumber: 0x70,
  UserUser: 0x7e,
} as const;

export interface Q931BearerCapability {
  /** The IE contents (a view made when read). */
  readonly bytes: Uint8Array;
  /** Where the contents sit in the decoded message, and how long they are. */
  offset: number;
  length: number;
  /** The first `maxOctets` octets of the contents as lower-case hex (no view made). */
  hex(maxOctets: number): string;
  codingStandard: number;
  informationTransferCapability: number;
  /** Octet 4, when present. */
  transferMode?: number;
  transferRate?: number;
  /** Octet 5 (layer 1 identification), when present. */
  layer1Protocol?: number;
}

export interface Q931PartyNumber {
  /** Type of number (Q.931 §4.5.8: 0 unknown, 1 international, 2 national, 3 network-specific, 4 subscriber…). */
  numberType: number;
  /** Numbering plan (1 = E.164). */
  numberingPlan: number;
  /** Calling party number octet 3a, when sent. */
  presentation?: number;
  screening?: number;
  /** The address digits (IA5), trailing NULs dropped. */
  digits: string;
}

export interface Q931Cause {
  codingStandard: number;
  location: number;
  /** Cause value (Q.850), e.g. 16 normal clearing, 21 call rejected. */
  value: number;
}

export interface Q931UserUser {
  /** 5 = X.208/X.209 coded user information (H.225.0). */
  protocolDiscriminator: number;
  /** The user information after the discriminator (for H.225.0: H323-UserInformation, PER); a view made when read. */
  readonly data: Uint8Array;
  /** Offset of `data` in the decoded message, and its length. */
  offset: number;
  length: number;
}

/**
 * An IE's contents as offsets in the message, with the view made only when asked for: decoding a SETUP
 * for judge() reads the bytes in place, and a typed-array view costs about as much as decoding an IE.
 */
class IeContents {
  constructor(
    protected readonly message: Uint8Array,
    readonly offset: number,
    readonly length: number,
  ) {}

  protected view(): Uint8Array {
    return this.message.subarray(this.offset, this.offset + this.length);
  }

  /** The decoded fields, without the whole message the offsets point into. */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (k !== 'message') out[k] = v;
    return out;
  }
}

class UserUserIe extends IeContents implements Q931UserUser {
  constructor(
    readonly protocolDiscriminator: number,
    message: Uint8Array,
    offset: number,
    length: number,
  ) {
    super(message, offset, length);
  }

  get data(): Uint8Array {
    return this.view();
  }
}

class BearerCapabilityIe extends IeContents implements Q931BearerCapability {
  codingStandard: number;
  informationTransferCapability: number;
  transferMode: number | undefined = undefined;
  transferRate: number | undefined = undefined;
  layer1Protocol: number | undefined = undefined;

  constructor(message: Uint8Array, offset: number, length: number) {
    super(message, offset, length);
    const o3 = message[offset]!;
    this.codingStandard = (o3 >> 5) & 3;
    this.informationTransferCapability = o3 & 0x1f;
  }

  get bytes(): Uint8Array {
    return this.view();
  }

  hex(maxOctets: number): string {
    return hex(this.message, this.offset, this.offset + Math.min(this.length, maxOctets));
  }
}

export interface Q931Message {
  protocolDiscriminator: number;
  /** Call reference value without the flag (15 bits for the usual 2-octet reference). */
  callReference: number;
  callReferenceLength: number;
  /** false: sent by the side that originated the call reference; true: sent by the other side. */
  callReferenceFlag: boolean;
  messageType: number;
  /** Name of the message type, undefined when Q.931 defines none. */
  messageName: Q931MessageName | undefined;
  bearerCapability?: Q931BearerCapability;
  /** Display IE text (IA5), trailing NULs dropped. */
  display?: string;
  callingPartyNumber?: Q931PartyNumber;
  calledPartyNumber?: Q931PartyNumber;
  cause?: Q931Cause;
  userUser?: Q931UserUser;
  /** Identifiers of the IEs in order (codeset-shifted ones included), at most Q931_MAX_LISTED_IES. */
  informationElements: number[];
  /**
   * Lenient decoding only (`decodeQ931(bytes, { lenient: true })`): what was clipped or skipped (an IE whose
   * length runs past the message, an IE too short to read), at most Q931_MAX_ANOMALIES texts; undefined when none.
   */
  anomalies?: string[];
}

export const Q931_MAX_LISTED_IES = 64;
/** Most anomalies one lenient decode records (the attempt schema allows 8, and the caller may add its own). */
export const Q931_MAX_ANOMALIES = 6;

export interface Q931DecodeOptions {
  /**
   * Clip an IE whose length runs past the end of the message to the bytes there are, skip an IE too short
   * to read, and note each in `anomalies`, instead of throwing. The header (discriminator, call reference,
   * message type) must still be whole.
   */
  lenient?: boolean;
}

function fail(message: string, offset: number): never {
  throw new GhostguardError('GG_H323_DECODE', `Q.931 ${message} (at byte ${offset})`, { offset });
}

/**
 * Decodes a Q.931 message (one TPKT payload). Throws GhostguardError('GG_H323_DECODE') with the byte
 * offset of the element that does not fit (lenient: only when the header does not decode). The first of a
 * repeated IE wins.
 */
export function decodeQ931(bytes: Uint8Array, opts?: Q931DecodeOptions): Q931Message {
  if (bytes.length < 3) fail(`message of ${bytes.length} bytes is shorter than its header`, 0);
  const pd = bytes[0]!;
  if (pd !== Q931_PROTOCOL_DISCRIMINATOR) fail(`protocol discriminator 0x${pd.toString(16)} is not 0x08`, 0);
  const crLength = bytes[1]!;
  if (crLength > 2) fail(`call reference length ${crLength} (H.225.0 uses 2)`, 1);
  let at = 2;
  if (bytes.length < at + crLength + 1) fail('message ends inside its call reference', bytes.length);
  let flag = false;
  let callReference = 0;
  if (crLength > 0) {
    const first = bytes[at]!;
    flag = (first & 0x80) !== 0;
    callReference = crLength === 2 ? ((first & 0x7f) << 8) | bytes[at + 1]! : first & 0x7f;
  }
  at += crLength;
  const messageType = bytes[at]!;
  if (messageType & 0x80) fail(`message type 0x${messageType.toString(16)} has bit 8 set`, at);
  at++;
  const msg: Q931Message = {
    protocolDiscriminator: pd,
    callReference,
    callReferenceLength: crLength,
    callReferenceFlag: flag,
    messageType,
    messageName: NAMES.get(messageType),
    // Every IE field set (undefined until read): one object shape, no property storage regrown per IE.
    bearerCapability: undefined,
    display: undefined,
    callingPartyNumber: undefined,
    calledPartyNumber: undefined,
    cause: undefined,
    userUser: undefined,
    informationElements: [],
    anomalies: undefined,
  };
  readInformationElements(bytes, at, msg, opts?.lenient === true);
  return msg;
}

/** Whether another anomaly would be kept (so a message of thousands of bad IEs formats only a few texts). */
function hasRoom(msg: Q931Message): boolean {
  return msg.anomalies === undefined || msg.anomalies.length < Q931_MAX_ANOMALIES;
}

/** Notes what a lenient decode clipped or skipped (bounded). */
function note(msg: Q931Message, text: string): void {
  if (msg.anomalies === undefined) msg.anomalies = [text];
  else if (msg.anomalies.length < Q931_MAX_ANOMALIES) msg.anomalies.push(text);
}

/** IE identifiers of the message being read, copied out at their count (an array grown from [] reserves 17 slots). */
const IE_IDS: number[] = new Array<number>(Q931_MAX_LISTED_IES).fill(0);

function readInformationElements(bytes: Uint8Array, start: number, msg: Q931Message, lenient: boolean): void {
  let listed = 0;
  let at = start;
  let lockedCodeset = 0;
  // Set by a non-locking shift: the codeset of the next IE only.
  let nextCodeset = -1;
  while (at < bytes.length) {
    const id = bytes[at]!;
    if (listed < Q931_MAX_LISTED_IES) IE_IDS[listed++] = id;
    const codeset = nextCodeset >= 0 ? nextCodeset : lockedCodeset;
    nextCodeset = -1;
    if (id & 0x80) {
      // Single-octet IE. Shift (0x9_): bit 4 set = non-locking (applies to the next IE only).
      if ((id & 0xf0) === 0x90) {
        if (id & 0x08) nextCodeset = id & 0x07;
        else lockedCodeset = id & 0x07;
      }
      at++;
      continue;
    }
    // H.225.0 §7.2.2.x: the User-User IE has a two-octet length; every other IE one octet.
    const wide = id === Q931_IE.UserUser && codeset === 0;
    const header = wide ? 3 : 2;
    if (at + header > bytes.length) {
      if (!lenient) fail(`IE 0x${id.toString(16)} ends inside its length`, at);
      note(msg, `Q.931 IE 0x${hex2(id)} at byte ${at} ends inside its length: skipped`);
      break;
    }
    const length = wide ? (bytes[at + 1]! << 8) | bytes[at + 2]! : bytes[at + 1]!;
    const valueStart = at + header;
    let valueEnd = valueStart + length;
    if (valueEnd > bytes.length) {
      if (!lenient) fail(`IE 0x${id.toString(16)} says ${length} bytes, ${bytes.length - valueStart} left`, at);
      note(
        msg,
        `Q.931 IE 0x${hex2(id)} at byte ${at} says ${length} bytes, ${bytes.length - valueStart} left: clipped`,
      );
      valueEnd = bytes.length;
    }
    if (codeset === 0) {
      const problem = readIe(bytes, id, valueStart, valueEnd, msg);
      if (problem !== undefined) {
        if (!lenient) fail(problem, valueStart);
        if (hasRoom(msg)) note(msg, `Q.931 ${problem} (at byte ${valueStart}): skipped`);
      }
    }
    at = valueEnd;
  }
  msg.informationElements = IE_IDS.slice(0, listed);
}

function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** Reads a codeset-0 IE into `msg`; returns what is wrong with it when it cannot be read (nothing thrown). */
function readIe(bytes: Uint8Array, id: number, start: number, end: number, msg: Q931Message): string | undefined {
  switch (id) {
    case Q931_IE.BearerCapability:
      if (msg.bearerCapability === undefined && end > start) msg.bearerCapability = bearerCapability(bytes, start, end);
      return undefined;
    case Q931_IE.Cause:
      if (msg.cause === undefined) {
        const c = cause(bytes, start, end);
        if (typeof c === 'string') return c;
        msg.cause = c;
      }
      return undefined;
    case Q931_IE.Display:
      if (msg.display === undefined) msg.display = latin1Text(bytes, start, end);
      return undefined;
    case Q931_IE.CallingPartyNumber:
      if (msg.callingPartyNumber === undefined) msg.callingPartyNumber = partyNumber(bytes, start, end, true);
      return undefined;
    case Q931_IE.CalledPartyNumber:
      if (msg.calledPartyNumber === undefined) msg.calledPartyNumber = partyNumber(bytes, start, end, false);
      return undefined;
    case Q931_IE.UserUser:
      if (msg.userUser === undefined) {
        if (end === start) return 'User-User IE without a protocol discriminator';
        msg.userUser = new UserUserIe(bytes[start]!, bytes, start + 1, end - start - 1);
      }
      return undefined;
    default:
      return undefined;
  }
}

/** Q.931 §4.5.5: octet 3 (coding standard, transfer capability), 4 (mode, rate), 5 (layer 1) each optional past 3. */
function bearerCapability(bytes: Uint8Array, start: number, end: number): Q931BearerCapability {
  const o3 = bytes[start]!;
  const bc = new BearerCapabilityIe(bytes, start, end - start);
  // Octet 3 with bit 8 clear is followed by one octet 3a (as Wireshark reads it too).
  let at = o3 & 0x80 ? start + 1 : start + 2;
  if (at < end) {
    const o4 = bytes[at]!;
    bc.transferMode = (o4 >> 5) & 3;
    bc.transferRate = o4 & 0x1f;
    // Octets 4a/4b follow while bit 8 is clear; octet 4.1 (rate multiplier) follows a multirate (0x18).
    while (at < end && (bytes[at]! & 0x80) === 0) at++;
    at++;
    if (bc.transferRate === 0x18) at++;
    if (at < end && ((bytes[at]! >> 5) & 3) === 1) bc.layer1Protocol = bytes[at]! & 0x1f;
  }
  return bc;
}

/** Q.931 §4.5.12: octet 3 (coding standard, location), optional 3a (recommendation), 4 (cause value); or what is wrong. */
function cause(bytes: Uint8Array, start: number, end: number): Q931Cause | string {
  if (end - start < 2) return 'Cause IE shorter than 2 bytes';
  const o3 = bytes[start]!;
  const at = o3 & 0x80 ? start + 1 : start + 2;
  if (at >= end) return 'Cause IE ends before its cause value';
  return { codingStandard: (o3 >> 5) & 3, location: o3 & 0x0f, value: bytes[at]! & 0x7f };
}

/** Q.931 §4.5.7-8: octet 3 (type of number, numbering plan), 3a for calling numbers (presentation), digits. */
function partyNumber(bytes: Uint8Array, start: number, end: number, calling: boolean): Q931PartyNumber {
  if (end === start)
    return { numberType: 0, numberingPlan: 0, presentation: undefined, screening: undefined, digits: '' };
  const o3 = bytes[start]!;
  const n: Q931PartyNumber = {
    numberType: (o3 >> 4) & 7,
    numberingPlan: o3 & 0x0f,
    presentation: undefined,
    screening: undefined,
    digits: '',
  };
  let at = start + 1;
  if ((o3 & 0x80) === 0 && calling && at < end) {
    const o3a = bytes[at]!;
    n.presentation = (o3a >> 5) & 3;
    n.screening = o3a & 3;
    at++;
  }
  n.digits = latin1Text(bytes, at, end);
  return n;
}
