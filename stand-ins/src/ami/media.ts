/**
 * What Asterisk 20's dialplan reads about an inbound call's SDP offer before the call is answered, computed
 * the way the server computes it (source: asterisk tag 20.20.1, bundled pjproject 2.17). There is no recording
 * of these values; every step below names the function it follows.
 *
 * - `${CHANNEL(audionativeformat)}` / `${CHANNEL(videonativeformat)}` (funcs/func_channel.c func_channel_read):
 *   the channel's native formats of that media type, printed by ast_format_cap_get_names (main/format_cap.c):
 *   `(ulaw|h264)`, `(nothing)` when there is none.
 * - PJSIP (res/res_pjsip_session.c new_invite): handle_incoming_sdp negotiates every m= line of the offer
 *   before the channel exists; res/res_pjsip_sdp_rtp.c negotiate_incoming_sdp_stream declines a stream whose
 *   media type the endpoint has no codec for, and keeps ast_sip_session_create_joint_call_cap's result:
 *   with the default `incoming_call_offer_pref = local` the offer's formats that are in the endpoint's
 *   `allow`, in `allow`'s order (res/res_pjsip_session/pjsip_session_caps.c). One audio and one video stream
 *   by default (max_audio_streams, max_video_streams). No stream left: 488, no channel, no dialplan.
 *   Without an SDP, create_local_sdp makes the pending topology the endpoint's own (its `allow`), and
 *   channels/chan_pjsip.c chan_pjsip_new takes the native formats from that topology: the `allow` list.
 * - chan_sip (channels/chan_sip.c): process_sdp sets jointcaps to the offer's formats that are in `allow`
 *   (ast_format_cap_get_compatible, `allow`'s order), reading an m=video line only when the dialog has a
 *   video RTP instance (`videosupport=yes` and a video codec allowed); no common codec: 488. Without an SDP
 *   (find_sdp: no Content-Type application/sdp or multipart/mixed, or Content-Length 0), jointcaps is the
 *   `allow` list. sip_new keeps one audio format of jointcaps, the first, and all its video formats.
 * - `PJSIP_ENDPOINT(<endpoint>,allow)` (funcs/func_pjsip_endpoint.c, sorcery's codec_handler_fn): the
 *   endpoint's `allow` printed by ast_format_cap_get_names too.
 * - `PJSIP_HEADER(read,Content-Type)` reprints the header pjsip parsed (pjsip_ctype_hdr_print: `type/subtype`
 *   then `;name=value` parameters), `PJSIP_HEADER(read,Content-Length)` its number (pjsip_clen_hdr_print);
 *   chan_sip's `SIP_HEADER(…)` returns the header's text as received.
 */

export type AsteriskMediaType = 'audio' | 'video' | 'image' | 'text';

/** Format names registered by main/codec_builtin.c (CODEC_REGISTER_AND_CACHE[_NAMED]) and their media type. */
export const FORMAT_MEDIA_TYPE: ReadonlyMap<string, AsteriskMediaType> = new Map<string, AsteriskMediaType>([
  ...[
    'codec2',
    'g723',
    'ulaw',
    'alaw',
    'gsm',
    'g726',
    'g726aal2',
    'adpcm',
    'slin',
    'slin12',
    'slin16',
    'slin24',
    'slin32',
    'slin44',
    'slin48',
    'slin96',
    'slin192',
    'lpc10',
    'g729',
    'speex',
    'speex16',
    'speex32',
    'ilbc',
    'g722',
    'siren7',
    'siren14',
    'g719',
    'opus',
    'silk8',
    'silk12',
    'silk16',
    'silk24',
  ].map((n) => [n, 'audio'] as const),
  ...['h261', 'h263', 'h263p', 'h264', 'h265', 'mpeg4', 'vp8', 'vp9'].map((n) => [n, 'video'] as const),
  ...['jpeg', 'png', 't38'].map((n) => [n, 'image'] as const),
  ...['red', 't140'].map((n) => [n, 'text'] as const),
]);

/** examples/asterisk/pjsip.conf, endpoint `anonymous`: `allow = opus,g722,ulaw,h264`. */
export const EXAMPLE_PJSIP_ALLOW: readonly string[] = ['opus', 'g722', 'ulaw', 'h264'];
/** chan_sip without `allow` in sip.conf (channels/chan_sip.c sip_set_default_format_capabilities). */
export const CHAN_SIP_DEFAULT_ALLOW: readonly string[] = ['ulaw', 'alaw', 'gsm', 'h263'];

/** ast_format_cap_get_names (main/format_cap.c): `(a|b|c)`, `(nothing)` for an empty list. */
export function formatNames(formats: readonly string[]): string {
  return formats.length === 0 ? '(nothing)' : `(${formats.join('|')})`;
}

/**
 * main/rtp_engine.c add_static_payload for the payload types ast_rtp_codecs_payloads_set_m_type maps from the
 * m= line alone (0 … AST_RTP_PT_LAST_STATIC = 34); 13 and 19 are comfort noise, not a format.
 */
