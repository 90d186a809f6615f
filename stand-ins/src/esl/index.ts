/**
 * A wire-faithful FreeSWITCH Event Socket peer (FreeSWITCH 1.10.12, mod_event_socket), for tests, `pnpm bench`
 * and demos: the outbound side (a call handed to an ESL app by the dialplan's `socket` application) and the
 * inbound side (port 8021). Loopback use only.
 */
export {
  type CallInfo,
  type ChannelDataOptions,
  CORE_UUID,
  channelDataHeaders,
  type H323CallInfo,
  type SipCallInfo,
} from './channel-data.js';
export { type EslCommand, EslCommandReader, EslCommandTooLarge } from './command-reader.js';
export { causeForSipStatus, sipStatusForCause } from './hangup-causes.js';
export {
  type EslInboundOptions,
  type EslInboundServer,
  type InboundClient,
  parseEventCommand,
  type RegisterFailureFields,
  type Subscription,
  startEslInbound,
} from './inbound-server.js';
export {
  apiResponse,
  authRequest,
  channelDataReply,
  commandReply,
  disconnectNotice,
  type EslHeader,
  GOODBYE_BODY,
  inboundGoodbye,
  jsonEvent,
  lingerNotice,
  plainEvent,
  serializeHeaders,
} from './messages.js';
export {
  type CallOutcome,
  type CallPath,
  type CallResult,
  type DialplanModel,
  type PlaceCallOptions,
  placeCall,
} from './outbound-call.js';
export { type RecordedInvite, recordedInvites } from './recorded-calls.js';
export { type EslSample, readEslSamples } from './samples.js';
export {
  ampEncode,
  type EventClock,
  registrationXml,
  regListingXml,
  type SofiaRegisterFields,
  SofiaRegistrar,
  type SofiaRegistration,
  sofiaEventHeaders,
} from './sofia-registrar.js';
export { fsUrlDecode, fsUrlEncode } from './url-encode.js';
export {
  type ConfFiles,
  type DialRequest,
  type ExecutedApp,
  type LoadedDialplan,
  loadDialplan,
  parseXml,
  type RoomLeg,
  type RunCallOptions,
  type RunCallResult,
  ringingRoom,
  runCall,
  separateWords,
  type XmlNode,
} from './xml-dialplan.js';
