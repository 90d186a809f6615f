import { Buffer } from 'node:buffer';
import { type Endpoint, isGhostguardError, type MalformedRequest, placeholderAttempt } from '@ghostguard/core';
import { parseSipMessage, SIP_MAX_MESSAGE_BYTES, sipRequestToAttempt } from '@ghostguard/core/sip';
import type { InputRecord } from './records.js';

/** Methods that never start anything: they belong to an INVITE transaction already judged. */
const TRANSACTION_FOLLOWERS = new Set(['ACK', 'CANCEL']);
const RETRANSMISSION_MEMORY = 4096;
const ADAPTER = 'analyze';
const MAX_METHOD_LENGTH = 32;
/** Bytes of an undecodable request that identify a retransmission of it (which is byte-identical). */
const RETRANSMISSION_KEY_BYTES = 512;
/**
 * A request line as drachtio-srf reads one (lib/sip-parser/parser.js parseRequest): method token, a Request-URI
 * of any non-blank characters, `SIP/x.y`. What matches reaches a drachtio app even where the core's stricter
 * parser gives up, so the live guard judges it with judgeMalformed; what does not is not a SIP request at all.
 */
const REQUEST_LINE = /^([!%'*+\-.0-9A-Z_`a-z~]+)[ \t]+\S+[ \t]+SIP[ \t]*\/[ \t]*\d+\.\d+/;

/**
 * Turns SIP bytes seen on the wire into input records: one attempt per out-of-dialog request,
 * skipping responses, in-dialog requests and retransmissions the way a SIP stack would.
 */
export class SipPayloadReader {
  private readonly seen = new Set<string>();

  read(payload: Uint8Array, ctx: { source: Endpoint; local?: Partial<Endpoint>; time: number }): InputRecord {
    let msg: ReturnType<typeof parseSipMessage>;
    try {
      msg = parseSipMessage(payload);
    } catch (err) {
      if (isGhostguardError(err)) return this.undecodable(payload, ctx, err.message);
      throw err;
    }
    if (msg.kind === 'response') return { kind: 'not-judged', reason: 'response' };
    const attempt = sipRequestToAttempt(msg, { ...ctx, adapter: ADAPTER });
    if (TRANSACTION_FOLLOWERS.has(attempt.method) || attempt.sip.toTag !== undefined) {
      return { kind: 'not-judged', reason: 'in-dialog' };
    }
    const key = `${ctx.source.ip}|${ctx.source.port}|${attempt.callId}|${attempt.sip.cseq?.seq}|${attempt.sip.viaBranch}`;
    if (this.seen.has(key)) return { kind: 'not-judged', reason: 'retransmission' };
    this.remember(key);
    return { kind: 'attempt', attempt };
  }

  /**
   * Keeps the key as a string of its own: its parts are cut from the message's text, which a kept key would keep
   * alive (4096 message heads, promoted to the old generation and dropped again at every clear: measured as most of
   * what a large capture's reader promoted).
   */
  private remember(key: string): void {
    if (this.seen.size >= RETRANSMISSION_MEMORY) this.seen.clear();
    this.seen.add(Buffer.from(key, 'utf8').toString('utf8'));
  }

  /**
   * Bytes the core's parser gave up on: a request line as a SIP stack reads one makes it a request the live guard
   * judges (the MalformedRequest of the drachtio plugin: protocol, method, source, time, detail); anything else
   * is not SIP.
   */
  private undecodable(
    payload: Uint8Array,
    ctx: { source: Endpoint; local?: Partial<Endpoint>; time: number },
    detail: string,
  ): InputRecord {
    const method = requestLineMethod(payload);
    if (method === undefined) return { kind: 'not-judged', reason: 'malformed-sip' };
    if (TRANSACTION_FOLLOWERS.has(method)) return { kind: 'not-judged', reason: 'in-dialog' };
    const head = Buffer.from(payload.buffer, payload.byteOffset, Math.min(payload.length, RETRANSMISSION_KEY_BYTES));
    const key = `undecodable|${ctx.source.ip}|${ctx.source.port}|${payload.length}|${head.toString('latin1')}`;
    if (this.seen.has(key)) return { kind: 'not-judged', reason: 'retransmission' };
    this.remember(key);
    const malformed: MalformedRequest = {
      protocol: 'sip',
      method,
      source: ctx.source,
      time: ctx.time,
      detail,
      adapter: ADAPTER,
    };
    if (ctx.local !== undefined) malformed.local = ctx.local;
    return { kind: 'undecodable', malformed, attempt: placeholderAttempt(malformed) };
  }
}

/** The method of a SIP request line at the start of the bytes (after CRLFs), or undefined. */
function requestLineMethod(payload: Uint8Array): string | undefined {
  let start = 0;
  while (start < payload.length && (payload[start] === 13 || payload[start] === 10)) start++;
  const window = payload.subarray(start, Math.min(payload.length, start + SIP_MAX_MESSAGE_BYTES));
  const lf = window.indexOf(10);
  const line = Buffer.from(window.buffer, window.byteOffset, lf === -1 ? window.length : lf).toString('latin1');
  const m = REQUEST_LINE.exec(line);
  return m === null ? undefined : m[1]!.slice(0, MAX_METHOD_LENGTH);
}
