/**
 * `@ghostguard/stand-ins/h323`: a stand-in room system behind an H.323 gate (records what reaches it, answers
 * as told) and a caller that dials the gate and collects its answers. Used by the gate's tests (through
 * `@ghostguard/h323-gate/testing`), the daemon's tests, `pnpm bench` and `pnpm demo`.
 */
export { waitUntil } from '../wait-until.js';
export { type Caller, type DialOptions, dial } from './caller.js';
export { type RoomCall, type StandInRoom, type StandInRoomOptions, startStandInRoom } from './stand-in-room.js';