const STATIC_PAYLOAD_FORMATS: ReadonlyMap<number, string | null> = new Map([
  [0, 'ulaw'],
  [2, 'g726'],
  [3, 'gsm'],
  [4, 'g723'],
  [5, 'adpcm'],
  [6, 'adpcm'],
  [7, 'lpc10'],
  [8, 'alaw'],
  [9, 'g722'],
  [10, 'slin'],
  [11, 'slin'],
  [13, null],
  [16, 'adpcm'],
  [17, 'adpcm'],
  [18, 'g729'],
  [19, null],
  [26, 'jpeg'],
  [31, 'h261'],
  [34, 'h263'],
]);

/**
 * main/rtp_engine.c ast_rtp_mime_types (set_next_mime_type): media type, encoding name (compared without case),
 * clock rate, format (null: telephone-event and CN, which are no format). ast_rtp_codecs_payloads_set_rtpmap_type_rate
 * takes the first entry whose media type is the m= line's and whose rate matches.
 */
const MIME_TYPES: ReadonlyArray<readonly [string, string, number, string | null]> = [
  ['audio', 'g723', 8000, 'g723'],
  ['audio', 'gsm', 8000, 'gsm'],
  ['audio', 'pcmu', 8000, 'ulaw'],
  ['audio', 'g711u', 8000, 'ulaw'],
  ['audio', 'pcma', 8000, 'alaw'],
  ['audio', 'g711a', 8000, 'alaw'],
  ['audio', 'g726-32', 8000, 'g726'],
  ['audio', 'dvi4', 8000, 'adpcm'],
  ['audio', 'l16', 8000, 'slin'],
  ['audio', 'l16', 16000, 'slin16'],
  ['audio', 'l16-256', 16000, 'slin16'],
  ['audio', 'l16', 12000, 'slin12'],
  ['audio', 'l16', 24000, 'slin24'],
  ['audio', 'l16', 32000, 'slin32'],
  ['audio', 'l16', 44100, 'slin44'],
  ['audio', 'l16', 48000, 'slin48'],
  ['audio', 'l16', 96000, 'slin96'],
  ['audio', 'l16', 192000, 'slin192'],
  ['audio', 'lpc', 8000, 'lpc10'],
  ['audio', 'g729', 8000, 'g729'],
  ['audio', 'g729a', 8000, 'g729'],
  ['audio', 'g.729', 8000, 'g729'],
  ['audio', 'speex', 8000, 'speex'],
  ['audio', 'speex', 16000, 'speex16'],
  ['audio', 'speex', 32000, 'speex32'],
  ['audio', 'ilbc', 8000, 'ilbc'],
  ['audio', 'g722', 8000, 'g722'],
  ['audio', 'aal2-g726-32', 8000, 'g726aal2'],
  ['audio', 'telephone-event', 8000, null],
  ['audio', 'telephone-event', 16000, null],
  ['audio', 'telephone-event', 24000, null],
  ['audio', 'telephone-event', 32000, null],
  ['audio', 'telephone-event', 48000, null],
  ['audio', 'cisco-telephone-event', 8000, null],
  ['audio', 'cn', 8000, null],
  ['video', 'jpeg', 90000, 'jpeg'],
  ['video', 'png', 90000, 'png'],
  ['video', 'h261', 90000, 'h261'],
  ['video', 'h263', 90000, 'h263'],
  ['video', 'h263-1998', 90000, 'h263p'],
  ['video', 'h264', 90000, 'h264'],
  ['video', 'h265', 90000, 'h265'],
  ['video', 'mp4v-es', 90000, 'mpeg4'],
  ['text', 'red', 1000, 'red'],
  ['text', 't140', 1000, 't140'],
  ['audio', 'g7221', 16000, 'siren7'],
  ['audio', 'g7221', 32000, 'siren14'],
  ['audio', 'g719', 48000, 'g719'],
  ['audio', 'opus', 48000, 'opus'],
  ['video', 'vp8', 90000, 'vp8'],
  ['video', 'vp9', 90000, 'vp9'],
];

interface OfferedStream {
  media: string;
  port: number;
  /** Asterisk formats in the m= line's order (payload types Asterisk has no format for left out). */
  formats: string[];
}

/** The m= sections of an SDP body with the formats Asterisk maps their payload types to (get_codecs / process_sdp). */
function offeredStreams(sdp: string): OfferedStream[] {
  const streams: Array<{ media: string; port: number; pts: number[]; rtpmap: Map<number, [string, number]> }> = [];
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    const m = /^m=(\S+) (\d+)(?:\/\d+)? (\S+)((?: \S+)*)$/.exec(line);
    if (m) {
      const pts = (m[4] ?? '')
        .trim()
        .split(' ')
        .filter((p) => /^\d+$/.test(p))
        .map(Number);
      streams.push({ media: m[1]!.toLowerCase(), port: Number(m[2]), pts, rtpmap: new Map() });
      continue;
    }
    const a = /^a=rtpmap:(\d+) ([^/\s]+)\/(\d+)/.exec(line);
    if (a && streams.length > 0) streams.at(-1)!.rtpmap.set(Number(a[1]), [a[2]!.toLowerCase(), Number(a[3])]);
  }
  return streams.map((s) => {
    const formats: string[] = [];
    for (const pt of s.pts) {
      let format = pt <= 34 ? (STATIC_PAYLOAD_FORMATS.get(pt) ?? null) : null;
      const map = s.rtpmap.get(pt);
      if (map) {
        const hit = MIME_TYPES.find(([type, name, rate]) => type === s.media && name === map[0] && rate === map[1]);
        if (hit) format = hit[3];
      }
      if (format !== null && !formats.includes(format)) formats.push(format);
    }
    return { media: s.media, port: s.port, formats };
  });
}

