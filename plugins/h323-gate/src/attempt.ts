import { type Guard, type H323Attempt, parseIp, type Verdict } from '@ghostguard/core';
import { decodeSetupAttempt } from '@ghostguard/core/h323';
import { type Call, closedWithoutVerdict, type GateContext } from './context.js';
import type { FirstFrame } from './first-frame.js';

/** The adapter name the gate's attempts carry. */
export const ADAPTER = 'h323-gate';

/** Q.931 protocol discriminator and the SETUP message type (Q.931 §4.2, §4.4). */
const Q931_DISCRIMINATOR = 0x08;
const Q931_SETUP = 0x05;
/** The attempt schema's bounds on anomalies. */
const MAX_ANOMALIES = 8;
const MAX_ANOMALY_LENGTH = 200;

/** Canonical source text: IPv4-mapped IPv6 (`::ffff:192.0.2.1`, from a dual-stack listener) becomes IPv4. */
export function sourceIp(remote: string): string {
  return parseIp(remote)?.text ?? remote;
}

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

/** A first message that says SETUP: the gate judges it. */
export type SetupMessage = Exclude<FirstMessage, { kind: 'not-setup' }>;

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
      adapter: ADAPTER,
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

/**
 * The guard's verdict on a first message that says SETUP. One read whole or in part is judged by every rule
 * (`anomalies`, what was not read, is scored as `input.undecodable`); one whose Q.931 header did not decode
 * goes to judgeMalformed, scored the same and never let through for being unreadable.
 */
export function judgeSetup(
  guard: Guard,
  message: SetupMessage,
  source: { ip: string; port: number },
  time: number,
): Verdict {
  if (message.kind === 'setup') return guard.judge(message.attempt);
  return guard.judgeMalformed({
    protocol: 'h323',
    method: 'SETUP',
    source: { ip: source.ip, port: source.port, transport: 'tcp' },
    time,
    detail: `undecodable SETUP: ${message.detail}`,
    adapter: ADAPTER,
  });
}

/** A judged SETUP: what enforce() needs to carry the verdict out. */
export interface JudgedSetup {
  verdict: Verdict;
  /** Undefined for a SETUP whose Q.931 header did not decode. */
  attempt: H323Attempt | undefined;
  callReference: number | undefined;
  /** Every byte read from the caller, for a byte-exact relay. */
  raw: Buffer;
}

/**
 * How a connection's first frame ended → the judged SETUP, counted (`judged`, `malformed`). Anything else (not
 * a SETUP, a timeout, an oversized or unfinished frame) is counted under its reason, logged (throttled) and
 * closed without a verdict: undefined.
 */
export function judgeFirstFrame(ctx: GateContext, call: Call, first: FirstFrame): JudgedSetup | undefined {
  const { stats } = ctx;
  if (first.kind !== 'frame') {
    if (first.kind === 'timeout') stats.firstFrameTimeouts++;
    else if (first.kind === 'too-large') stats.oversized++;
    else if (first.kind === 'not-tpkt') stats.notSetup++;
    else stats.closedBeforeSetup++;
    closedWithoutVerdict(
      ctx,
      ctx.throttles.notSetup,
      'info',
      { event: 'h323-not-setup', source: call.ip, port: call.port, kind: first.kind, bytes: first.bytes },
      `closed before a SETUP: ${first.kind}${'detail' in first ? ` (${first.detail})` : ''}`,
    );
    call.socket.destroy();
    return undefined;
  }
  const s = call.socket;
  const time = Date.now();
  const message = classifyFirstMessage(
    first.payload,
    {
      source: { ip: call.ip, port: call.port },
      ...(s.localAddress !== undefined ? { local: { ip: sourceIp(s.localAddress), port: s.localPort } } : {}),
      time,
    },
    first.trailing,
  );
  if (message.kind === 'not-setup') {
    stats.notSetup++;
    closedWithoutVerdict(
      ctx,
      ctx.throttles.notSetup,
      'info',
      { event: 'h323-not-setup', source: call.ip, port: call.port, kind: 'not-setup', bytes: first.raw.length },
      `closed before a SETUP: ${message.detail}`,
    );
    s.destroy();
    return undefined;
  }
  if (message.kind === 'undecodable-setup') {
    stats.malformed++;
    stats.unreadableSetups++;
  } else if (message.attempt.anomalies !== undefined) {
    stats.malformed++;
  }
  const verdict = judgeSetup(ctx.options.guard, message, call, time);
  stats.judged++;
  return {
    verdict,
    attempt: message.kind === 'setup' ? message.attempt : undefined,
    callReference: message.callReference,
    raw: first.raw,
  };
}
