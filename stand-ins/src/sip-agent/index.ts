/**
 * `@ghostguard/stand-ins/sip-agent`: scripted SIP user agents over UDP (callers, scanners, room systems), the
 * requests they send and their digest answers. Used by `pnpm demo` against the drachtio-server stand-in.
 */

export { waitUntil } from '../wait-until.js';
export { headerValue, type ReceivedSip, SipUdpAgent } from './agent.js';
export { digestAuthorization, parseChallenge } from './digest.js';
export { buildRequest, type RequestSpec, sdpOffer } from './request.js';
