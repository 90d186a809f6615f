import {
  type Endpoint,
  type H323Alias,
  type H323Attempt,
  type H323Section,
  type H323Vendor,
  MAX_FIELD_LENGTH,
  type Party,
} from '../attempt.js';
import { GhostguardError } from '../errors.js';
import { transportText } from './h225-common.js';
import { decodeUserInformationAt } from './h225-decode.js';
import { H225_MAX_FASTSTART_TEXT, type H225UserInformation, type H225Vendor } from './h225-types.js';
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

/**
 * Decodes one TPKT payload that must be a Q.931 SETUP into a CallAttempt. Throws GG_H323_DECODE for
 * anything else, or when the SETUP's Q.931 or H.225.0 part does not decode (offsets are offsets in
 * `tpktPayload`). A SETUP without an H.225 User-User IE still yields an attempt, from its Q.931 IEs.
 */
export function decodeSetupAttempt(tpktPayload: Uint8Array, ctx: H323AttemptContext): H323Attempt {
  const q931 = decodeQ931(tpktPayload);
  if (q931.messageType !== Q931_MESSAGE_TYPES.Setup) notSetup(q931);
  const uu = q931.userUser;
  const uuie =
    uu !== undefined && uu.protocolDiscriminator === H225_USER_USER
      ? decodeUserInformationAt(tpktPayload, uu.offset, uu.offset + uu.length, true)
      : undefined;
  return setupToAttempt(q931, uuie, ctx);
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
 */
export function setupToAttempt(
  q931: Q931Message,
  uuie: H225UserInformation | undefined,
  ctx: H323AttemptContext,
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
    h323,
  };
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