/** Asterisk refuses the INVITE before the dialplan runs (no channel, no check event). */
export class NotAcceptableHere extends Error {}

export interface NativeFormats {
  audio: string[];
  video: string[];
}

export interface OfferInput {
  tech: 'PJSIP' | 'SIP';
  /** Content-Type and Content-Length header values of the INVITE; undefined: no such header. */
  contentType: string | undefined;
  contentLength: string | undefined;
  body: string;
  /** The endpoint's (PJSIP) or chan_sip's `allow`, Asterisk format names in order. */
  allow: readonly string[];
  /** chan_sip `videosupport`. */
  videoSupport: boolean;
}

/** Whether the driver takes the INVITE's body as an SDP offer (pjsip_rdata_get_sdp_info / chan_sip find_sdp). */
function carriesSdp(input: OfferInput): boolean {
  const ct = input.contentType?.trim().toLowerCase() ?? '';
  if (ct.startsWith('multipart/')) throw new Error('the AMI peer does not emulate multipart INVITE bodies');
  if (input.tech === 'SIP') {
    const cl = input.contentLength?.trim();
    if (cl !== undefined && cl !== '' && (!/^\d+$/.test(cl) || Number(cl) === 0)) return false;
    return ct.startsWith('application/sdp') && input.body.trim() !== '';
  }
  // pjsip (sip_parser.c int_parse_msg): a body only after a Content-Type header; over UDP the rest of the datagram.
  return input.contentType !== undefined && ct.split(';')[0]!.trim() === 'application/sdp' && input.body.trim() !== '';
}

const ofType = (formats: readonly string[], type: AsteriskMediaType) =>
  formats.filter((f) => FORMAT_MEDIA_TYPE.get(f) === type);

/** `CHANNEL(audionativeformat)` / `CHANNEL(videonativeformat)` of the new inbound channel, as format lists. */
export function nativeFormats(input: OfferInput): NativeFormats {
  const { allow } = input;
  if (!carriesSdp(input)) {
    const audio = ofType(allow, 'audio');
    // chan_sip's sip_new keeps the first audio format only
    return { audio: input.tech === 'SIP' ? audio.slice(0, 1) : audio, video: ofType(allow, 'video') };
  }
  const streams = offeredStreams(input.body);
  if (input.tech === 'PJSIP') {
    const joint: NativeFormats = { audio: [], video: [] };
    const handled = { audio: 0, video: 0 };
    for (const s of streams) {
      if (s.port === 0 || (s.media !== 'audio' && s.media !== 'video')) continue;
      const local = ofType(allow, s.media);
      if (local.length === 0 || handled[s.media] >= 1) continue;
      const common = local.filter((f) => s.formats.includes(f));
      if (common.length === 0) continue;
      handled[s.media]++;
      joint[s.media] = common;
    }
    if (handled.audio + handled.video === 0)
      throw new NotAcceptableHere('PJSIP: no stream of the offer is acceptable (488)');
    return joint;
  }
  const canVideo = input.videoSupport && ofType(allow, 'video').length > 0;
  const offered = new Set<string>();
  for (const s of streams) {
    if (s.port === 0) continue;
    if (s.media === 'audio' || (s.media === 'video' && canVideo)) for (const f of s.formats) offered.add(f);
  }
  const joint = allow.filter((f) => offered.has(f));
  if (joint.length === 0) throw new NotAcceptableHere('chan_sip: no compatible codecs (488)');
  return { audio: ofType(joint, 'audio').slice(0, 1), video: ofType(joint, 'video') };
}

/** `PJSIP_HEADER(read,Content-Type)`: pjsip's reprint of the parsed header (pjsip_ctype_hdr_print). */
export function pjsipContentType(value: string): string {
  const [media = '', ...params] = value.split(';');
  const [type = '', subtype = ''] = media.split('/');
  const printed = params
    .map((p) => p.trim())
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return eq === -1 ? p : `${p.slice(0, eq).trim()}=${p.slice(eq + 1).trim()}`;
    });
  return [`${type.trim()}/${subtype.trim()}`, ...printed].join(';');
}

/** `PJSIP_HEADER(read,Content-Length)`: the number pjsip parsed (pjsip_clen_hdr_print). */
export function pjsipContentLength(value: string): string {
  const v = value.trim();
  return /^\d+$/.test(v) ? String(Number(v)) : v;
}
