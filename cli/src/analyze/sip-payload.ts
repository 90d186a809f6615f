import { type Endpoint, isGhostguardError } from '@ghostguard/core';
import { parseSipMessage, sipRequestToAttempt } from '@ghostguard/core/sip';
import type { InputRecord } from './records.js';

/** Methods that never start anything: they belong to an INVITE transaction already judged. */
const TRANSACTION_FOLLOWERS = new Set(['ACK', 'CANCEL']);
const RETRANSMISSION_MEMORY = 4096;

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
      if (isGhostguardError(err)) return { kind: 'not-judged', reason: 'malformed-sip' };
      throw err;
    }
    if (msg.kind === 'response') return { kind: 'not-judged', reason: 'response' };
    const attempt = sipRequestToAttempt(msg, { ...ctx, adapter: 'analyze' });
    if (TRANSACTION_FOLLOWERS.has(attempt.method) || attempt.sip.toTag !== undefined) {
      return { kind: 'not-judged', reason: 'in-dialog' };
    }
    const key = `${ctx.source.ip}|${ctx.source.port}|${attempt.callId}|${attempt.sip.cseq?.seq}|${attempt.sip.viaBranch}`;
    if (this.seen.has(key)) return { kind: 'not-judged', reason: 'retransmission' };
    if (this.seen.size >= RETRANSMISSION_MEMORY) this.seen.clear();
    this.seen.add(key);
    return { kind: 'attempt', attempt };
  }
}
