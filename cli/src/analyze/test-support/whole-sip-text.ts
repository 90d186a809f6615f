import { GhostguardError } from '@ghostguard/core';
import { SipStreamFramer } from '@ghostguard/core/sip';
import type { InputRecord } from '../records.js';
import { SipPayloadReader } from '../sip-payload.js';
// the helpers are shared: the oracle is the old way of cutting the text, not of reading a heading or a Via
import { splitHostPort, trimBlock, viaSource } from '../sip-text-input.js';

/**
 * The SIP text reader as it was before it streamed (the whole text in one string), kept unchanged as the oracle
 * the streaming reader (../sip-text-input.ts) is compared with. Not used by the CLI.
 *
 * Plain SIP text. Two shapes:
 *  - blocks headed `===== request t=<seconds> <src ip>:<port> -> <dst ip>:<port> =====` (the format of the
 *    recorded fixtures: addresses and relative times come from the heading; `response` blocks are skipped);
 *  - bare messages one after another (Content-Length framed): the source is the topmost Via's sent-by,
 *    the only address a text file carries, and times count up by 1 ms.
 */
const BLOCK_HEADING = /^===== (request|response) t=(\d+(?:\.\d+)?) (\S+) -> (\S+) =====\r?$/gm;

export function* wholeSipTextRecords(text: string): Generator<InputRecord> {
  const sip = new SipPayloadReader();
  const headings = [...text.matchAll(BLOCK_HEADING)];
  if (headings.length === 0) {
    yield* bareMessages(text, sip);
    return;
  }
  for (let i = 0; i < headings.length; i++) {
    const h = headings[i]!;
    const start = h.index + h[0].length + 1;
    const end = i + 1 < headings.length ? headings[i + 1]!.index : text.length;
    if (h[1] === 'response') {
      yield { kind: 'not-judged', reason: 'response' };
      continue;
    }
    const src = splitHostPort(h[3]!);
    const dst = splitHostPort(h[4]!);
    if (!src) {
      throw new GhostguardError('GG_INPUT_FORMAT', `bad source address ${JSON.stringify(h[3])} in block heading`, {
        offset: h.index,
      });
    }
    const body = trimBlock(text.slice(start, end).replace(/^\r?\n/, ''));
    yield sip.read(Buffer.from(body, 'utf8'), {
      source: { ...src, transport: 'udp' },
      ...(dst ? { local: dst } : {}),
      time: Number(h[2]) * 1000,
    });
  }
}

function* bareMessages(text: string, sip: SipPayloadReader): Generator<InputRecord> {
  const framer = new SipStreamFramer();
  const bytes = Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');
  const messages = [...framer.push(bytes)];
  // A final message without Content-Length and without a trailing blank line is still a message.
  if (framer.bufferedBytes > 0) messages.push(bytes.subarray(bytes.length - framer.bufferedBytes));
  let time = 0;
  for (const m of messages) yield sip.read(m, { source: { ...viaSource(m), transport: 'udp' }, time: time++ });
}
