import { hasHighChar, latin1, latin1ToUtf8 } from './bytes.js';
import { parseContentType } from './content-type.js';
import { canonicalHeaderName } from './header-names.js';
import { trimLws } from './tokens.js';

/**
 * The `s=` session name of an SDP body (RFC 4566 §5.3), as written (only the line end removed).
 * The body counts as SDP when Content-Type says application/sdp or it starts with `v=0`;
 * in a multipart body (e.g. SDP + ISUP) the first application/sdp part is read.
 * undefined when there is no session-level `s=` line. Never throws.
 */
export function sdpSessionName(body: Uint8Array, contentType?: string): string | undefined {
  if (body.length === 0) return undefined;
  const media = contentType === undefined ? undefined : parseContentType(contentType);
  if (media?.mediaType === 'application/sdp' || startsWithVersionLine(latin1(body, 0, Math.min(body.length, 4)))) {
    return sessionNameOf(latin1(body));
  }
  const boundary = media?.type === 'multipart' ? media.params.get('boundary') : undefined;
  return boundary ? sessionNameInMultipart(latin1(body), boundary) : undefined;
}

function startsWithVersionLine(text: string): boolean {
  return text.startsWith('v=0') && (text.length === 3 || text[3] === '\r' || text[3] === '\n');
}

/** `text` is a latin1 view of the SDP bytes. */
function sessionNameOf(text: string): string | undefined {
  let pos = 0;
  while (pos < text.length) {
    const nl = text.indexOf('\n', pos);
    const lineEnd = nl === -1 ? text.length : nl;
    const contentEnd = lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
    // Only the session section holds the session name; media sections start at the first m=.
    if (text.startsWith('m=', pos)) return undefined;
    if (text.startsWith('s=', pos)) {
      const name = text.slice(pos + 2, contentEnd);
      return hasHighChar(name) ? latin1ToUtf8(name) : name;
    }
    pos = lineEnd + 1;
  }
  return undefined;
}

/** RFC 2046 multipart: parts separated by `--boundary` lines, each with its own headers. */
function sessionNameInMultipart(text: string, boundary: string): string | undefined {
  const delimiter = `--${boundary}`;
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const afterDelimiter = at + delimiter.length;
    if (text.startsWith('--', afterDelimiter)) return undefined; // close delimiter
    const lineEnd = text.indexOf('\n', afterDelimiter);
    if (lineEnd === -1) return undefined;
    const next = text.indexOf(delimiter, lineEnd + 1);
    const part = text.slice(lineEnd + 1, next === -1 ? text.length : next);
    const name = sessionNameOfPart(part);
    if (name !== undefined) return name;
    at = next;
  }
  return undefined;
}

function sessionNameOfPart(part: string): string | undefined {
  let pos = 0;
  let isSdp = false;
  while (pos < part.length) {
    const nl = part.indexOf('\n', pos);
    const lineEnd = nl === -1 ? part.length : nl;
    const line = part.slice(pos, lineEnd > pos && part.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd);
    pos = lineEnd + 1;
    if (line.length === 0) break;
    const colon = line.indexOf(':');
    if (colon > 0 && canonicalHeaderName(trimLws(line.slice(0, colon))) === 'content-type') {
      isSdp = parseContentType(line.slice(colon + 1))?.mediaType === 'application/sdp';
    }
  }
  const body = part.slice(pos);
  return isSdp || startsWithVersionLine(body) ? sessionNameOf(body) : undefined;
}
