import {
  type Endpoint,
  type H323Alias,
  type H323Attempt,
  type H323Section,
  type H323Vendor,
  MAX_FIELD_LENGTH,
  type Party,
} from '../attempt.js';
import { GhostguardError, isGhostguardError } from '../errors.js';
import { transportText } from './h225-common.js';
import { decodeUserInformationAt } from './h225-decode.js';
import { H225_MAX_FASTSTART_TEXT, type H225UserInformation, type H225Vendor } from './h225-types.js';
import { PerDecodeStop } from './per-reader.js';
import { decodeQ931, Q931_MESSAGE_TYPES, type Q931Message } from './q931.js';
import { clip } from './text.js';

/** What the adapter knows that the SETUP does not say. */
export interface H323AttemptContext {
  /** Where the TCP connection came from. */
  source: Endpoint;
  local?: Partial<Endpoint>;
  /** Arrival time, ms since the epoch. */
  time: number;
  adapter?: string;
}

/** X.208/X.209 coded user information: H.225.0's User-User protocol discriminator. */
const H225_USER_USER = 5;
const MAX_BEARER_OCTETS = 32;
/** The attempt schema's bounds on anomalies. */
const MAX_ANOMALIES = 8;
const MAX_ANOMALY_LENGTH = 200;
/** Room left in an anomaly for the decoder's reason, after the text in front of it. */
const MAX_REASON_LENGTH = 160;

/**
 * Decodes one TPKT payload that must be a Q.931 SETUP into a CallAttempt, reading what can be read. When the
 * Q.931 header decodes and says SETUP, an attempt comes out, with `anomalies` naming what was clipped or not
 * read: an IE whose length runs past the message (clipped), an IE too short to read, a User-User IE missing
 * or not H.225.0, an H.225.0 UUIE that does not decode, is not a Setup-UUIE, or ends before its IE does (a
 * zeroed tail that still parses). An unread UUIE leaves the h323 section's UUIE fields empty (no aliases, no
 * vendor, fastStartCount 0) and the target to the Called Party Number. Throws GG_H323_DECODE only for what
 * is not a Q.931 SETUP at all: a header that does not decode (offsets are offsets in `tpktPayload`), another
 * message type. An intact SETUP costs what it did: the lenient paths run only where something is wrong.
 */
export function decodeSetupAttempt(tpktPayload: Uint8Array, ctx: H323AttemptContext): H323Attempt {
  const q931 = decodeQ931(tpktPayload, LENIENT);
  if (q931.messageType !== Q931_MESSAGE_TYPES.Setup) notSetup(q931);
  let anomalies = q931.anomalies;
  const uu = q931.userUser;
  let uuie: H225UserInformation | undefined;
  if (uu === undefined) {
    anomalies = noted(anomalies, 'SETUP without an H.225.0 User-User IE');
  } else if (uu.protocolDiscriminator !== H225_USER_USER) {
    anomalies = noted(
      anomalies,
      `User-User IE protocol discriminator ${uu.protocolDiscriminator} is not H.225.0's (5): UUIE not read`,
    );
  } else {
    try {
      uuie = decodeUserInformationAt(tpktPayload, uu.offset, uu.offset + uu.length, true);
    } catch (err) {
      // Anything but where decoding stopped (a decoder fault) is a bug: let it show.
      if (!(err instanceof PerDecodeStop) && !(isGhostguardError(err) && err.code === 'GG_H323_DECODE')) throw err;
      anomalies = noted(anomalies, `UUIE did not decode: ${err.message.slice(0, MAX_REASON_LENGTH)}`);
    }
    if (uuie !== undefined && uuie.body !== 'setup') {
      anomalies = noted(anomalies, `UUIE is ${uuie.body}, not a Setup-UUIE: not read`);
      uuie = undefined;
    } else if (uuie !== undefined && uuie.unreadOctets > 0) {
      // A zeroed or padded tail can parse as short fields: what follows them was skipped.
      anomalies = noted(anomalies, `UUIE ends ${uuie.unreadOctets} bytes before its User-User IE does: those not read`);
    }
  }
  return setupToAttempt(q931, uuie, ctx, anomalies);
}

const LENIENT = Object.freeze({ lenient: true });

