/** The drachtio-server stand-in: the folder's whole public surface (`@ghostguard/stand-ins/drachtio-server`). */

export type { BlacklistOptions, BlacklistState } from './blacklist.js';
export { type ConnectedApp, connectApp } from './connect-app.js';
export { encodeFrame, FrameError, FrameReader, MAX_FRAME_BYTES } from './framing.js';
export {
  type DrachtioServerPeer,
  type DrachtioServerPeerOptions,
  type DrachtioServerStats,
  type DrachtioServerTimers,
  startDrachtioServerPeer,
  type WireRecord,
} from './server.js';
export { formatNameAddr, stackTime, stampTopVia } from './sip-text.js';
