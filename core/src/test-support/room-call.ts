import type { SipAttempt } from '../attempt.js';
import { parseSipRequestAttempt } from '../sip/to-attempt.js';

/** The site the rule tests judge for: video.example.com served from the SBC 203.0.113.10, rooms room-*. */
export const SITE = {
  log: { level: 'silent' as const },
  dialShape: { domains: ['video.example.com'], localAddresses: ['203.0.113.10'], knownTargets: ['room-*'] },
};

/** A phone's offer: audio only, G.711 and G.729 (static payload types), DTMF events. `{media}`: the c= address. */
export const PHONE_AUDIO_SDP =
  'v=0\r\no=- 1 1 IN IP4 {media}\r\ns=-\r\nc=IN IP4 {media}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 18 101\r\na=rtpmap:101 telephone-event/8000\r\n';

/** A room system's offer: Opus and G.711, H.264 video, BFCP. */
export const ROOM_VIDEO_SDP =
  'v=0\r\no=- 1 1 IN IP4 {media}\r\ns=-\r\nc=IN IP4 {media}\r\nt=0 0\r\nm=audio 4000 RTP/AVP 96 0\r\na=rtpmap:96 opus/48000/2\r\n' +
  'm=video 4002 RTP/AVP 97\r\na=rtpmap:97 H264/90000\r\nm=application 5070 TCP/BFCP *\r\n';

export interface RoomCall {
  /** Source address (default 198.51.100.66); Via, Contact and c= name it unless told otherwise. */
  src?: string;
  /** From URI without `sip:` (default alice@partner.example.net). */
  from?: string;
  target?: string;
  ruriHost?: string;
  via?: string;
  contact?: string;
  /** The SDP body (`{media}` is replaced by `media` or the source); null: no body at all. */
  sdp?: string | null;
  media?: string;
  extra?: string[];
  callId?: string;
  transport?: 'UDP' | 'TLS';
  time?: number;
}

/** An INVITE to a room at 203.0.113.10, parsed as an adapter would (arrival address 203.0.113.10). */
export function roomCall(c: RoomCall = {}): SipAttempt {
  const src = c.src ?? '198.51.100.66';
  const time = c.time ?? 1_000_000;
  const target = c.target ?? 'room-boardroom';
  const body = c.sdp === null ? '' : (c.sdp ?? PHONE_AUDIO_SDP).replaceAll('{media}', c.media ?? src);
  const text = [
    `INVITE sip:${target}@${c.ruriHost ?? 'video.example.com'} SIP/2.0`,
    `Via: SIP/2.0/${c.transport ?? 'UDP'} ${c.via ?? src}:5060;branch=z9hG4bKPj${time}`,
    `From: "Caller" <sip:${c.from ?? 'alice@partner.example.net'}>;tag=${time}`,
    `To: <sip:${target}@video.example.com>`,
    `Call-ID: ${c.callId ?? `call-${time}-${src}`}`,
    'CSeq: 1 INVITE',
    `Contact: <sip:x@${c.contact ?? src}:5060>`,
    'User-Agent: MicroSIP/3.21.3',
    ...(c.extra ?? []),
    ...(body ? ['Content-Type: application/sdp'] : []),
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
  return parseSipRequestAttempt(text, { source: { ip: src, port: 5060 }, local: { ip: '203.0.113.10' }, time });
}
