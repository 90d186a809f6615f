import type { MediaOffer } from '@ghostguard/core';
import { parseContentLength, parseContentType } from '@ghostguard/core/sip';
import type { ChannelTech } from './options.js';

/**
 * What the check routine reads about the caller's offer (examples/asterisk/extensions.conf), URI-decoded.
 * Present only when the event carried these fields (a dialplan older than them sends none).
 */
export interface CheckMediaFields {
  /** `${CHANNEL(audionativeformat)}`, e.g. `(opus|ulaw)`, `(nothing)`. */
  audioFormats: string;
  /** `${CHANNEL(videonativeformat)}`. */
  videoFormats: string;
  /** PJSIP: `${PJSIP_ENDPOINT(${CHANNEL(endpoint)},allow)}`; empty on chan_sip (no dialplan function reads it). */
  endpointAllow: string;
  /** The INVITE's Content-Length and Content-Type header values; empty when the INVITE had none. */
  contentLength: string;
  contentType: string;
}

/*
 * What these values mean, from Asterisk 20's source (tag 20.20.1; the AMI stand-in test/peers/src/ami/media.ts
 * computes them the same way):
 *
 * - CHANNEL(audionativeformat/videonativeformat) (funcs/func_channel.c func_channel_read) print the channel's
 *   native formats of that media type with ast_format_cap_get_names (main/format_cap.c): `(a|b)`, `(nothing)`.
 * - PJSIP: res/res_pjsip_session.c new_invite negotiates the offer before the channel exists; each stream keeps
 *   the offer's formats that are in the endpoint's `allow` (res/res_pjsip_sdp_rtp.c negotiate_incoming_sdp_stream,
 *   res/res_pjsip_session/pjsip_session_caps.c ast_sip_create_joint_call_cap), and a stream of a media type the
 *   endpoint allows no codec of is declined; channels/chan_pjsip.c chan_pjsip_new makes those the native formats.
 *   So the lists are the INTERSECTION of the offer with `allow`, not the offer. Without an SDP, create_local_sdp
 *   takes the endpoint's own topology and the lists are the endpoint's `allow`: only Content-Type tells.
 * - chan_sip: channels/chan_sip.c process_sdp keeps the offer's formats that are in `allow` (jointcaps) and reads
 *   an m=video line only with `videosupport=yes`; sip_new keeps ONE audio format (the first joint one) and the
 *   joint video formats. Without an SDP, jointcaps is `allow`.
 * - No SDP: pjsip builds a body only after a Content-Type header (pjsip/src/pjsip/sip_parser.c int_parse_msg) and
 *   finds the SDP in application/sdp or a multipart part (pjsip_rdata_get_sdp_info); chan_sip's find_sdp wants
 *   application/sdp or multipart/mixed, and a Content-Length of 0 means no SDP there. A multipart body may or may
 *   not hold one: cannot tell. Content-Length 0 with an SDP type: pjsip parses the rest of a UDP datagram anyway:
 *   cannot tell either.
 */

/** Asterisk format names (main/codec_builtin.c) → encoding names as SDP spells them (main/rtp_engine.c mime types), lower-case. */
const ENCODING: ReadonlyMap<string, string> = new Map([
  ['ulaw', 'pcmu'],
  ['alaw', 'pcma'],
  ['g729', 'g729'],
  ['g722', 'g722'],
  ['g723', 'g723'],
  ['g726', 'g726-32'],
  ['g726aal2', 'aal2-g726-32'],
  ['gsm', 'gsm'],
  ['adpcm', 'dvi4'],
  ['lpc10', 'lpc'],
  ['ilbc', 'ilbc'],
  ['speex', 'speex'],
  ['speex16', 'speex'],
  ['speex32', 'speex'],
  ['siren7', 'g7221'],
  ['siren14', 'g7221'],
  ['g719', 'g719'],
  ['opus', 'opus'],
  ['codec2', 'codec2'],
  ['slin', 'l16'],
  ['slin12', 'l16'],
  ['slin16', 'l16'],
  ['slin24', 'l16'],
  ['slin32', 'l16'],
  ['slin44', 'l16'],
  ['slin48', 'l16'],
  ['slin96', 'l16'],
  ['slin192', 'l16'],
  ['silk8', 'silk'],
  ['silk12', 'silk'],
  ['silk16', 'silk'],
  ['silk24', 'silk'],
  ['h261', 'h261'],
  ['h263', 'h263'],
  ['h263p', 'h263-1998'],
  ['h264', 'h264'],
  ['h265', 'h265'],
  ['mpeg4', 'mp4v-es'],
  ['vp8', 'vp8'],
  ['vp9', 'vp9'],
]);

