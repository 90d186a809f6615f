/**
 * FreeSWITCH URL-encodes header values; modesl decodes them with decodeURIComponent, which throws a URIError
 * on a malformed escape (`%`, `%4`, `%ZZ`, a lone UTF-8 continuation byte) from inside the socket's data
 * handler, which takes the process down. A User-Agent or From display name is the caller's text, so this
 * has to hold for any input: valid escapes are decoded, anything else is kept as written.
 */
export interface DecodedValue {
  value: string;
  /** The value held an escape that decodeURIComponent refuses. */
  malformed: boolean;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Byte-wise decoding: `%XX` → the byte, the rest as UTF-8; invalid UTF-8 becomes U+FFFD. */
function lenientDecode(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && i + 2 < s.length) {
      const hi = hexValue(s.charCodeAt(i + 1));
      const lo = hexValue(s.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    if (c < 0x80) bytes.push(c);
    else for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}

export function decodeHeaderValue(raw: string): DecodedValue {
  if (!raw.includes('%')) return { value: raw, malformed: false };
  try {
    return { value: decodeURIComponent(raw), malformed: false };
  } catch {
    return { value: lenientDecode(raw), malformed: true };
  }
}
