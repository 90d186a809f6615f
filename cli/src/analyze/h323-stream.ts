import { type Endpoint, isGhostguardError, type MalformedRequest, placeholderAttempt } from '@ghostguard/core';
import { decodeSetupAttempt, TpktFramer } from '@ghostguard/core/h323';
import type { InputRecord } from './records.js';

const ADAPTER = 'analyze';
/** Q.931 protocol discriminator and the SETUP message type (Q.931 §4.2, §4.4). */
const Q931_DISCRIMINATOR = 0x08;
const Q931_SETUP = 0x05;

export interface H323StreamContext {
  source: Endpoint;
  local: Partial<Endpoint>;
  time: number;
}

/**
 * Whether a payload whose Q.931 header did not decode at least starts like a SETUP (discriminator, a call
 * reference of 0–15 octets, the SETUP message type): the same test the H.323 gate makes
 * (plugins/h323-gate/src/attempt.ts startsLikeSetup), so a broken SETUP is judged here as it is there.
 */
function startsLikeSetup(payload: Uint8Array): boolean {
  if (payload.length < 3 || payload[0] !== Q931_DISCRIMINATOR) return false;
  const crLength = payload[1]! & 0x0f;
  return payload[2 + crLength] === Q931_SETUP;
}

/**
 * One TPKT frame of H.323 call signalling as the H.323 gate reads a connection's first frame
 * (plugins/h323-gate/src/attempt.ts classifyFirstMessage): a SETUP whose Q.931 header decodes is an attempt
 * (what could not be read in its anomalies), one whose header does not is judged as the gate judges it
 * (judgeMalformed, `undecodable SETUP: …`), any other Q.931 message is not judged (`h323-other`), and a payload
 * that is not Q.931 at all is H.245 tunnelled on its own (`h245`).
 */
export function h323FrameRecord(payload: Uint8Array, ctx: H323StreamContext): InputRecord {
  try {
    const attempt = decodeSetupAttempt(payload, {
      source: { ...ctx.source, transport: 'tcp' },
      local: ctx.local,
      time: ctx.time,
      adapter: ADAPTER,
    });
    return { kind: 'attempt', attempt };
  } catch (err) {
    if (!isGhostguardError(err)) throw err;
    if (!startsLikeSetup(payload)) {
      return { kind: 'not-judged', reason: payload[0] === Q931_DISCRIMINATOR ? 'h323-other' : 'h245' };
    }
    const malformed: MalformedRequest = {
      protocol: 'h323',
      method: 'SETUP',
      source: { ...ctx.source, transport: 'tcp' },
      local: ctx.local,
      time: ctx.time,
      detail: `undecodable SETUP: ${err.message}`,
      adapter: ADAPTER,
    };
    return { kind: 'undecodable', malformed, attempt: placeholderAttempt(malformed) };
  }
}

/**
 * One direction of a TCP connection carrying H.323 call signalling: TPKT frames reassembled across segments,
 * each read by h323FrameRecord. A direction whose bytes stop being TPKT is given up (`non-sip-stream`, once),
 * as the gate closes a connection whose first bytes are not TPKT.
 */
export class H323StreamReader {
  private readonly framer = new TpktFramer();
  private failed = false;

  *push(bytes: Uint8Array, ctx: H323StreamContext): Generator<InputRecord> {
    if (this.failed) return;
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(bytes);
    } catch (err) {
      if (!isGhostguardError(err)) throw err;
      this.failed = true;
      yield { kind: 'not-judged', reason: 'non-sip-stream' };
      return;
    }
    for (const f of frames) yield h323FrameRecord(f, ctx);
  }
}