/** `list` with `text` added (a new list when there was none), within the schema's bounds. */
function noted(list: string[] | undefined, text: string): string[] {
  const out = list ?? [];
  if (out.length < MAX_ANOMALIES) out.push(clip(text, MAX_ANOMALY_LENGTH));
  return out;
}

function notSetup(q931: Q931Message): never {
  throw new GhostguardError(
    'GG_H323_DECODE',
    `Q.931 message type 0x${q931.messageType.toString(16).padStart(2, '0')} (${q931.messageName ?? 'unknown'}) is not a SETUP`,
    { offset: 2 + q931.callReferenceLength },
  );
}

/**
 * Maps a decoded SETUP to the core's CallAttempt (protocol `h323`, method `SETUP`). Every string is cut
 * to the schema's limits, so the result always passes H323AttemptSchema (given a valid ctx).
 *
 * - target.user: the Called Party Number, else the first destination alias that names someone
 *   (dialledDigits, h323-ID, partyNumber, the user of a url-ID or email-ID); target.host: the host of a
 *   url-ID / email-ID destination alias, else the destCallSignalAddress IP.
 * - caller.user: the Calling Party Number, else the first such source alias; caller.display: the Display
 *   IE, else the first source h323-ID.
 * - userAgent: vendor productId and versionId joined by a space; callId: callIdentifier (hex).
 * - anomalies: what the decoder clipped or could not read (at most 8 texts of at most 200 chars are kept).
 */
export function setupToAttempt(
  q931: Q931Message,
  uuie: H225UserInformation | undefined,
  ctx: H323AttemptContext,
  anomalies?: readonly string[],
): H323Attempt {
  if (q931.messageType !== Q931_MESSAGE_TYPES.Setup) notSetup(q931);
  if (uuie !== undefined && uuie.body !== 'setup') {
    throw new GhostguardError('GG_H323_DECODE', `Q.931 SETUP carries an H.225 ${uuie.body} UUIE`, {
      offset: q931.userUser?.offset ?? 0,
    });
  }
  // Strings from the decoders are bounded by their ASN.1 / IE sizes (at most 512 chars) and need no cut;
  // clip() still guards values a caller built by hand.
  const setup = uuie?.setup;
  const sourceAliases = aliases(setup?.sourceAddress?.aliases);
  const destinationAliases = aliases(setup?.destinationAddress?.aliases);
  const calledNumber = q931.calledPartyNumber?.digits;
  const callingNumber = q931.callingPartyNumber?.digits;
  const display = q931.display === undefined ? undefined : clip(q931.display);

  const fastStartText = setup?.fastStart?.text;
  // Built as whole literals, every optional field set (undefined when absent): one object shape for every
  // SETUP, and no property storage regrown field by field.
  const h323: H323Section = {
    callReference: q931.callReference,
    sourceAliases,
    destinationAliases,
    fastStartCount: setup?.fastStart?.count ?? 0,
    vendor: vendorOf(setup?.sourceInfo.vendor),
    display,
    callingNumber: callingNumber === undefined ? undefined : clip(callingNumber),
    calledNumber: calledNumber === undefined ? undefined : clip(calledNumber),
    destCallSignalAddress: setup?.destCallSignalAddress ? transportText(setup.destCallSignalAddress) : undefined,
    protocolVersion: setup?.protocolVersion,
    sourceCallSignalAddress: setup?.sourceCallSignalAddress ? transportText(setup.sourceCallSignalAddress) : undefined,
    conferenceGoal: setup?.conferenceGoal,
    callType: setup?.callType,
    fastStartText:
      fastStartText !== undefined && fastStartText.length > 0
        ? fastStartText.slice(0, H225_MAX_FASTSTART_TEXT).map(clipText)
        : undefined,
    h245Tunnelling: uuie?.h245Tunnelling,
    bearerCapability: q931.bearerCapability?.hex(MAX_BEARER_OCTETS),
  };

  const calledUser = nonEmpty(calledNumber) ?? namedUser(destinationAliases);
  const host = hostOf(destinationAliases) ?? setup?.destCallSignalAddress?.ip;
  const target: Party = {
    user: calledUser === undefined ? undefined : clip(calledUser),
    host: host === undefined ? undefined : clip(host),
  };
  const callerUser = nonEmpty(callingNumber) ?? namedUser(sourceAliases);
  const callerDisplay = nonEmpty(display) ?? firstH323Id(sourceAliases);
  const caller: Party = {
    user: callerUser === undefined ? undefined : clip(callerUser),
    display: callerDisplay === undefined ? undefined : clip(callerDisplay),
  };
  const source: Endpoint = { ip: ctx.source.ip, port: ctx.source.port, transport: ctx.source.transport ?? 'tcp' };
  return {
    protocol: 'h323',
    method: 'SETUP',
    source,
    local: ctx.local,
    target,
    caller,
    userAgent: userAgentOf(h323.vendor),
    callId: setup?.callIdentifier,
    time: ctx.time,
    adapter: ctx.adapter === undefined ? undefined : clip(ctx.adapter, 32),
    anomalies: anomalies === undefined || anomalies.length === 0 ? undefined : boundedAnomalies(anomalies),
    h323,
  };
}

