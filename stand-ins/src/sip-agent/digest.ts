/** Digest (RFC 2617 / 3261) answers for scripted user agents. */
import { createHash } from 'node:crypto';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The parameters of a `WWW-Authenticate: Digest …` (or Proxy-Authenticate) challenge. */
export function parseChallenge(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.replace(/^\s*Digest\s+/i, '').matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]*))/gi)) {
    out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return out;
}

/** An `Authorization` value answering `challenge` for `method uri` with `username`/`password`. */
export function digestAuthorization(o: {
  challenge: string;
  username: string;
  password: string;
  method: string;
  uri: string;
  cnonce?: string;
}): string {
  const c = parseChallenge(o.challenge);
  const realm = c.realm ?? '';
  const nonce = c.nonce ?? '';
  const ha1 = md5(`${o.username}:${realm}:${o.password}`);
  const ha2 = md5(`${o.method}:${o.uri}`);
  const qop = c.qop?.split(',')[0]?.trim();
  const nc = '00000001';
  const cnonce = o.cnonce ?? 'ggcnonce';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${o.username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${o.uri}"`,
    `response="${response}"`,
    'algorithm=MD5',
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}
