/**
 * Where a SETUP names its caller's signalling address (Setup-UUIE sourceCallSignalAddress), so a relay can put its
 * own there. chan_ooh323 without a gatekeeper refuses a SETUP whose sourceCallSignalAddress is not the address
 * of the connection it arrived on (ooh323c src/ooh323.c, "Security denial remote sig IP isn't a socket ip",
 * recorded in ../shared/fixtures/asterisk-20.20.1-live/chan_ooh323-h323_log*.txt): a gate in front of it must
 * rewrite the field or every relayed call from an endpoint that fills it in is refused.
 */
import { decodeUserInformationAt } from './h225-decode.js';
import { decodeQ931, Q931_MESSAGE_TYPES } from './q931.js';

const H225_USER_USER = 5;

/**
 * The byte offset, in `tpktPayload` (a Q.931 SETUP), of the 4 IPv4 octets of sourceCallSignalAddress (the 2 port
 * octets follow); undefined when the SETUP does not decode, names no such address, or names an IPv6 one.
 */
export function sourceSignalAddressAt(tpktPayload: Uint8Array): number | undefined {
  try {
    const q931 = decodeQ931(tpktPayload, { lenient: true });
    const uu = q931.userUser;
    if (q931.messageType !== Q931_MESSAGE_TYPES.Setup || uu === undefined) return undefined;
    if (uu.protocolDiscriminator !== H225_USER_USER) return undefined;
    const uuie = decodeUserInformationAt(tpktPayload, uu.offset, uu.offset + uu.length);
    if (uuie.body !== 'setup') return undefined;
    const at = uuie.setup?.sourceCallSignalAddress?.at;
    return at !== undefined && at + 6 <= tpktPayload.length ? at : undefined;
  } catch {
    // What does not decode has no address to rewrite; the gate judged the SETUP on what it could read.
    return undefined;
  }
}

/**
 * A copy of `tpktPayload` whose sourceCallSignalAddress names `ip:port` instead (IPv4 only); the payload itself when
 * there is nothing to rewrite. Same length: nothing else in the message changes.
 */
export function withSourceSignalAddress(tpktPayload: Uint8Array, ip: string, port: number): Uint8Array {
  const at = sourceSignalAddressAt(tpktPayload);
  const octets = ip.split('.').map(Number);
  if (at === undefined || octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) return tpktPayload;
  if (!(port >= 0 && port <= 65_535)) return tpktPayload;
  const out = Uint8Array.from(tpktPayload);
  out.set(octets, at);
  out[at + 4] = port >>> 8;
  out[at + 5] = port & 0xff;
  return out;
}