/** The list as is when it fits the schema; a cut copy otherwise (a caller's own list). */
function boundedAnomalies(list: readonly string[]): string[] {
  if (list.length <= MAX_ANOMALIES && list.every((a) => a.length <= MAX_ANOMALY_LENGTH)) return list as string[];
  return list.slice(0, MAX_ANOMALIES).map((a) => clip(a, MAX_ANOMALY_LENGTH));
}

function clipText(s: string): string {
  return clip(s);
}

function firstH323Id(list: readonly H323Alias[]): string | undefined {
  for (const a of list) if (a.type === 'h323-ID') return a.value;
  return undefined;
}

function nonEmpty(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

/** The decoder's alias list as is (values are at most 512 chars); a copy with cut values only when needed. */
function aliases(list: H323Alias[] | undefined): H323Alias[] {
  if (list === undefined) return [];
  for (const a of list) {
    if (a.value.length > MAX_FIELD_LENGTH) return list.map((x) => ({ type: x.type, value: clip(x.value) }));
  }
  return list;
}

/** The decoder's vendor as is (its strings are at most 256 chars); a copy with cut strings only for one built by hand. */
function vendorOf(v: H225Vendor | undefined): H323Vendor | undefined {
  if (v === undefined) return undefined;
  const p = v.productId;
  const ver = v.versionId;
  if ((p === undefined || p.length <= MAX_FIELD_LENGTH) && (ver === undefined || ver.length <= MAX_FIELD_LENGTH))
    return v;
  return {
    t35CountryCode: v.t35CountryCode,
    t35Extension: v.t35Extension,
    manufacturerCode: v.manufacturerCode,
    productId: p === undefined ? undefined : clip(p),
    versionId: ver === undefined ? undefined : clip(ver),
  };
}

function userAgentOf(v: H323Vendor | undefined): string | undefined {
  if (v === undefined) return undefined;
  const p = v.productId === '' ? undefined : v.productId;
  const ver = v.versionId === '' ? undefined : v.versionId;
  if (p === undefined) return ver;
  return ver === undefined ? p : clip(`${p} ${ver}`);
}

/** user@host of a url-ID (`h323:room@example.com`, H.323 Annex O) or email-ID; user may be empty. */
function splitAddress(value: string, url: boolean): { user: string; host: string } {
  const rest = url ? value.replace(/^[a-z][a-z0-9+.-]*:/i, '') : value;
  const at = rest.lastIndexOf('@');
  const user = at < 0 ? '' : rest.slice(0, at);
  let host = at < 0 ? rest : rest.slice(at + 1);
  const cut = host.search(/[;?/]/);
  if (cut >= 0) host = host.slice(0, cut);
  return { user, host };
}

/** The user named by the first alias that names a party (not a transport address). */
function namedUser(list: readonly H323Alias[]): string | undefined {
  for (const a of list) {
    switch (a.type) {
      case 'dialedDigits':
      case 'h323-ID':
      case 'partyNumber':
        if (a.value !== '') return a.value;
        break;
      case 'url-ID':
      case 'email-ID': {
        const user = splitAddress(a.value, a.type === 'url-ID').user;
        if (user !== '') return user;
        break;
      }
      default:
        break;
    }
  }
  return undefined;
}

function hostOf(list: readonly H323Alias[]): string | undefined {
  for (const a of list) {
    if (a.type === 'url-ID' || a.type === 'email-ID') {
      const host = splitAddress(a.value, a.type === 'url-ID').host;
      if (host !== '') return host;
    }
  }
  return undefined;
}
