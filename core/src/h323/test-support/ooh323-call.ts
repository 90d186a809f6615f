import { readCapture } from '../../capture/index.js';
import { readFixture } from '../../capture/test-support/shared-fixtures.js';
import { TpktFramer } from '../tpkt.js';

/** The recorded chan_ooh323 call (../shared/fixtures/h323): every TPKT payload on port 1720, in order. */
export interface RecordedMessage {
  /** true: caller → called side (port 1720). */
  toCalled: boolean;
  /** The TPKT payload (Q.931 message). */
  payload: Uint8Array;
  /** The whole TPKT frame as sent. */
  frame: Uint8Array;
}

export const OOH323_CAPTURE = 'h323/ooh323-call-via-asterisk.pcap';

export function recordedOoh323Messages(): RecordedMessage[] {
  const framers = new Map<boolean, TpktFramer>([
    [true, new TpktFramer()],
    [false, new TpktFramer()],
  ]);
  const out: RecordedMessage[] = [];
  for (const e of readCapture(readFixture(OOH323_CAPTURE)).events) {
    if (e.kind !== 'tcp' || (e.dst.port !== 1720 && e.src.port !== 1720)) continue;
    const toCalled = e.dst.port === 1720;
    for (const payload of framers.get(toCalled)!.push(e.payload)) {
      const frame = new Uint8Array(payload.length + 4);
      frame.set([3, 0, frame.length >> 8, frame.length & 0xff]);
      frame.set(payload, 4);
      out.push({ toCalled, payload, frame });
    }
  }
  return out;
}

/** The recorded SETUP's TPKT payload. */
export function recordedSetup(): Uint8Array {
  const setup = recordedOoh323Messages()[0];
  if (setup === undefined || setup.payload[4] !== 0x05)
    throw new Error(`${OOH323_CAPTURE}: first message is not a SETUP`);
  return setup.payload;
}
