import { hasHighChar, latin1, latin1ToUtf8 } from './bytes.js';
import { parseContentType } from './content-type.js';
import { canonicalHeaderName } from './header-names.js';
import { trimLws } from './tokens.js';

/**
 * The SDP of a SIP body as a latin1 view (one char per byte), undefined when the body holds none.
 * The body counts as SDP when Content-Type says application/sdp or it starts with `v=0`;
 * in a multipart body (e.g. SDP + ISUP) the first application/sdp part is taken.
 * Only the first `maxLength` bytes (chars of a string body) are read. Never throws.
 */
export function findSdp(
  body: Uint8Array | string,
  contentType?: string,
  maxLength = Number.POSITIVE_INFINITY,
): string | undefined {
  const length = Math.min(body.length, maxLength);
  if (length === 0) return undefined;
  const view = (end: number) => (typeof body === 'string' ? body.slice(0, end) : latin1(body, 0, end));
  const media = contentType === undefined ? undefined : parseContentType(contentType);
  if (media?.mediaType === 'application/sdp' || startsWithVersionLine(view(Math.min(length, 4)))) return view(length);
  const boundary = media?.type === 'multipart' ? media.params.get('boundary') : undefined;
  return boundary ? sdpPartOf(view(length), boundary) : undefined;
}

/**
 * The `s=` session name of an SDP body (RFC 4566 §5.3), as written (only the line end removed); the SDP is
 * found as findSdp does. undefined when there is no session-level `s=` line. Never throws.
 */
export function sdpSessionName(body: Uint8Array, contentType?: string): string | undefined {
  const sdp = findSdp(body, contentType);
  return sdp === undefined ? undefined : sessionNameOf(sdp);
}

/** The line that starts at `pos`, without its LF or CR LF, and where the next line starts. */
export function lineAt(text: string, pos: number): { line: string; next: number } {
  const nl = text.indexOf('\n', pos);
  const lineEnd = nl === -1 ? text.length : nl;
  const contentEnd = lineEnd > pos && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
  return { line: text.slice(pos, contentEnd), next: lineEnd + 1 };
}

function startsWithVersionLine(text: string): boolean {
  return text.startsWith('v=0') && (text.length === 3 || text[3] === '\r' || text[3] === '\n');
}

/** `text` is a latin1 view of the SDP bytes. */
function sessionNameOf(text: string): string | undefined {
  for (let pos = 0; pos < text.length; ) {
    const { line, next } = lineAt(text, pos);
    // Only the session section holds the session name; media sections start at the first m=.
    if (line.startsWith('m=')) return undefined;
    if (line.startsWith('s=')) {
      const name = line.slice(2);
      return hasHighChar(name) ? latin1ToUtf8(name) : name;
    }
    pos = next;
  }
  return undefined;
}

/** RFC 2046 multipart: parts separated by `--boundary` lines, each with its own headers. */
function sdpPartOf(text: string, boundary: string): string | undefined {
  const delimiter = `--${boundary}`;
  let at = text.indexOf(delimiter);
  while (at !== -1) {
    const afterDelimiter = at + delimiter.length;
    if (text.startsWith('--', afterDelimiter)) return undefined; // close delimiter
    const lineEnd = text.indexOf('\n', afterDelimiter);
    if (lineEnd === -1) return undefined;
    const next = text.indexOf(delimiter, lineEnd + 1);
    const sdp = sdpOfPart(text.slice(lineEnd + 1, next === -1 ? text.length : next));
    if (sdp !== undefined) return sdp;
    at = next;
  }
  return undefined;
}

/** The part's body when its headers say application/sdp or the body starts with `v=0`. */
function sdpOfPart(part: string): string | undefined {
  let pos = 0;
  let isSdp = false;
  while (pos < part.length) {
    const { line, next } = lineAt(part, pos);
    pos = next;
    if (line.length === 0) break;
    const colon = line.indexOf(':');
    if (colon > 0 && canonicalHeaderName(trimLws(line.slice(0, colon))) === 'content-type') {
      isSdp = parseContentType(line.slice(colon + 1))?.mediaType === 'application/sdp';
    }
  }
  const body = part.slice(pos);
  return isSdp || startsWithVersionLine(body) ? body : undefined;
}
