import { isGhostguardError } from '@ghostguard/core';
import { readCapture } from '@ghostguard/core/capture';
import { SipStreamFramer } from '@ghostguard/core/sip';
import type { InputRecord } from './records.js';
import { SipPayloadReader } from './sip-payload.js';

/** SIP over TCP per direction of a connection; `null` marks a direction that turned out not to be SIP. */
type FlowState = { framer: SipStreamFramer; sawSip: boolean } | null;

/** Reads a pcap/pcapng file: SIP over UDP datagrams and reassembled TCP streams. */
export function* captureRecords(bytes: Uint8Array): Generator<InputRecord> {
  const capture = readCapture(bytes);
  const sip = new SipPayloadReader();
  const flows = new Map<string, FlowState>();
  for (const ev of capture.events) {
    if (ev.kind === 'udp') {
      yield sip.read(ev.payload, {
        source: { ip: ev.src.ip, port: ev.src.port, transport: 'udp' },
        local: { ip: ev.dst.ip, port: ev.dst.port },
        time: ev.time,
      });
      continue;
    }
    const key = `${ev.connection}|${ev.src.ip}|${ev.src.port}`;
    if (ev.kind === 'tcp-end') {
      flows.delete(key);
      continue;
    }
    let flow = flows.get(key);
    if (flow === null) continue;
    if (flow === undefined) {
      flow = { framer: new SipStreamFramer(), sawSip: false };
      flows.set(key, flow);
    }
    let messages: Uint8Array[];
    try {
      messages = flow.framer.push(ev.payload);
    } catch (err) {
      if (!isGhostguardError(err)) throw err;
      flows.set(key, null);
      yield { kind: 'not-judged', reason: 'non-sip-stream' };
      continue;
    }
    for (const m of messages) {
      const rec = sip.read(m, {
        source: { ip: ev.src.ip, port: ev.src.port, transport: 'tcp' },
        local: { ip: ev.dst.ip, port: ev.dst.port },
        time: ev.time,
      });
      // The first message of a direction decides whether the stream is SIP at all (AMI and ESL are not).
      if (!flow.sawSip && rec.kind === 'not-judged' && rec.reason === 'malformed-sip') {
        flows.set(key, null);
        yield { kind: 'not-judged', reason: 'non-sip-stream' };
        break;
      }
      flow.sawSip = true;
      yield rec;
    }
  }
}
