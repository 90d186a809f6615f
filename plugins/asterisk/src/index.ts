/** @ghostguard/asterisk: attaches the guard to Asterisk over AMI. The package's whole public surface. */
export { type AsteriskAttachment, attachAsterisk } from './attach.js';
export { AsteriskError, type AsteriskErrorCode } from './errors.js';
export {
  type AmiAccess,
  type AsteriskOptions,
  type AsteriskSection,
  AsteriskSectionSchema,
  amiAccess,
  CHANNEL_TECHS,
  type ChannelTech,
  type ResolvedAsteriskOptions,
  resolveAsteriskOptions,
} from './options.js';
export type { AsteriskStats } from './stats.js';
