import { Buffer } from 'node:buffer';
import { GhostguardError } from '../errors.js';
import { hasHighChar, latin1, latin1ToUtf8 } from './bytes.js';
import { parseContentLength } from './content-length.js';
import { canonicalHeaderName } from './header-names.js';
import { SipHeaders } from './headers.js';
import { CR, HT, isDigit, isLws, isToken, LF, parseBoundedInt, SP, skipLws, trimLws } from './tokens.js';

/** Largest message read: the bytes past it are not looked at (noted as an anomaly). */
export const SIP_MAX_MESSAGE_BYTES = 64 * 1024;
/** Header fields kept; past it only the ones the rules read are (SIP_RULES_READ_HEADERS), the others skipped. */
export const SIP_MAX_HEADERS = 128;
/** Longest start line or header field (after unfolding). */
export const SIP_MAX_HEADER_LINE_BYTES = 8 * 1024;
/** At most this many anomaly texts per message (the CallAttempt schema's limit), each at most 200 characters. */
export const SIP_MAX_ANOMALIES = 8;
/** Past `maxHeaders`, at most this many more fields the rules read are kept. */
const MAX_KEPT_PAST_CAP = 32;
const MAX_NAME_IN_NOTE = 40;

/**
 * Header fields the rules and the attempt mapping read (canonical names). Past `maxHeaders` they are still
 * kept, and over `maxHeaderLineBytes` kept clipped rather than skipped: padding put in front of them, or around
 * them, cannot hide them.
 */
export const SIP_RULES_READ_HEADERS: ReadonlySet<string> = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'contact',
  'user-agent',
  'max-forwards',
  'content-type',
  'content-length',
  'authorization',
  'proxy-authorization',
  'p-asserted-identity',
  'remote-party-id',
]);

export interface SipParseOptions {
  maxMessageBytes?: number;
  maxHeaders?: number;
  maxHeaderLineBytes?: number;
}

interface SipMessageBase {
  /** `SIP/2.0` as spelled in the start line. */
  readonly version: string;
  readonly headers: SipHeaders;
  /** Bytes after the empty line, at most Content-Length of them. A view into the input, not a copy. */
  readonly body: Uint8Array;
  /** The message ended early: no empty line after the headers, or fewer body bytes than Content-Length. */
  readonly truncated: boolean;
  /**
   * What the parser skipped or could not read: a header line with a NUL byte, header fields past the cap, an
   * over-long line, a second Content-Length that disagrees, the bytes past the message cap… Short texts (at most
   * SIP_MAX_ANOMALIES, each at most 200 characters; counts aggregated, one text per kind). Empty for a clean
   * message. Line numbers count the start line as line 1.
   */
  readonly anomalies: readonly string[];
}

export interface SipRequest extends SipMessageBase {
  readonly kind: 'request';
  readonly method: string;
  readonly requestUri: string;
}

export interface SipResponse extends SipMessageBase {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
}

export type SipMessage = SipRequest | SipResponse;

type StartLine =
  | { kind: 'request'; method: string; requestUri: string; version: string }
  | { kind: 'response'; status: number; reason: string; version: string };

const NO_ANOMALIES: readonly string[] = Object.freeze([]);

/** What happens to the header field being read. */
const KEEP = 0;
/** Kept, cut to the line cap (a field the rules read); further continuation lines are ignored. */
const CLIPPED = 1;
/** Over the line cap: skipped, noted when the field ends (its length is known then). */
const SKIP_LONG = 2;
/** Skipped and already noted (control character, no colon, invalid name, past the field cap). */
const SKIP = 3;

/**
 * Parses one SIP message (a UDP datagram, or a message cut out of a TCP stream by SipStreamFramer).
 * Lenient the way real stacks are, so that padding a real stack accepts cannot make a request unreadable:
 * bare LF line ends, folded headers, CRLFs before the start line, and, flagged `truncated`, a body shorter than
 * Content-Length or a head without its final empty line. Within hard caps (bounded work and memory whatever
 * the input): a header line with a control character, without a colon or with an invalid name, over
 * `maxHeaderLineBytes`, or past `maxHeaders` is skipped (the fields the rules read are kept: clipped, or past
 * the field cap); a message over `maxMessageBytes` is read up to the cap; a Content-Length that is not a number
 * is ignored, a second one that disagrees too. Each is noted in `anomalies`.
 * Throws GG_SIP_PARSE (with the byte offset) only when there is no start line or it is invalid (method,
 * Request-URI, version, status code, a control character in it), GG_SIP_TOO_LARGE for a start line over
 * `maxHeaderLineBytes`. No other exception escapes.
 */
