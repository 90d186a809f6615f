import type { H323Attempt } from '@ghostguard/core';
import { decodeQ931, decodeSetupAttempt } from '@ghostguard/core/h323';

/** Q.931 protocol discriminator and the SETUP message type (Q.931 §4.2, §4.4). */
const Q931_DISCRIMINATOR = 0x08;
const Q931_SETUP = 0x05;

export interface SetupContext {
  source: { ip: string; port: number };
  local?: { ip?: string; port?: number };
  time: number;
}

/** What the first TPKT payload of a connection turned out to be. */
export type FirstMessage =
  | { kind: 'setup'; attempt: H323Attempt; callReference: number }
  /** A Q.931 message other than SETUP, or not Q.931 at all. */
  | { kind: 'not-setup'; detail: string }
  /** It says SETUP but does not decode: the guard's fail mode decides. */
  | { kind: 'undecodable-setup'; detail: string; callReference: number | undefined };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether a payload that the Q.931 decoder refused at least starts like a SETUP: discriminator, a call
 * reference of 0–15 octets, then the SETUP message type. Only to tell a broken SETUP (fail mode) from
 * something that never claimed to be one (closed and counted); everything else is the decoder's job.
 */
function startsLikeSetup(payload: Uint8Array): boolean {
  if (payload.length < 3 || payload[0] !== Q931_DISCRIMINATOR) return false;
  const crLength = payload[1]! & 0x0f;
  return payload[2 + crLength] === Q931_SETUP;
}

export function classifyFirstMessage(payload: Uint8Array, ctx: SetupContext): FirstMessage {
  let callReference: number | undefined;
  try {
    const q931 = decodeQ931(payload);
    if (q931.messageType !== Q931_SETUP) {
      return { kind: 'not-setup', detail: `Q.931 message type 0x${q931.messageType.toString(16)} instead of SETUP` };
    }
    callReference = q931.callReference;
  } catch (err) {
    if (!startsLikeSetup(payload)) return { kind: 'not-setup', detail: `not Q.931: ${messageOf(err)}` };
    return { kind: 'undecodable-setup', detail: messageOf(err), callReference: undefined };
  }
  try {
    const attempt = decodeSetupAttempt(payload, {
      source: { ip: ctx.source.ip, port: ctx.source.port, transport: 'tcp' },
      ...(ctx.local ? { local: ctx.local } : {}),
      time: ctx.time,
      adapter: 'h323-gate',
    });
    return { kind: 'setup', attempt, callReference };
  } catch (err) {
    return { kind: 'undecodable-setup', detail: messageOf(err), callReference };
  }
}
