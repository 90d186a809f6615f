/**
 * Test peers for the gate's own tests, exported as `@ghostguard/h323-gate/testing`: the stand-in room system
 * and the caller live in `@ghostguard/stand-ins/h323` (the demo and the bench use them from there too).
 */
import { waitUntil as coreWaitUntil } from '@ghostguard/core/testing';

export {
  type Caller,
  type DialOptions,
  dial,
  type RoomCall,
  type StandInRoom,
  type StandInRoomOptions,
  startStandInRoom,
} from '@ghostguard/stand-ins/h323';

/** The core's bounded wait, 2 s by default, polling every 2 ms. */
export function waitUntil(predicate: () => boolean, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  return coreWaitUntil(predicate, timeoutMs, what, 2);
}