export function parseSipMessage(input: Uint8Array | string, options: SipParseOptions = {}): SipMessage {
  const maxBytes = options.maxMessageBytes ?? SIP_MAX_MESSAGE_BYTES;
  const maxHeaders = options.maxHeaders ?? SIP_MAX_HEADERS;
  const maxLine = options.maxHeaderLineBytes ?? SIP_MAX_HEADER_LINE_BYTES;

  let oversize: string | undefined;
  let bytes: Uint8Array;
  if (typeof input !== 'string') {
    bytes = input;
  } else if (input.length > maxBytes) {
    // A string's UTF-8 form is never shorter than its UTF-16 length: cut before encoding, never encode it all.
    oversize = `message of over ${maxBytes} bytes: read the first ${maxBytes}`;
    bytes = Buffer.from(input.slice(0, maxBytes), 'utf8');
  } else {
    bytes = Buffer.from(input, 'utf8');
  }
  if (bytes.length > maxBytes) {
    oversize ??= `message of ${bytes.length} bytes: read the first ${maxBytes}`;
    bytes = bytes.subarray(0, Math.max(0, maxBytes));
  }

  const end = bytes.length;
  let pos = 0;
  // RFC 3261 §7.5: CRLFs before the start line are ignored.
  while (pos < end && (bytes[pos] === CR || bytes[pos] === LF)) pos++;
  if (pos === end) throw parseError('no start line', pos);

  const head = scanHead(bytes, pos);
  // latin1 view of the head only: one char per byte, so string indexes are byte offsets.
  const text = latin1(bytes, 0, head.headLimit);
  const headLimit = text.length;

  let nl = text.indexOf('\n', pos);
  let lineEnd = nl === -1 ? headLimit : nl;
  let contentEnd = lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
  // The start line says what the message is: a control character in it is not something to skip.
  let nextBad = head.firstBad;
  if (nextBad !== -1 && nextBad < lineEnd)
    throw parseError(`${controlName(bytes, nextBad)} in the start line`, nextBad);
  if (contentEnd - pos > maxLine) throw tooLarge(`start line longer than ${maxLine} bytes`, pos);
  const startLine = parseStartLine(text, pos, contentEnd, head.utf8);
  pos = lineEnd + 1;

  const headers = new SipHeaders();
  let notes: Notes | undefined;
  let lineNo = 1;
  let fieldCount = 0;
  let keptPastCap = 0;
  /** The field being read; undefined before the first one and after the last. */
  let name: string | undefined;
  let state = KEEP;
  let value = '';
  let fieldStart = 0;
  let fieldEnd = 0;
  let contentLength: number | undefined;
  /** Index of the first colon at or after some earlier line start (headLimit: none left). */
  let colon = -1;

  for (;;) {
    let continuation = false;
    if (pos < headLimit) {
      nl = text.indexOf('\n', pos);
      lineEnd = nl === -1 ? headLimit : nl;
      contentEnd = lineEnd > pos && text.charCodeAt(lineEnd - 1) === CR ? lineEnd - 1 : lineEnd;
      if (contentEnd === pos) {
        pos = headLimit; // only a lone CR closing a truncated head gets here
      } else {
        const first = text.charCodeAt(pos);
        continuation = first === SP || first === HT;
      }
    }
    if (!continuation && name !== undefined) {
      // The field before this line (or before the end of the head) is complete.
      if (state <= CLIPPED) {
        const stored = addField(headers, name, value, head.utf8);
        if ((name.length === 14 || name.length === 1) && canonicalHeaderName(name) === 'content-length') {
          const length = parseContentLength(stored);
          if (length === undefined) {
            notes ??= new Notes();
            notes.invalidLength++;
          } else if (contentLength === undefined) {
            contentLength = length;
          } else if (length !== contentLength) {
            // Two different lengths is a framing ambiguity (request smuggling): the first one frames the body.
            notes ??= new Notes();
            notes.conflictingLength++;
          }
        }
        if (state === CLIPPED) {
          notes ??= new Notes();
          notes.clipped(name, fieldEnd - fieldStart, maxLine);
        }
      } else if (state === SKIP_LONG) {
        notes ??= new Notes();
        notes.overLong(name, fieldEnd - fieldStart);
      }
      name = undefined;
    }
    if (pos >= headLimit) break;
    lineNo++;

    if (nextBad !== -1 && nextBad < lineEnd) {
      // A control character (NUL, ESC, a bare CR…): the line, and the field it belongs to, are skipped.
      notes ??= new Notes();
      notes.control(lineNo, controlName(bytes, nextBad));
      nextBad = findControl(bytes, lineEnd + 1, headLimit);
      if (!continuation) name = '';
      state = SKIP;
    } else if (continuation) {
      // Folded continuation: LWS across the line break reads as one SP.
      if (name === undefined) {
        notes ??= new Notes();
        notes.orphans++;
      } else if (state === KEEP) {
        // Values are kept without trailing LWS (cut from the flat head text), so appending never re-reads the
        // value built so far: folding stays linear however many continuation lines there are.
        const start = skipLws(text, pos);
        const stop = lwsEnd(text, start, contentEnd);
        if (stop > start) value = `${value} ${text.slice(start, stop)}`;
        fieldEnd = contentEnd;
        if (value.length > maxLine) {
          if (SIP_RULES_READ_HEADERS.has(canonicalHeaderName(name))) {
            value = value.slice(0, maxLine);
            state = CLIPPED;
          } else {
            state = SKIP_LONG;
          }
        }
      } else {
        fieldEnd = contentEnd;
      }
    } else {
      fieldStart = pos;
      fieldEnd = contentEnd;
      name = '';
      state = SKIP;
      if (colon < pos) {
        colon = text.indexOf(':', pos);
        if (colon === -1) colon = headLimit;
      }
      if (colon >= contentEnd) {
        notes ??= new Notes();
        notes.noColon++;
      } else {
        const fieldName = trimEndLws(text.slice(pos, colon));
        if (!isToken(fieldName)) {
          notes ??= new Notes();
          notes.badName++;
        } else if (
          ++fieldCount > maxHeaders &&
          (keptPastCap === MAX_KEPT_PAST_CAP || !SIP_RULES_READ_HEADERS.has(canonicalHeaderName(fieldName)))
        ) {
          notes ??= new Notes();
          notes.pastCap++;
        } else {
          if (fieldCount > maxHeaders) keptPastCap++;
          name = fieldName;
          if (contentEnd - pos <= maxLine) {
            value = text.slice(colon + 1, lwsEnd(text, colon + 1, contentEnd));
            state = KEEP;
          } else if (SIP_RULES_READ_HEADERS.has(canonicalHeaderName(fieldName))) {
            value = text.slice(colon + 1, colon + 1 + maxLine);
            state = CLIPPED;
          } else {
            state = SKIP_LONG;
          }
        }
      }
    }
    pos = lineEnd + 1;
  }

  let body: Uint8Array;
  let truncated: boolean;
  const bodyStart = head.bodyStart;
  if (bodyStart === -1) {
    body = bytes.subarray(end, end);
    truncated = true;
  } else {
    // Never sized by Content-Length: a view of what is there, at most that long.
    const available = end - bodyStart;
    const length = contentLength === undefined ? available : Math.min(contentLength, available);
    body = bytes.subarray(bodyStart, bodyStart + length);
    truncated = contentLength !== undefined && contentLength > available;
  }
  // Cut at the message cap: what was read ends early, whatever Content-Length says.
  if (oversize !== undefined) truncated = true;

  const anomalies =
    notes === undefined && oversize === undefined && fieldCount <= maxHeaders
      ? NO_ANOMALIES
      : anomalyTexts(notes ?? new Notes(), oversize, fieldCount, maxHeaders, maxLine);
  const version = startLine.version;
  return startLine.kind === 'request'
    ? {
        kind: 'request',
        method: startLine.method,
        requestUri: startLine.requestUri,
        version,
        headers,
        body,
        truncated,
        anomalies,
      }
    : {
        kind: 'response',
        status: startLine.status,
        reason: startLine.reason,
        version,
        headers,
        body,
        truncated,
        anomalies,
      };
}

