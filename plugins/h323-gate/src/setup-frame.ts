import type { H323Attempt } from '@ghostguard/core';
import { decodeSetupAttempt } from '@ghostguard/core/h323';

/** Q.931 protocol discriminator and the SETUP message type (Q.931 §4.2, §4.4). */
const Q931_DISCRIMINATOR = 0x08;
const Q931_SETUP = 0x05;
/** The attempt schema's bounds on anomalies. */
const MAX_ANOMALIES = 8;
const MAX_ANOMALY_LENGTH = 200;

export interface SetupContext {
  source: { ip: string; port: number };
  local?: { ip?: string; port?: number };
  time: number;
}

/** What the first TPKT payload of a connection turned out to be. */
export type FirstMessage =
  /**
   * A SETUP, read as far as it goes: `attempt.anomalies` names what could not be read (an H.225.0 UUIE that
   * does not decode, an IE length that lies, bytes after it that are not TPKT). Judged like any SETUP.
   */
  | { kind: 'setup'; attempt: H323Attempt; callReference: number }
  /** A Q.931 message other than SETUP, or not Q.931 at all. */
  | { kind: 'not-setup'; detail: string }
  /** It starts like a SETUP, but not even its Q.931 header decodes: scored as undecodable, nothing to read. */
  | { kind: 'undecodable-setup'; detail: string; callReference: undefined };

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Whether a payload whose Q.931 header did not decode at least starts like a SETUP: discriminator, a call
 * reference of 0–15 octets, then the SETUP message type. Only to tell a broken SETUP (judged as undecodable)
 * from something that never claimed to be one (closed and counted); everything else is the decoder's job.
 */
function startsLikeSetup(payload: Uint8Array): boolean {
  if (payload.length < 3 || payload[0] !== Q931_DISCRIMINATOR) return false;
  const crLength = payload[1]! & 0x0f;
  return payload[2 + crLength] === Q931_SETUP;
}

/**
 * Reads a connection's first TPKT payload. `after` describes bytes the caller sent after it, in the same
 * read, that are not TPKT: an anomaly of the SETUP (a real stack would take the SETUP; a prober pads it).
 */
export function classifyFirstMessage(
  payload: Uint8Array,
  ctx: SetupContext,
  after?: { bytes: number; detail: string },
): FirstMessage {
  const trailing =
    after === undefined ? undefined : `${after.bytes} bytes after the SETUP are not TPKT: ${after.detail}`;
  let attempt: H323Attempt;
  try {
    attempt = decodeSetupAttempt(payload, {
      source: { ip: ctx.source.ip, port: ctx.source.port, transport: 'tcp' },
      ...(ctx.local ? { local: ctx.local } : {}),
      time: ctx.time,
      adapter: 'h323-gate',
    });
  } catch (err) {
    // The decoder reads any SETUP whose Q.931 header decodes: what is left is another message (its type named
    // in the detail), something else, or a SETUP whose header does not decode.
    const detail = messageOf(err);
    if (!startsLikeSetup(payload)) return { kind: 'not-setup', detail };
    return {
      kind: 'undecodable-setup',
      detail: trailing === undefined ? detail : `${detail}; then ${trailing}`,
      callReference: undefined,
    };
  }
  if (trailing !== undefined) attempt = withAnomaly(attempt, trailing);
  return { kind: 'setup', attempt, callReference: attempt.h323.callReference };
}

/** The attempt with one more anomaly (a copy; within the schema's bounds). */
function withAnomaly(attempt: H323Attempt, text: string): H323Attempt {
  const list = [...(attempt.anomalies ?? [])].slice(0, MAX_ANOMALIES - 1);
  list.push(text.slice(0, MAX_ANOMALY_LENGTH));
  return { ...attempt, anomalies: list };
}
