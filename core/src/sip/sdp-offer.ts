import type { MediaOffer } from '../attempt.js';
import { parseIp } from '../net/ip.js';
import { findSdp, lineAt } from './sdp.js';
import { isDigits, isToken } from './tokens.js';

/*
 * Hard limits, so that a hostile body costs bounded work and yields a summary within MediaOfferSchema. A real
 * offer is a few KB with a handful of m= lines and a few dozen a=rtpmap lines (a room system: ~40).
 */
const MAX_SDP_BYTES = 64 * 1024;
/** m= and a=rtpmap lines read; the rest of the SDP is ignored. */
const MAX_MEDIA_LINES = 256;
const MAX_KINDS = 8;
const MAX_KIND_LENGTH = 16;
const MAX_CODECS = 32;
const MAX_CODEC_LENGTH = 32;
const MAX_ADDRESSES = 4;

/**
 * Encoding names of the static RTP payload types (RFC 3551 §6, tables 4 and 5), lower-case: what a payload type
 * means when the offer has no a=rtpmap for it. 1, 2 and 19 are reserved; 35-95 unassigned; 96-127 dynamic.
 */
const STATIC_PAYLOAD_TYPES: ReadonlyMap<number, string> = new Map([
  [0, 'pcmu'],
  [3, 'gsm'],
  [4, 'g723'],
  [5, 'dvi4'],
  [6, 'dvi4'],
  [7, 'lpc'],
  [8, 'pcma'],
  [9, 'g722'],
  [10, 'l16'],
  [11, 'l16'],
  [12, 'qcelp'],
  [13, 'cn'],
  [14, 'mpa'],
  [15, 'g728'],
  [16, 'dvi4'],
  [17, 'dvi4'],
  [18, 'g729'],
  [25, 'celb'],
  [26, 'jpeg'],
  [28, 'nv'],
  [31, 'h261'],
  [32, 'mpv'],
  [33, 'mp2t'],
  [34, 'h263'],
]);

/** One m= section: the m= line and the a=rtpmap lines under it. */
interface MediaSection {
  /** Port non-zero and the line well formed: a declined or broken section contributes nothing. */
  readonly active: boolean;
  readonly kind: string;
  /** RFC 8856 §4: m=application over TCP/BFCP, TCP/TLS/BFCP, UDP/BFCP or UDP/TLS/BFCP. */
  readonly bfcp: boolean;
  /** RTP payload types in the offer's order of preference (empty unless the proto is RTP). */
  readonly payloadTypes: number[];
  /** a=rtpmap encoding names by payload type, lower-case. */
  readonly rtpmap: Map<number, string>;
}

const INACTIVE: MediaSection = { active: false, kind: '', bfcp: false, payloadTypes: [], rtpmap: new Map() };

/** What an INVITE without SDP offers (delayed offer, RFC 3261 §13.2.1). */
export function noMediaOffer(): MediaOffer {
  return { offered: false, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] };
}

/**
 * Summarises the SDP offer (RFC 8866) in a SIP body: media kinds, codecs, BFCP, c= addresses. The SDP is found
 * as sdpSessionName finds it (application/sdp, a body starting `v=0`, or the first SDP part of a multipart body);
 * undefined when the body holds none. Reads at most 64 KB and 256 m=/a=rtpmap lines. Never throws.
 */
export function summarizeSdpOffer(body: Uint8Array | string, contentType?: string): MediaOffer | undefined {
  const sdp = findSdp(body, contentType, MAX_SDP_BYTES);
  return sdp === undefined ? undefined : summarize(sdp);
}

function summarize(sdp: string): MediaOffer {
  const offer: MediaOffer = { offered: true, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] };
  let section: MediaSection | undefined; // undefined: still in the session-level section
  let mediaLines = 0;
  for (let pos = 0; pos < sdp.length && mediaLines < MAX_MEDIA_LINES; ) {
    const { line, next } = lineAt(sdp, pos);
    pos = next;
    if (line.startsWith('m=')) {
      mediaLines++;
      if (section !== undefined) addSection(offer, section);
      section = parseMediaLine(line);
    } else if (line.startsWith('a=rtpmap:')) {
      mediaLines++;
      if (section?.active) addRtpmap(section, line);
    } else if (line.startsWith('c=') && (section === undefined || section.active)) {
      addConnectionAddress(offer, line);
    }
  }
  if (section !== undefined) addSection(offer, section);
  return offer;
}

/** RFC 8866 §5.14: `m=<media> <port>[/<number of ports>] <proto> <fmt> …`. */
function parseMediaLine(line: string): MediaSection {
  const [kindField, portField, proto, ...formats] = fields(line.slice(2));
  const kind = kindField?.toLowerCase();
  const port = portField?.split('/')[0];
  if (kind === undefined || port === undefined || proto === undefined) return INACTIVE;
  if (!isToken(kind) || kind.length > MAX_KIND_LENGTH || !isDigits(port) || Number(port) === 0) return INACTIVE;
  const upperProto = proto.toUpperCase();
  // Only RTP protos (RTP/AVP, RTP/SAVPF, UDP/TLS/RTP/SAVPF…) list payload types; others list formats (t38, *).
  const payloadTypes = upperProto.includes('RTP/') ? formats.map(payloadType).filter((pt) => pt !== undefined) : [];
  const bfcp = kind === 'application' && upperProto.includes('BFCP');
  return { active: true, kind, bfcp, payloadTypes, rtpmap: new Map() };
}

/** RFC 8866 §6.6: `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`. */
function addRtpmap(section: MediaSection, line: string): void {
  const [ptField, encoding] = fields(line.slice('a=rtpmap:'.length));
  const pt = ptField === undefined ? undefined : payloadType(ptField);
  const name = encoding?.split('/')[0]?.toLowerCase();
  if (pt === undefined || name === undefined || !isToken(name) || name.length > MAX_CODEC_LENGTH) return;
  if (!section.rtpmap.has(pt)) section.rtpmap.set(pt, name);
}

/** RFC 8866 §5.7: `c=<nettype> <addrtype> <connection-address>`, the address possibly `/ttl[/count]`. */
function addConnectionAddress(offer: MediaOffer, line: string): void {
  const address = fields(line.slice(2))[2]?.split('/')[0];
  // Only IP literals: a hostname (allowed by RFC 8866) names no address the rules can compare.
  const ip = address === undefined ? undefined : parseIp(address);
  if (ip !== undefined) addOnce(offer.connectionAddresses, ip.text, MAX_ADDRESSES);
}

function addSection(offer: MediaOffer, section: MediaSection): void {
  if (!section.active) return;
  addOnce(offer.kinds, section.kind, MAX_KINDS);
  if (section.bfcp) offer.bfcp = true;
  for (const pt of section.payloadTypes) {
    // A dynamic payload type without a=rtpmap names no codec.
    const name = section.rtpmap.get(pt) ?? STATIC_PAYLOAD_TYPES.get(pt);
    if (name !== undefined) addOnce(offer.codecs, name, MAX_CODECS);
  }
}

/** An RTP payload type, 0-127. */
function payloadType(field: string): number | undefined {
  if (!isDigits(field) || field.length > 3) return undefined;
  const pt = Number(field);
  return pt <= 127 ? pt : undefined;
}

function fields(text: string): string[] {
  return text.split(' ').filter((f) => f.length > 0);
}

function addOnce(list: string[], value: string, max: number): void {
  if (list.length < max && !list.includes(value)) list.push(value);
}
