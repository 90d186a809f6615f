/** SIP wire parsing for adapters that see raw SIP (drachtio, captures, a SIP front): the folder's whole public surface. */
export { parseContentLength } from './content-length.js';
export { type MediaType, parseContentType } from './content-type.js';
export { type Credentials, credentialsUsername, parseCredentials } from './credentials.js';
export { type CSeq, parseCSeq } from './cseq.js';
export { SIP_STREAM_MAX_BUFFERED_BYTES, SipStreamFramer, type SipStreamFramerOptions } from './framer.js';
export { canonicalHeaderName } from './header-names.js';
export { SipHeaders, splitHeaderList } from './headers.js';
export { parseMaxForwards } from './max-forwards.js';
export {
  parseSipMessage,
  SIP_MAX_ANOMALIES,
  SIP_MAX_HEADER_LINE_BYTES,
  SIP_MAX_HEADERS,
  SIP_MAX_MESSAGE_BYTES,
  SIP_RULES_READ_HEADERS,
  type SipMessage,
  type SipParseOptions,
  type SipRequest,
  type SipResponse,
} from './message.js';
export { type NameAddr, parseNameAddr } from './name-addr.js';
export { parseParams, type SipParams } from './params.js';
export { sdpSessionName } from './sdp.js';
export { noMediaOffer, summarizeSdpOffer } from './sdp-offer.js';
export { parseSipRequestAttempt, type SipAttemptContext, sipRequestToAttempt } from './to-attempt.js';
export { type HostKind, parseSipUri, type SipUri, type SipUriScheme } from './uri.js';
export { parseVia, type Via } from './via.js';
