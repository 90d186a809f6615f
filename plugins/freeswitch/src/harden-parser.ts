/**
 * Makes one modesl connection's parser safe against what arrives on the wire: header values decode without
 * ever throwing (see header-decode.ts), a Content-Length that is negative, not a number or above the cap
 * announces no body, and the bytes the parser buffers are capped. modesl keeps the parser per connection, so
 * the patch touches that instance only (drachtio-modesl is pinned at 1.3.1; the shape is checked first).
 * Building the event from a frame is fenced too: modesl reads the body of a `text/event-plain` or
 * `text/event-xml` frame without checking there is one, and that TypeError would escape the socket's
 * data handler. The frame is then dropped and reported; parsing goes on with the next one.
 */
import type { Connection } from 'drachtio-modesl';
import { decodeHeaderValue } from './header-decode.js';

export interface ParserGuards {
  maxFrameBytes: number;
  /** A header value held a malformed escape (reported once per frame per header name). */
  onBadEscape(header: string): void;
  /** A frame announced or buffered more than maxFrameBytes; the caller closes the connection. */
  onTooLarge(bytes: number): void;
  /** Turning a frame into an event threw (modesl 1.3.1 throws on text/event-plain or -xml without a body). */
  onParseError(err: unknown): void;
}

/** Returns false when the connection has no parser of the known shape (nothing was patched). */
export function hardenParser(conn: Connection, guards: ParserGuards): boolean {
  const parser = conn.parser;
  const socket = conn.socket;
  if (!parser || typeof parser._parseHeaderText !== 'function' || typeof parser._parseEvent !== 'function' || !socket) {
    return false;
  }
  const parseEvent = parser._parseEvent;
  parser._parseEvent = function fencedParseEvent(this: unknown, headers: Record<string, unknown>, body?: string) {
    try {
      parseEvent.call(this, headers, body);
    } catch (err) {
      guards.onParseError(err);
    }
  };
  parser._parseHeaderText = (text: string) => {
    const headers: Record<string, string | number> = {};
    for (const line of text.split('\n')) {
      const sep = line.indexOf(': ');
      const key = sep === -1 ? line : line.slice(0, sep);
      if (key === '__proto__') continue;
      const decoded = decodeHeaderValue(sep === -1 ? '' : line.slice(sep + 2));
      if (decoded.malformed) guards.onBadEscape(key);
      if (key !== 'Content-Length') {
        headers[key] = decoded.value;
        continue;
      }
      const n = /^\d{1,10}$/.test(decoded.value) ? Number(decoded.value) : Number.NaN;
      if (n > guards.maxFrameBytes) guards.onTooLarge(n);
      else if (n > 0) headers[key] = n;
    }
    return headers;
  };
  // Runs after the parser's own data listener (added when the connection was made): what is left buffered
  // is an incomplete frame.
  socket.on('data', () => {
    if (parser.buffer.length > guards.maxFrameBytes) {
      const size = parser.buffer.length;
      parser.buffer = Buffer.alloc(0);
      guards.onTooLarge(size);
    }
  });
  return true;
}