/** Counts of what was skipped, with the first of each kind described. Built only when something was. */
class Notes {
  controlLines = 0;
  firstControl = '';
  overLongLines = 0;
  firstOverLongName = '';
  firstOverLongBytes = 0;
  clippedFields = 0;
  firstClipped = '';
  pastCap = 0;
  noColon = 0;
  badName = 0;
  orphans = 0;
  conflictingLength = 0;
  invalidLength = 0;

  control(lineNo: number, what: string): void {
    if (this.controlLines++ === 0) this.firstControl = `${what} in header line ${lineNo}`;
  }

  overLong(name: string, bytes: number): void {
    if (this.overLongLines++ === 0) {
      this.firstOverLongName = noteName(name);
      this.firstOverLongBytes = bytes;
    }
  }

  clipped(name: string, bytes: number, maxLine: number): void {
    if (this.clippedFields++ === 0) this.firstClipped = `${noteName(name)} of ${bytes} bytes clipped to ${maxLine}`;
  }
}

function anomalyTexts(
  n: Notes,
  oversize: string | undefined,
  fieldCount: number,
  maxHeaders: number,
  maxLine: number,
): readonly string[] {
  const out: string[] = [];
  if (oversize !== undefined) out.push(oversize);
  if (n.controlLines === 1) out.push(`${n.firstControl} skipped`);
  else if (n.controlLines > 1)
    out.push(`${n.controlLines} header lines with control characters skipped (first: ${n.firstControl})`);
  if (n.overLongLines === 1) out.push(`header line of ${n.firstOverLongBytes} bytes skipped (${n.firstOverLongName})`);
  else if (n.overLongLines > 1)
    out.push(
      `${n.overLongLines} header lines over ${maxLine} bytes skipped (first: ${n.firstOverLongName}, ${n.firstOverLongBytes} bytes)`,
    );
  if (fieldCount > maxHeaders)
    out.push(`${fieldCount} header fields past the cap of ${maxHeaders}: ${n.pastCap} skipped`);
  if (n.clippedFields === 1) out.push(`header field ${n.firstClipped}`);
  else if (n.clippedFields > 1) out.push(`${n.clippedFields} header fields clipped (first: ${n.firstClipped})`);
  if (n.conflictingLength > 0) out.push('conflicting Content-Length: kept the first');
  if (n.invalidLength > 0) out.push('invalid Content-Length ignored');
  const unreadable = n.noColon + n.badName + n.orphans;
  if (unreadable === 1) {
    out.push(
      n.noColon === 1
        ? 'header line without a colon skipped'
        : n.badName === 1
          ? 'header line with an invalid name skipped'
          : 'continuation line before any header field skipped',
    );
  } else if (unreadable > 1) {
    const kinds = [
      n.noColon > 0 ? `${n.noColon} without a colon` : '',
      n.badName > 0 ? `${n.badName} with an invalid name` : '',
      n.orphans > 0 ? `${n.orphans} continuation before any field` : '',
    ].filter((k) => k !== '');
    out.push(`${unreadable} unreadable header lines skipped (${kinds.join(', ')})`);
  }
  // At most eight kinds above; each text is short by construction (names are cut to MAX_NAME_IN_NOTE).
  return out.slice(0, SIP_MAX_ANOMALIES);
}

