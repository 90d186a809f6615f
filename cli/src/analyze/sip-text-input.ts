import { StringDecoder } from 'node:string_decoder';
import { GhostguardError, parseIp } from '@ghostguard/core';
import { parseSipMessage, parseVia, SIP_STREAM_MAX_BUFFERED_BYTES, SipStreamFramer } from '@ghostguard/core/sip';
import type { InputRecord } from './records.js';
import { SipPayloadReader } from './sip-payload.js';

/**
 * Plain SIP text, read as it arrives. Two shapes:
 *  - blocks headed `===== request t=<seconds> <src ip>:<port> -> <dst ip>:<port> =====` (the format of the
 *    recorded fixtures: addresses and relative times come from the heading; `response` blocks are skipped);
 *  - bare messages one after another (Content-Length framed): the source is the topmost Via's sent-by,
 *    the only address a text file carries, and times count up by 1 ms.
 * The first line that is neither blank nor a `#` comment tells which: a block heading, or anything else (a
 * message's start line). Messages and records are the same as when the whole text was read at once
 * (test-support/whole-sip-text.ts, compared in sip-text-input.test.ts).
 */
const BLOCK_HEADING = /^===== (request|response) t=(\d+(?:\.\d+)?) (\S+) -> (\S+) =====\r?$/;

/**
 * Most characters held at once: one block (a SIP message is at most 64 KB, SIP_MAX_MESSAGE_BYTES, plus the
 * blank lines around it), one unfinished line, or the comments before the first message. A block past it is not
 * one SIP message: the input stops there (GG_INPUT_FORMAT with the block's offset).
 */
export const MAX_SIP_TEXT_HELD_CHARS = 1024 * 1024;

/** `1.2.3.4:5060`, `[2001:db8::1]:5060` or a bare address, as a heading writes them. */
export function splitHostPort(text: string): { ip: string; port?: number } | undefined {
  const m = /^\[?([^\]]+?)\]?:(\d{1,5})$/.exec(text);
  const ip = parseIp(m ? m[1]! : text);
  if (!ip) return undefined;
  return m ? { ip: ip.text, port: Number(m[2]) } : { ip: ip.text };
}

/** Drops the blank lines a block format adds between a message and the next heading. */
export function trimBlock(text: string): string {
  const headEnd = text.search(/\r?\n\r?\n/);
  if (headEnd < 0) return text;
  const m = /^content-length:\s*(\d+)/im.exec(text.slice(0, headEnd));
  const sepLen = text.startsWith('\r\n', headEnd) ? 4 : 2;
  if (!m) return text.slice(0, headEnd + sepLen);
  return text.slice(0, headEnd + sepLen + Number(m[1]));
}

/** SIP text held whole in a string (tests, the demo): the same records as streaming it. */
export function* sipTextRecords(text: string): Generator<InputRecord> {
  const splitter = new SipTextSplitter();
  yield* splitter.push(Buffer.from(text, 'utf8'));
  yield* splitter.end();
}

interface OpenBlock {
  heading: RegExpExecArray;
  /** Byte offset of the heading line in the input. */
  offset: number;
}

/**
 * SIP text pushed in chunks of any size: holds at most one block, or one unfinished line, or (bare messages) what
 * the SIP framer holds of one unfinished message plus its last 64 KB of input; records come out as soon as a
 * block or message is complete.
 */
