/**
 * FreeSWITCH's header value encoding (switch_url_encode, used by switch_event_serialize for plain events and
 * CHANNEL_DATA): every byte below ' ' or above '~' and each of `\r\n "#%&+:;<=>?@[\]^`{|}` becomes %XX with
 * upper-case hex; everything else (letters, digits, `,/.-_!~*'()$`) stays as is. Works on UTF-8 bytes.
 */
const UNSAFE = new Set(Array.from('\r\n "#%&+:;<=>?@[\\]^`{|}', (c) => c.charCodeAt(0)));
const HEX = '0123456789ABCDEF';

/** Printable ASCII without any of the characters above: nothing to encode. */
const SAFE = /^[\x21\x24\x27-\x2a\x2c-\x39\x41-\x5a\x5f\x61-\x7a\x7e]*$/;

export function fsUrlEncode(value: string): string {
  if (SAFE.test(value)) return value;
  let out = '';
  for (const byte of Buffer.from(value, 'utf8')) {
    if (byte < 0x20 || byte > 0x7e || UNSAFE.has(byte)) out += `%${HEX[byte >> 4]}${HEX[byte & 15]}`;
    else out += String.fromCharCode(byte);
  }
  return out;
}

/** The inverse, tolerant of malformed escapes (kept literally), for reading what the peer itself wrote. */
export function fsUrlDecode(value: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(value[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}