/** A header name for a note: a token (no control characters), cut short. */
function noteName(name: string): string {
  return name.length <= MAX_NAME_IN_NOTE ? name : `${name.slice(0, MAX_NAME_IN_NOTE)}…`;
}

interface HeadScan {
  /** Start of the empty line that ends the head. */
  headLimit: number;
  /** First body byte, or -1 when the input ends before an empty line. */
  bodyStart: number;
  /** The head holds bytes ≥ 0x80 (UTF-8 text to decode). */
  utf8: boolean;
  /** First control character in the head (C0 except HT/LF, DEL, a CR not ending a line), or -1. */
  firstBad: number;
}

/**
 * One pass over the head bytes: finds the first empty line ("\n\n" or "\n\r\n") and the first control
 * character (C0 except HT/LF, DEL, a CR not ending a line) before anything is built.
 * Bytes, not the latin1 string: indexing a Uint8Array is ~2.5x faster than charCodeAt here.
 */
function scanHead(bytes: Uint8Array, start: number): HeadScan {
  const end = bytes.length;
  let utf8 = false;
  let firstBad = -1;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c >= SP) {
      if (c < 0x7f) continue;
      if (c === 0x7f) {
        if (firstBad === -1) firstBad = i;
      } else {
        utf8 = true;
      }
    } else if (c === LF) {
      const next = bytes[i + 1];
      if (next === LF) return { headLimit: i + 1, bodyStart: i + 2, utf8, firstBad };
      if (next === CR && bytes[i + 2] === LF) return { headLimit: i + 1, bodyStart: i + 3, utf8, firstBad };
    } else if (c === CR) {
      // A CR must end a line; a lone one at the very end is a truncated CRLF.
      if (i + 1 < end && bytes[i + 1] !== LF && firstBad === -1) firstBad = i;
    } else if (c !== HT && firstBad === -1) {
      firstBad = i;
    }
  }
  return { headLimit: end, bodyStart: -1, utf8, firstBad };
}

/** The next control character (as scanHead defines them) in bytes[from, limit), or -1. */
function findControl(bytes: Uint8Array, from: number, limit: number): number {
  const end = bytes.length;
  for (let i = from; i < limit; i++) {
    const c = bytes[i]!;
    if (c >= SP) {
      if (c === 0x7f) return i;
    } else if (c === CR) {
      if (i + 1 < end && bytes[i + 1] !== LF) return i;
    } else if (c !== HT && c !== LF) {
      return i;
    }
  }
  return -1;
}