export class SipTextSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private readonly sip = new SipPayloadReader();
  private mode: 'blocks' | 'bare' | undefined;
  /** The unfinished last line (blocks, or before the shape is known). */
  private carry = '';
  /** Byte offset of `carry` in the input. */
  private offset = 0;
  /** Blank and comment lines before the first message (bare messages get them too, as before). */
  private preamble = '';
  private block: OpenBlock | undefined;
  /** The open request block's text after its heading line (a response block's is not kept). */
  private body = '';
  private readonly framer = new SipStreamFramer();
  /** A CR at the end of the last text, waiting to see whether an LF follows (CRLF stays CRLF, LF becomes CRLF). */
  private pendingCr = false;
  /** The last bytes given to the framer: where an unfinished message at the end is taken from. */
  private tail: Uint8Array = new Uint8Array(0);
  private time = 0;
  /** Most characters this splitter held at once (for tests: bounded by MAX_SIP_TEXT_HELD_CHARS + a chunk). */
  maxHeldChars = 0;

  *push(chunk: Uint8Array): Generator<InputRecord> {
    yield* this.text(this.decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)), false);
  }

  *end(): Generator<InputRecord> {
    yield* this.text(this.decoder.end(), true);
    if (this.mode === undefined) {
      // Only comments and blank lines (or no line end at all): read as bare text, as before.
      this.mode = 'bare';
      const rest = this.preamble + this.carry;
      this.preamble = '';
      this.carry = '';
      yield* this.bare(rest, true);
    }
    if (this.mode === 'blocks') {
      if (this.block !== undefined) this.body += this.carry;
      this.carry = '';
      yield* this.closeBlock();
      return;
    }
    // A final message without Content-Length and without a trailing blank line is still a message.
    const held = this.framer.bufferedBytes;
    if (held > 0) yield this.bareMessage(this.tail.subarray(this.tail.length - held));
  }

  private *text(text: string, final: boolean): Generator<InputRecord> {
    if (this.mode === 'bare') {
      yield* this.bare(text, final);
      return;
    }
    let from = 0;
    let nl = text.indexOf('\n');
    while (nl !== -1) {
      const line = this.carry + text.slice(from, nl);
      this.carry = '';
      const lineOffset = this.offset;
      this.offset += Buffer.byteLength(line, 'utf8') + 1;
      from = nl + 1;
      if (this.mode === undefined) {
        if (line.trim() === '' || line.startsWith('#')) {
          this.preamble += `${line}\n`;
          this.hold(lineOffset);
          nl = text.indexOf('\n', from);
          continue;
        }
        if (!BLOCK_HEADING.test(line)) {
          // Bare messages: everything from the start, comments included, goes to the framer.
          this.mode = 'bare';
          const rest = `${this.preamble}${line}\n${text.slice(from)}`;
          this.preamble = '';
          yield* this.bare(rest, final);
          return;
        }
        this.mode = 'blocks';
        this.preamble = '';
      }
      const heading = BLOCK_HEADING.exec(line);
      if (heading !== null) {
        yield* this.closeBlock();
        this.block = { heading, offset: lineOffset };
        if (heading[1] === 'response') yield { kind: 'not-judged', reason: 'response' };
      } else if (this.block?.heading[1] === 'request') {
        this.body += `${line}\n`;
        this.hold(this.block.offset);
      }
      nl = text.indexOf('\n', from);
    }
    this.carry += text.slice(from);
    this.hold(this.block?.offset ?? this.offset);
    if (this.mode === undefined && this.preamble.length + this.carry.length > MAX_SIP_TEXT_HELD_CHARS) {
      // No message start in sight: bare text it is (the framer bounds what it holds).
      this.mode = 'bare';
      const rest = this.preamble + this.carry;
      this.preamble = '';
      this.carry = '';
      yield* this.bare(rest, final);
    }
  }

  /** Checks what is held against the cap; `offset` names where the held text starts. */
  private hold(offset: number): void {
    const held = this.carry.length + this.body.length;
    if (held + this.preamble.length > this.maxHeldChars) this.maxHeldChars = held + this.preamble.length;
    if (this.mode === 'blocks' && held > MAX_SIP_TEXT_HELD_CHARS) {
      throw new GhostguardError(
        'GG_INPUT_FORMAT',
        `a block of more than ${MAX_SIP_TEXT_HELD_CHARS} characters is not one SIP message`,
        { offset },
      );
    }
  }

  /** The open block's record (a request's; a response's was counted at its heading). */
  private *closeBlock(): Generator<InputRecord> {
    const block = this.block;
    const body = this.body;
    this.block = undefined;
    this.body = '';
    if (block === undefined || block.heading[1] === 'response') return;
    const h = block.heading;
    const src = splitHostPort(h[3]!);
    const dst = splitHostPort(h[4]!);
    if (!src) {
      throw new GhostguardError('GG_INPUT_FORMAT', `bad source address ${JSON.stringify(h[3])} in block heading`, {
        offset: block.offset,
      });
    }
    yield this.sip.read(Buffer.from(trimBlock(body.replace(/^\r?\n/, '')), 'utf8'), {
      source: { ...src, transport: 'udp' },
      ...(dst ? { local: dst } : {}),
      time: Number(h[2]) * 1000,
    });
  }

  /** Bare text: line ends made CRLF, cut into messages by Content-Length as SIP over TCP is. */
  private *bare(text: string, final: boolean): Generator<InputRecord> {
    let t = this.pendingCr ? `\r${text}` : text;
    this.pendingCr = !final && t.endsWith('\r');
    if (this.pendingCr) t = t.slice(0, -1);
    if (t === '') return;
    const bytes = Buffer.from(t.replace(/\r?\n/g, '\r\n'), 'utf8');
    this.remember(bytes);
    for (const m of this.framer.push(bytes)) yield this.bareMessage(m);
  }

  /** Keeps the last SIP_STREAM_MAX_BUFFERED_BYTES given to the framer (it never holds more). */
  private remember(bytes: Uint8Array): void {
    const max = SIP_STREAM_MAX_BUFFERED_BYTES;
    if (bytes.length >= max) {
      this.tail = bytes.slice(bytes.length - max);
      return;
    }
    const keep = this.tail.subarray(Math.max(0, this.tail.length - (max - bytes.length)));
    const tail = new Uint8Array(keep.length + bytes.length);
    tail.set(keep);
    tail.set(bytes, keep.length);
    this.tail = tail;
  }

  private bareMessage(m: Uint8Array): InputRecord {
    return this.sip.read(m, { source: { ...viaSource(m), transport: 'udp' }, time: this.time++ });
  }
}

/**
 * A bare message's source: its topmost Via's sent-by (the only address a text file carries), or 0.0.0.0 when there
 * is none or the message does not parse (left to the reader, which classifies it as malformed).
 */
export function viaSource(m: Uint8Array): { ip: string; port?: number } {
  try {
    const via = parseSipMessage(m).headers.get('via');
    const sentBy = via ? parseVia(via)?.sentBy : undefined;
    const addr = sentBy ? splitHostPort(sentBy) : undefined;
    if (addr) return addr;
  } catch {
    // not a SIP message: 0.0.0.0
  }
  return { ip: '0.0.0.0' };
}
