import { z } from 'zod';

/**
 * CallAttempt: the one normalized input of the core. Adapters turn platform events
 * (drachtio requests, AMI UserEvents, ESL CHANNEL_DATA, H.225 SETUPs, recorded packets)
 * into this shape; the core never sees a platform object.
 */

// Caps keep a hostile message from making the guard hold large strings.
export const MAX_FIELD_LENGTH = 1024;
const text = () => z.string().max(MAX_FIELD_LENGTH);

export const TransportSchema = z.enum(['udp', 'tcp', 'tls', 'ws', 'wss', 'sctp']);
export type Transport = z.infer<typeof TransportSchema>;

export const EndpointSchema = z.object({
  /** IPv4 dotted quad or IPv6 text form (any valid spelling; the core canonicalizes). */
  ip: z.string().min(2).max(64),
  port: z.number().int().min(0).max(65535).optional(),
  transport: TransportSchema.optional(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const PartySchema = z.object({
  /** User part of a SIP URI, or an H.323 number/alias. */
  user: text().optional(),
  /** Host part of a SIP URI (domain or IP literal). */
  host: text().optional(),
  /** Display name (SIP) or Q.931 Display / h323-ID (H.323). */
  display: text().optional(),
});
export type Party = z.infer<typeof PartySchema>;

/** The SIP header fields the rules read, already extracted (no raw message in the core). */
export const SipSectionSchema = z.object({
  requestUri: text(),
  /** branch parameter of the topmost Via. */
  viaBranch: text().optional(),
  /** sent-by host:port of the topmost Via. */
  viaSentBy: text().optional(),
  fromTag: text().optional(),
  toTag: text().optional(),
  fromUri: text().optional(),
  toUri: text().optional(),
  contact: text().optional(),
  maxForwards: z.number().int().min(0).max(65535).optional(),
  cseq: z.object({ seq: z.number().int().min(0), method: z.string().max(32) }).optional(),
  contentType: text().optional(),
  hasBody: z.boolean(),
  /** `s=` line of an SDP body. */
  sdpSessionName: text().optional(),
  /** username parameter of an Authorization / Proxy-Authorization header, when present. */
  authUser: text().optional(),
  /** URI of the first P-Asserted-Identity (RFC 3325), when present: a caller identity the rules check like From. */
  assertedIdentity: text().optional(),
  /** URI of the first Remote-Party-ID (draft-ietf-sip-privacy-04, still sent by Cisco and Asterisk), when present. */
  remotePartyId: text().optional(),
});
export type SipSection = z.infer<typeof SipSectionSchema>;

export const H323AliasSchema = z.object({
  type: z.enum(['dialedDigits', 'h323-ID', 'url-ID', 'transportID', 'email-ID', 'partyNumber', 'other']),
  value: text(),
});
export type H323Alias = z.infer<typeof H323AliasSchema>;

export const H323VendorSchema = z.object({
  t35CountryCode: z.number().int().min(0).max(255).optional(),
  t35Extension: z.number().int().min(0).max(255).optional(),
  manufacturerCode: z.number().int().min(0).max(65535).optional(),
  productId: text().optional(),
  versionId: text().optional(),
});
export type H323Vendor = z.infer<typeof H323VendorSchema>;

export const H323SectionSchema = z.object({
  callReference: z.number().int().min(0).max(0x7fff),
  sourceAliases: z.array(H323AliasSchema).max(64),
  destinationAliases: z.array(H323AliasSchema).max(64),
  vendor: H323VendorSchema.optional(),
  /** Number of fastStart proposals (0 when absent). */
  fastStartCount: z.number().int().min(0),
  /** Q.931 Display IE. */
  display: text().optional(),
  /** Q.931 Calling / Called Party Number IEs. */
  callingNumber: text().optional(),
  calledNumber: text().optional(),
  destCallSignalAddress: text().optional(),
  h245Tunnelling: z.boolean().optional(),
  /** H.225.0 version from the Setup-UUIE protocolIdentifier (0.0.8.2250.0.N). */
  protocolVersion: z.number().int().min(0).max(65535).optional(),
  /** Q.931 Bearer Capability IE contents, hex (at most 32 octets). */
  bearerCapability: z.string().max(64).optional(),
  sourceCallSignalAddress: text().optional(),
  conferenceGoal: z.string().max(40).optional(),
  callType: z.string().max(20).optional(),
  /** Printable text found inside the fastStart proposals (names of non-standard codecs, e.g. Speex). */
  fastStartText: z.array(text()).max(8).optional(),
});
export type H323Section = z.infer<typeof H323SectionSchema>;

/**
 * What the call offers to send and receive, summarised from its SDP (RFC 8866) by the adapter that sees it.
 * Absent: the adapter cannot tell (Asterisk's AMI carries no body). `offered: false`: the request carried no
 * offer at all (an INVITE without SDP: delayed offer).
 */
export const MediaOfferSchema = z.object({
  offered: z.boolean(),
  /** Media kinds of the m= lines with a non-zero port, each once: audio, video, application, image, text… */
  kinds: z.array(z.string().max(16)).max(8),
  /** Encoding names offered, lower-case, each once (pcmu, pcma, g729, telephone-event, h264, vp8, opus…). */
  codecs: z.array(z.string().max(32)).max(32),
  /** An m=application line over BFCP (RFC 8856): content sharing, which room systems and bridges offer. */
  bfcp: z.boolean(),
  /** The IP literals of the c= lines (session and media level), each once. */
  connectionAddresses: z.array(z.string().max(64)).max(4),
});
export type MediaOffer = z.infer<typeof MediaOfferSchema>;

const attemptBase = {
  method: z.string().min(1).max(32),
  source: EndpointSchema,
  /** Local address/port the attempt arrived on. */
  local: EndpointSchema.partial().optional(),
  target: PartySchema,
  caller: PartySchema,
  /** SIP User-Agent, or H.323 vendor productId/versionId joined with a space. */
  userAgent: text().optional(),
  callId: text().optional(),
  /** Arrival time, ms since the epoch. */
  time: z.number().finite().nonnegative(),
  /** Which adapter produced this attempt (drachtio, asterisk, freeswitch, h323-gate, analyze…). */
  adapter: z.string().max(32).optional(),
  /** The offer's media, when the adapter saw it (see MediaOfferSchema). */
  media: MediaOfferSchema.optional(),
  /**
   * True only when the platform itself verified the caller's credentials before asking (an authenticated
   * endpoint). Adapters never set it from anything in the request: an Authorization header is not proof.
   */
  authenticated: z.boolean().optional(),
  /**
   * What the decoder skipped or could not read in the request (a header past the caps, a NUL byte, a UUIE that
   * does not decode): each a short text. Scored as `input.undecodable`: padding never buys a pass.
   */
  anomalies: z.array(z.string().max(200)).max(8).optional(),
};

export const SipAttemptSchema = z.object({
  protocol: z.literal('sip'),
  ...attemptBase,
  sip: SipSectionSchema,
});
export const H323AttemptSchema = z.object({
  protocol: z.literal('h323'),
  ...attemptBase,
  h323: H323SectionSchema,
});
export const CallAttemptSchema = z.discriminatedUnion('protocol', [SipAttemptSchema, H323AttemptSchema]);

export type SipAttempt = z.infer<typeof SipAttemptSchema>;
export type H323Attempt = z.infer<typeof H323AttemptSchema>;
export type CallAttempt = z.infer<typeof CallAttemptSchema>;
