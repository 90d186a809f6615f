/** @ghostguard/freeswitch: ghostguard over FreeSWITCH's Event Socket. The package's whole public surface. */
export { attachFreeswitch, type FreeswitchAttachment } from './attach.js';
export { type ChannelHeaders, type ChannelRead, readChannelData } from './attempt.js';
export { FreeswitchError, type FreeswitchErrorCode } from './errors.js';
export { INBOUND_EVENTS } from './inbound-client.js';
export type { OutboundAddress } from './link.js';
export {
  type EventSocketAccess,
  eventSocketAccess,
  type FreeswitchOptions,
  type FreeswitchSection,
  FreeswitchSectionSchema,
  freeswitchSection,
  type ResolvedFreeswitchOptions,
  resolveFreeswitchOptions,
} from './options.js';
export { outcomeOfEvent } from './sofia-events.js';
export {
  parseRegListing,
  type RegistrationEvent,
  type RegListing,
  registrationOfEvent,
  type SofiaBinding,
} from './sofia-registrations.js';
export type { FreeswitchStats } from './stats.js';
