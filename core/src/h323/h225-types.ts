import type { H323Alias } from '../attempt.js';

/** What the H.225.0 decoder returns (H323-MESSAGES, H.225.0 v7 ASN.1; names follow the ASN.1). */

export type H225TransportKind =
  | 'ipAddress'
  | 'ipSourceRoute'
  | 'ipxAddress'
  | 'ip6Address'
  | 'netBios'
  | 'nsap'
  | 'nonStandardAddress'
  /** An alternative added after H.225.0 v7: skipped by its length. */
  | 'extension';

export interface H225TransportAddress {
  kind: H225TransportKind;
  /** IPv4 dotted quad or RFC 5952 IPv6 text (ipAddress, ipSourceRoute, ip6Address). */
  ip?: string;
  port?: number;
  /**
   * ipAddress only: byte offset, in the buffer decoded, of the 4 address octets; the port's 2 octets follow
   * (aligned PER puts both on octet boundaries), so the address can be rewritten in place.
   */
  at?: number;
}

/** An AliasAddress; `type` uses the CallAttempt's names (`dialedDigits` for ASN.1 `dialledDigits`). */
export type H225Alias = H323Alias;

export interface H225Vendor {
  t35CountryCode: number;
  t35Extension: number;
  manufacturerCode: number;
  /** OCTET STRINGs read one char per byte, trailing NULs dropped. */
  productId?: string;
  versionId?: string;
}

export interface H225EndpointType {
  vendor?: H225Vendor;
  nonStandardData: boolean;
  gatekeeper: boolean;
  gateway: boolean;
  mcu: boolean;
  terminal: boolean;
  mc: boolean;
  undefinedNode: boolean;
}

export type H225ConferenceGoal =
  | 'create'
  | 'join'
  | 'invite'
  | 'capability-negotiation'
  | 'callIndependentSupplementaryService'
  | 'extension';

export type H225CallType = 'pointToPoint' | 'oneToN' | 'nToOne' | 'nToN' | 'extension';

/** Most aliases kept per list (the CallAttempt schema's cap); further ones are read and counted, not kept. */
export const H225_MAX_ALIASES = 64;
/** Most text snippets kept from fastStart proposals. */
export const H225_MAX_FASTSTART_TEXT = 8;

export interface H225AliasList {
  aliases: H225Alias[];
  /** How many the message held (aliases keeps at most H225_MAX_ALIASES). */
  count: number;
}

export interface H225SetupUuie {
  protocolIdentifier: string;
  /** Last arc of 0.0.8.2250.0.N, when the identifier has that form. */
  protocolVersion?: number;
  h245Address?: H225TransportAddress;
  sourceAddress?: H225AliasList;
  sourceInfo: H225EndpointType;
  destinationAddress?: H225AliasList;
  destCallSignalAddress?: H225TransportAddress;
  destExtraCallInfo?: H225AliasList;
  activeMC: boolean;
  /** 16 octets as 32 hex digits. */
  conferenceId: string;
  conferenceGoal: H225ConferenceGoal;
  callType: H225CallType;
  // Extension additions (present only when the sender encoded them).
  sourceCallSignalAddress?: H225TransportAddress;
  remoteExtensionAddress?: H225Alias;
  /** callIdentifier.guid as 32 hex digits. */
  callIdentifier?: string;
  fastStart?: H225FastStart;
  mediaWaitForConnect?: boolean;
  canOverlapSend?: boolean;
  multipleCalls?: boolean;
  maintainConnection?: boolean;
  /** Indexes of the Setup-UUIE extension additions present (0 = sourceCallSignalAddress …). */
  extensions: readonly number[];
}

export interface H225FastStart {
  /** Number of proposals (OpenLogicalChannel encodings, kept opaque). */
  count: number;
  /** Total octets of the proposals. */
  octets: number;
  /**
   * Printable runs (>= 5 chars with a letter) found inside the proposals: the names non-standard
   * codecs carry, e.g. `speex sr=16000;mode=6`. At most H225_MAX_FASTSTART_TEXT, each at most 64 chars.
   */
  text: string[];
}

export type H225MessageBodyName =
  | 'setup'
  | 'callProceeding'
  | 'connect'
  | 'alerting'
  | 'information'
  | 'releaseComplete'
  | 'facility'
  | 'progress'
  | 'empty'
  | 'status'
  | 'statusInquiry'
  | 'setupAcknowledge'
  | 'notify'
  /** An alternative added after H.225.0 v7. */
  | 'unknown';

/** ReleaseCompleteReason root alternatives, in ASN.1 order (the CHOICE index). */
export const RELEASE_REASON_ROOT = [
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
] as const;

/** ReleaseCompleteReason extension alternatives, in ASN.1 order (the extension index). */
export const RELEASE_REASON_EXTENSIONS = [
  'facilityCallDeflection',
  'securityDenied',
  'calledPartyNotRegistered',
  'callerNotRegistered',
  'newConnectionNeeded',
  'nonStandardReason',
  'replaceWithConferenceInvite',
  'genericDataReason',
  'neededFeatureNotSupported',
  'tunnelledSignallingRejected',
  'invalidCID',
  'securityError',
  'hopCountExceeded',
] as const;

type NullReleaseReason =
  | (typeof RELEASE_REASON_ROOT)[number]
  | Exclude<
      (typeof RELEASE_REASON_EXTENSIONS)[number],
      'nonStandardReason' | 'replaceWithConferenceInvite' | 'securityError'
    >;

/**
 * An H.225 ReleaseCompleteReason name, or `callRejected`: the name of Q.931 cause 21, which H.225.0
 * (table 5, ReleaseCompleteReason ↔ cause) maps to `destinationRejection`; that is what goes on the wire.
 */
export type H225ReleaseReason = NullReleaseReason | 'callRejected';

export interface H225UserInformation {
  body: H225MessageBodyName;
  /** Present when body is `setup`. */
  setup?: H225SetupUuie;
  /** protocolIdentifier of any body that has one. */
  protocolIdentifier?: string;
  protocolVersion?: number;
  /** callIdentifier.guid (hex) of the body, when decoded. */
  callIdentifier?: string;
  /** releaseComplete: the reason alternative's name. */
  releaseReason?: string;
  /** facility: the FacilityReason alternative's name. */
  facilityReason?: string;
  /** destinationInfo of callProceeding / alerting / connect / progress. */
  destinationInfo?: H225EndpointType;
  /** conferenceID of connect (hex). */
  conferenceId?: string;
  /** alerting.alertingAddress / connect.connectedAddress: the aliases the called side answers with. */
  respondingAddress?: H225AliasList;
  /** fastStart of the answering messages (callProceeding, alerting, connect, information, facility). */
  fastStart?: H225FastStart;
  multipleCalls?: boolean;
  maintainConnection?: boolean;
  /**
   * H323-UU-PDU.h245Tunnelling; read only when the whole body decoded (setup, callProceeding, alerting,
   * connect, releaseComplete, facility, information), undefined otherwise or when not sent.
   */
  h245Tunnelling?: boolean;
  /** Whether the optional user-data part was present. */
  hasUserData: boolean;
  /**
   * Whole octets left after the H323-UserInformation when it announced nothing more (no user-data, no
   * extension): bytes the decoder did not read (a zeroed or padded tail that still parses). 0 otherwise;
   * the padding of the last octet is not counted.
   */
  unreadOctets: number;
}
