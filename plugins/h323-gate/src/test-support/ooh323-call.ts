import { readFileSync } from 'node:fs';
import { readCapture } from '@ghostguard/core/capture';

/** The real chan_ooh323 call in `../__fixtures__/ooh323-call-via-asterisk.pcap` (see the README there). */
export interface RecordedCall {
  /** The caller's first TPKT frame, the SETUP, as sent (TPKT header included). */
  setup: Uint8Array;
  /** Everything the caller sent on its TCP 1720 connection, in order (SETUP, then Facility messages). */
  callerStream: Buffer;
  /** Everything the called side sent back (CallProceeding, Alerting, Facility, Connect, …, ReleaseComplete). */
  roomStream: Buffer;
  /** The called side's TCP payloads, one per segment as recorded. */
  roomSegments: Uint8Array[];
}

const PCAP = new URL('../__fixtures__/ooh323-call-via-asterisk.pcap', import.meta.url);

export function recordedOoh323Call(): RecordedCall {
  const capture = readCapture(readFileSync(PCAP));
  const toRoom: Uint8Array[] = [];
  const toCaller: Uint8Array[] = [];
  for (const e of capture.events) {
    if (e.kind !== 'tcp') continue;
    if (e.dst.port === 1720) toRoom.push(e.payload);
    else if (e.src.port === 1720) toCaller.push(e.payload);
  }
  const setup = toRoom[0];
  if (setup === undefined) throw new Error('ooh323 fixture: no TCP data to port 1720');
  return {
    setup: Uint8Array.from(setup),
    callerStream: Buffer.concat(toRoom),
    roomStream: Buffer.concat(toCaller),
    roomSegments: toCaller.map((p) => Uint8Array.from(p)),
  };
}