function controlName(bytes: Uint8Array, i: number): string {
  const c = bytes[i]!;
  if (c === 0) return 'NUL';
  if (c === CR) return 'bare CR';
  return `control character 0x${c.toString(16).padStart(2, '0')}`;
}

/** Appends one field (value trimmed, UTF-8 decoded when it has high bytes); returns the value stored. */
function addField(headers: SipHeaders, name: string, rawValue: string, utf8: boolean): string {
  const trimmed = trimLws(rawValue);
  const value = utf8 && hasHighChar(trimmed) ? latin1ToUtf8(trimmed) : trimmed;
  headers.append(name, value);
  return value;
}

function parseStartLine(text: string, start: number, end: number, utf8: boolean): StartLine {
  const firstEnd = tokenEnd(text, start, end);
  const first = text.slice(start, firstEnd);
  if (firstEnd - start >= 4 && first.slice(0, 4).toUpperCase() === 'SIP/') {
    if (!isSipVersion(first)) throw parseError('invalid SIP version', start);
    const codeStart = skipLws(text, firstEnd);
    const codeEnd = tokenEnd(text, codeStart, end);
    if (
      codeEnd - codeStart !== 3 ||
      !isDigit(text.charCodeAt(codeStart)) ||
      !isDigit(text.charCodeAt(codeStart + 1)) ||
      !isDigit(text.charCodeAt(codeStart + 2))
    ) {
      throw parseError('invalid status code', codeStart);
    }
    const status = parseBoundedInt(text.slice(codeStart, codeEnd), 999)!;
    if (status < 100 || status > 699) throw parseError('status code out of range', codeStart);
    const reason = trimLws(text.slice(codeEnd, end));
    return { kind: 'response', status, reason: utf8 ? latin1ToUtf8(reason) : reason, version: first };
  }

  if (!isToken(first)) throw parseError('invalid method', start);
  const uriStart = skipLws(text, firstEnd);
  const uriEnd = tokenEnd(text, uriStart, end);
  const requestUri = text.slice(uriStart, uriEnd);
  if (!hasScheme(requestUri)) throw parseError('invalid Request-URI', uriStart);
  const versionStart = skipLws(text, uriEnd);
  const versionEnd = tokenEnd(text, versionStart, end);
  const version = text.slice(versionStart, versionEnd);
  if (!isSipVersion(version)) throw parseError('invalid SIP version', versionStart);
  if (skipLws(text, versionEnd) !== end) throw parseError('unexpected text after SIP version', versionEnd);
  return { kind: 'request', method: first, requestUri: utf8 ? latin1ToUtf8(requestUri) : requestUri, version };
}

/** End of the run of non-LWS characters starting at `i`. */
function tokenEnd(text: string, i: number, end: number): number {
  while (i < end && !isLws(text.charCodeAt(i))) i++;
  return i;
}

/** SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, case-insensitive. */
function isSipVersion(s: string): boolean {
  if (s.length < 7 || s.length > 16 || s.slice(0, 4).toUpperCase() !== 'SIP/') return false;
  const dot = s.indexOf('.', 4);
  if (dot <= 4 || dot === s.length - 1) return false;
  for (let i = 4; i < s.length; i++) {
    if (i !== dot && !isDigit(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Request-URI must be an absolute URI: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" … */
function hasScheme(uri: string): boolean {
  const colon = uri.indexOf(':');
  if (colon < 1 || colon === uri.length - 1) return false;
  for (let i = 0; i < colon; i++) {
    const c = uri.charCodeAt(i);
    const lower = c | 0x20;
    const alpha = lower >= 97 && lower <= 122;
    if (!(alpha || (i > 0 && (isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)))) return false;
  }
  return true;
}

/** End of text[start, end) without its trailing SP/HT. */
function lwsEnd(text: string, start: number, end: number): number {
  while (end > start && isLws(text.charCodeAt(end - 1))) end--;
  return end;
}

function trimEndLws(s: string): string {
  let e = s.length;
  while (e > 0 && isLws(s.charCodeAt(e - 1))) e--;
  return e === s.length ? s : s.slice(0, e);
}

function parseError(message: string, offset: number): GhostguardError {
  return new GhostguardError('GG_SIP_PARSE', message, { offset });
}

function tooLarge(message: string, offset: number): GhostguardError {
  return new GhostguardError('GG_SIP_TOO_LARGE', message, { offset });
}
