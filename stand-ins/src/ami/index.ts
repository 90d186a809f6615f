/** @ghostguard/stand-ins/ami: a wire-faithful Asterisk manager (AMI) peer for tests, benchmarks and the demo. */

/** The bounded wait the demo and the tests drive the peer with. */
export { waitUntil } from '../wait-until.js';
export { type CallOutcome, DEFAULT_VERDICT_POLL_MS } from './channel.js';
export {
  CHECK_CONTEXT,
  CHECK_EVENT,
  type ChannelTech,
  checkEventBody,
  type ScriptedCall,
  TARPIT_CONTEXT,
  uriEncode,
  userEventFields,
  VERDICT_VARIABLE,
} from './dialplan.js';
export {
  CAUSE_TEXT,
  type ChannelSnapshot,
  channelUserEvent,
  eventTv,
  hangup,
  newchannel,
  newexten,
  type SecurityEventName,
  type SecurityEventSpec,
  securityAddress,
  securityEvent,
  snapshotFields,
  varSet,
} from './events.js';
export { type FollowBlock, FollowFileError, parseFollowText, recordedServerStream } from './follow-file.js';
export { type AmiField, AmiFrameError, AmiFrameReader, type AmiMessage, amiMessage, encodeFrame } from './frame.js';
export {
  CHAN_SIP_DEFAULT_ALLOW,
  EXAMPLE_PJSIP_ALLOW,
  FORMAT_MEDIA_TYPE,
  formatNames,
  type NativeFormats,
  NotAcceptableHere,
  nativeFormats,
} from './media.js';
export { invitesAsCalls } from './recorded-calls.js';
export {
  contactListEvent,
  contactStatusEvent,
  listCompleteEvent,
  PeerRegistrar,
  type PjsipContact,
  peerEntryEvent,
  peerStatusEvent,
  type SipPeer,
  sipShowPeerResponse,
} from './registrations.js';
export {
  AMI_BANNER,
  type AmiPeer,
  type AmiPeerOptions,
  type AmiUser,
  type PlacedCall,
  type ReceivedAction,
  startAmiPeer,
} from './server.js';
