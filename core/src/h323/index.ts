/** H.323 call signalling (TPKT, Q.931, H.225.0 PER) for the H.323 gate and captures: the folder's whole public surface. */
export { transportText } from './h225-common.js';
export { decodeH323UserInformation } from './h225-decode.js';
export type {
  H323AliasSpec,
  H323EndpointKind,
  H323PublicTypeOfNumber,
  H323TransportSpec,
  H323VendorSpec,
} from './h225-encode.js';
export {
  H225_MAX_ALIASES,
  H225_MAX_FASTSTART_TEXT,
  type H225Alias,
  type H225AliasList,
  type H225CallType,
  type H225ConferenceGoal,
  type H225EndpointType,
  type H225FastStart,
  type H225MessageBodyName,
  type H225ReleaseReason,
  type H225SetupUuie,
  type H225TransportAddress,
  type H225TransportKind,
  type H225UserInformation,
  type H225Vendor,
  RELEASE_REASON_EXTENSIONS,
  RELEASE_REASON_ROOT,
} from './h225-types.js';
export {
  encodeAlerting,
  encodeCallProceeding,
  encodeReleaseComplete,
  encodeSetup,
  type H225ReleaseOptions,
  type H225ReplyOptions,
  type H323SetupSpec,
  type Q931NumberSpec,
} from './messages.js';
export { PER_MAX_DEPTH } from './per-reader.js';
export {
  decodeQ931,
  Q931_IE,
  Q931_MAX_ANOMALIES,
  Q931_MAX_LISTED_IES,
  Q931_MESSAGE_TYPES,
  Q931_PROTOCOL_DISCRIMINATOR,
  type Q931BearerCapability,
  type Q931Cause,
  type Q931DecodeOptions,
  type Q931Message,
  type Q931MessageName,
  type Q931PartyNumber,
  type Q931UserUser,
} from './q931.js';
export {
  audioOpenLogicalChannel,
  type H323SetupShape,
  type H323SetupShapeName,
  setupShapeSpec,
} from './setup-shapes.js';
export { sourceSignalAddressAt, withSourceSignalAddress } from './source-address.js';
export { decodeSetupAttempt, type H323AttemptContext, setupToAttempt } from './to-attempt.js';
export {
  encodeTpkt,
  TPKT_HEADER_BYTES,
  TPKT_MAX_PAYLOAD_BYTES,
  TpktFramer,
  type TpktFramerOptions,
  type TpktHeaderProblem,
  tpktHeaderProblem,
} from './tpkt.js';
