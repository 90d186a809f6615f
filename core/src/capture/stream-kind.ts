/**
 * What a TCP stream carries, told from its ports and first bytes: H.323 call signalling (TPKT, RFC 1006, whose
 * payload is Q.931, H.225.0 §7), another TPKT stream (H.245 on its own connection, H.225.0 §7.5 / H.245), or
 * something else (SIP, AMI, ESL, TLS…), which the caller reads its own way.
 */
export type TcpStreamKind = 'h323-call-signalling' | 'tpkt' | 'other';

/** H.225.0 call signalling's well-known TCP port (H.225.0 §7.8.1). */
export const H323_CALL_SIGNALLING_PORT = 1720;
/** H.225.0 RAS's well-known UDP port (gatekeeper discovery is 1718). */
export const H323_RAS_PORT = 1719;
/** Q.931's protocol discriminator, the first octet of every call signalling message (Q.931 §4.2). */
const Q931_DISCRIMINATOR = 0x08;
/** TPKT version 3, reserved 0 (RFC 1006 §6). */
const TPKT_VERSION = 3;

/** Whether bytes at the start of a stream can open a TPKT header (version 3, reserved 0, as far as there are bytes). */
function opensTpkt(first: Uint8Array): boolean {
  return first.length > 0 && first[0] === TPKT_VERSION && (first.length < 2 || first[1] === 0);
}

/**
 * The kind of one direction of a TCP connection, from its first delivered bytes: to or from port 1720 it is
 * call signalling whatever it starts with (the reader then finds out it is not TPKT, as the gate would); on
 * another port, TPKT whose payload starts with Q.931's discriminator is call signalling too (a gatekeeper-routed
 * or non-standard port), other TPKT is H.245 or another TPKT protocol. Fewer than five bytes that open a TPKT
 * header count as call signalling (nothing else on the wire starts with 03 00).
 */
export function tcpStreamKind(first: Uint8Array, srcPort: number, dstPort: number): TcpStreamKind {
  if (srcPort === H323_CALL_SIGNALLING_PORT || dstPort === H323_CALL_SIGNALLING_PORT) return 'h323-call-signalling';
  if (!opensTpkt(first)) return 'other';
  if (first.length < 5 || first[4] === Q931_DISCRIMINATOR) return 'h323-call-signalling';
  return 'tpkt';
}
