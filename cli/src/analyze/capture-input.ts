import { isGhostguardError } from '@ghostguard/core';
import { type CaptureEvent, H323_RAS_PORT, readCapture, tcpStreamKind } from '@ghostguard/core/capture';
import { SipStreamFramer } from '@ghostguard/core/sip';
import { H323StreamReader } from './h323-stream.js';
import type { InputRecord } from './records.js';
import { SipPayloadReader } from './sip-payload.js';

/**
 * One direction of a TCP connection: SIP over TCP, H.323 call signalling (TPKT + Q.931), H.245 (TPKT, counted
 * once per direction) or `null` once it turned out to be none of them.
 */
type FlowState =
  | { kind: 'sip'; framer: SipStreamFramer; sawSip: boolean }
  | { kind: 'h323'; reader: H323StreamReader }
  | { kind: 'tpkt' }
  | null;

/**
 * Turns transport events of a capture into input records: SIP over UDP and TCP, H.323 call signalling over TCP
 * (every SETUP judged, its source from the IP header), RAS on UDP 1719 counted. Holds per-direction state only
 * while a connection is open (its end event forgets it).
 */
/** Directions of TCP connections remembered at once; past it the oldest is forgotten (one without an end seen). */
const MAX_FLOWS = 65_536;

export class CaptureRecordReader {
  private readonly sip = new SipPayloadReader();
  private readonly flows = new Map<string, FlowState>();

  *read(ev: CaptureEvent): Generator<InputRecord> {
    if (ev.kind === 'udp') {
      if (ev.src.port === H323_RAS_PORT || ev.dst.port === H323_RAS_PORT) {
        yield { kind: 'not-judged', reason: 'h323-ras' };
        return;
      }
      yield this.sip.read(ev.payload, {
        source: { ip: ev.src.ip, port: ev.src.port, transport: 'udp' },
        local: { ip: ev.dst.ip, port: ev.dst.port },
        time: ev.time,
      });
      return;
    }
    const key = `${ev.connection}|${ev.src.ip}|${ev.src.port}`;
    if (ev.kind === 'tcp-end') {
      this.flows.delete(key);
      return;
    }
    let flow = this.flows.get(key);
    if (flow === null) return;
    if (flow === undefined) {
      const kind = tcpStreamKind(ev.payload, ev.src.port, ev.dst.port);
      flow =
        kind === 'h323-call-signalling'
          ? { kind: 'h323', reader: new H323StreamReader() }
          : kind === 'tpkt'
            ? { kind: 'tpkt' }
            : { kind: 'sip', framer: new SipStreamFramer(), sawSip: false };
      this.flows.set(key, flow);
      if (this.flows.size > MAX_FLOWS) this.flows.delete(this.flows.keys().next().value!);
      if (flow.kind === 'tpkt') {
        yield { kind: 'not-judged', reason: 'h245' };
        return;
      }
    }
    const ctx = {
      source: { ip: ev.src.ip, port: ev.src.port, transport: 'tcp' as const },
      local: { ip: ev.dst.ip, port: ev.dst.port },
      time: ev.time,
    };
    if (flow.kind === 'tpkt') return;
    if (flow.kind === 'h323') {
      yield* flow.reader.push(ev.payload, ctx);
      return;
    }
    let messages: Uint8Array[];
    try {
      messages = flow.framer.push(ev.payload);
    } catch (err) {
      if (!isGhostguardError(err)) throw err;
      this.flows.set(key, null);
      yield { kind: 'not-judged', reason: 'non-sip-stream' };
      return;
    }
    for (const m of messages) {
      const rec = this.sip.read(m, ctx);
      // The first message of a direction decides whether the stream is SIP at all (AMI and ESL are not).
      if (!flow.sawSip && rec.kind === 'not-judged' && rec.reason === 'malformed-sip') {
        this.flows.set(key, null);
        yield { kind: 'not-judged', reason: 'non-sip-stream' };
        break;
      }
      flow.sawSip = true;
      yield rec;
    }
  }
}

/** Reads a whole pcap/pcapng file held in memory (tests; the CLI streams files through readCaptureStream). */
export function* captureRecords(bytes: Uint8Array): Generator<InputRecord> {
  const reader = new CaptureRecordReader();
  for (const ev of readCapture(bytes).events) yield* reader.read(ev);
}