/** Formats of AST_MEDIA_TYPE_VIDEO in main/codec_builtin.c. */
const VIDEO_FORMATS: ReadonlySet<string> = new Set(['h261', 'h263', 'h263p', 'h264', 'h265', 'mpeg4', 'vp8', 'vp9']);

/** A format list as ast_format_cap_get_names prints it; cut short at AST_FORMAT_CAP_NAMES_LEN it has no `)`. */
const FORMAT_LIST = /^\(([a-z0-9_]{1,32}(?:\|[a-z0-9_]{1,32}){0,63})\)$/i;
const MAX_CODECS = 32;

/** `(a|b)` → [a, b]; `(nothing)` → []; anything else → undefined (not what Asterisk prints: cannot tell). */
export function parseFormatList(text: string): string[] | undefined {
  const t = text.trim();
  if (t === '(nothing)') return [];
  const m = FORMAT_LIST.exec(t);
  return m ? m[1]!.toLowerCase().split('|') : undefined;
}

/** The SDP encoding name for an Asterisk format name; a format this table does not know keeps its own name. */
export function encodingName(format: string): string {
  return ENCODING.get(format) ?? format;
}

/** Whether the driver saw an SDP offer in the INVITE: true, false, or undefined (cannot tell). */
function sdpOffered(contentType: string, contentLength: string): boolean | undefined {
  if (contentType.trim() === '') return false;
  const type = parseContentType(contentType);
  if (type === undefined || type.type === 'multipart') return undefined;
  if (type.mediaType !== 'application/sdp') return false;
  // A positive Content-Length is required: absent (UDP) or 0, whether a body came is not known.
  const length = parseContentLength(contentLength);
  return length === undefined || length === 0 ? undefined : true;
}

const noOffer = (): MediaOffer => ({ offered: false, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] });

/**
 * The attempt's `media` from the check event's media fields, or undefined when what Asterisk reports cannot
 * say what the caller offered. What it can say:
 *
 * - `offered: false` when the INVITE had no SDP (no Content-Type, or one that is neither SDP nor multipart).
 * - For an SDP offer: kinds and codecs of what Asterisk kept, i.e. the offer INTERSECTED with the endpoint's
 *   `allow` (chan_sip: one audio codec). A codec outside `allow` is invisible, so an absent video stream only
 *   means "no video" when video was observable: on PJSIP, when the endpoint allows a video codec
 *   (EndpointAllow); on chan_sip never (m=video is read only with videosupport=yes, which the dialplan cannot
 *   read), so a chan_sip offer without video reports nothing.
 * - `bfcp: false` (Asterisk negotiates no BFCP and exposes no m=application line), `connectionAddresses: []`
 *   (PJSIP exposes the remote RTP address only once the media is up, after the check).
 */
export function checkMedia(tech: ChannelTech, fields: CheckMediaFields | undefined): MediaOffer | undefined {
  if (fields === undefined || (tech !== 'PJSIP' && tech !== 'SIP')) return undefined;
  const offered = sdpOffered(fields.contentType, fields.contentLength);
  if (offered !== true) return offered === false ? noOffer() : undefined;
  const audio = parseFormatList(fields.audioFormats);
  const video = parseFormatList(fields.videoFormats);
  if (audio === undefined || video === undefined || audio.length + video.length === 0) return undefined;
  if (video.length === 0) {
    if (tech === 'SIP') return undefined;
    const allow = parseFormatList(fields.endpointAllow);
    if (allow === undefined || !allow.some((f) => VIDEO_FORMATS.has(f))) return undefined;
  }
  const kinds: string[] = [];
  if (audio.length > 0) kinds.push('audio');
  if (video.length > 0) kinds.push('video');
  const codecs = [...new Set([...audio, ...video].map(encodingName))].slice(0, MAX_CODECS);
  return { offered: true, kinds, codecs, bfcp: false, connectionAddresses: [] };
}
