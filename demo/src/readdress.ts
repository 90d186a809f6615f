/**
 * A recorded request as its sender would have written it from another address: the live demos replay
 * recordings from loopback addresses, and a sender writes its own address into Via, Contact and the SDP
 * (o=/c=). Left as recorded, those would name a public host other than the source (the identity rules'
 * `identity.foreign-*` signals), which no real sender without a NAT produces. Content-Length follows the body.
 */
export function readdressed(bytes: Buffer, recordedIp: string, sendingIp: string): Buffer {
  if (recordedIp === sendingIp) return bytes;
  const text = bytes.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return bytes;
  const swap = (s: string) => replaceAddress(s, recordedIp, sendingIp);
  const body = swap(text.slice(headEnd + 4));
  const head = swap(text.slice(0, headEnd)).replace(
    /^(content-length|l)[ \t]*:[ \t]*\d+/im,
    (_m, name: string) => `${name}: ${body.length}`,
  );
  return Buffer.from(`${head}\r\n\r\n${body}`, 'latin1');
}

/** Every occurrence of `ip` as a whole address (an IPv6 one with or without brackets; brackets dropped). */
function replaceAddress(s: string, ip: string, next: string): string {
  const escaped = ip.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const ipv6 = ip.includes(':');
  const pattern = ipv6
    ? `\\[${escaped}\\]|(?<![0-9a-fA-F:])${escaped}(?![0-9a-fA-F:])`
    : `(?<![\\d.])${escaped}(?![\\d])`;
  return s.replace(new RegExp(pattern, 'g'), next);
}
