import { describe, expect, it } from 'vitest';
import { checkEventBody, type ScriptedCall, uriEncode, userEventFields } from './dialplan.js';
import {
  CHAN_SIP_DEFAULT_ALLOW,
  EXAMPLE_PJSIP_ALLOW,
  formatNames,
  NotAcceptableHere,
  nativeFormats,
  type OfferInput,
  pjsipContentType,
} from './media.js';

const sdp = (...media: string[]) =>
  ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', ...media, ''].join('\r\n');

/** A desk phone / SIP dialler: G.711 both laws, G.729, telephone-event. */
const PHONE = sdp(
  'm=audio 4000 RTP/AVP 0 8 18 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000',
  'a=rtpmap:101 telephone-event/8000',
);
/** A room system: wideband audio, H.264 and H.263 video, BFCP. */
const ROOM = sdp(
  'm=audio 5000 RTP/AVP 9 0 8 114 101',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:114 opus/48000/2',
  'a=rtpmap:101 telephone-event/8000',
  'm=video 5002 RTP/AVP 97 34',
  'a=rtpmap:97 H264/90000',
  'a=rtpmap:34 H263/90000',
  'm=application 5004 TCP/BFCP *',
);

const input = (over: Partial<OfferInput>): OfferInput => ({
  tech: 'PJSIP',
  contentType: 'application/sdp',
  contentLength: '300',
  body: PHONE,
  allow: EXAMPLE_PJSIP_ALLOW,
  videoSupport: false,
  ...over,
});

describe("Asterisk's native formats of an inbound channel (what CHANNEL(audio/videonativeformat) read)", () => {
  it('prints format lists like ast_format_cap_get_names', () => {
    expect(formatNames(['ulaw', 'h264'])).toBe('(ulaw|h264)');
    expect(formatNames([])).toBe('(nothing)');
    expect(uriEncode('(ulaw|h264)')).toBe('(ulaw%7Ch264)');
  });

  it('PJSIP: the offer intersected with allow, in allow order; a media type without allowed codecs is declined', () => {
    expect(nativeFormats(input({}))).toEqual({ audio: ['ulaw'], video: [] });
    expect(nativeFormats(input({ body: ROOM }))).toEqual({ audio: ['opus', 'g722', 'ulaw'], video: ['h264'] });
    expect(nativeFormats(input({ body: ROOM, allow: ['ulaw', 'alaw', 'g729'] }))).toEqual({
      audio: ['ulaw', 'alaw'],
      video: [],
    });
    // A-law and G.729 only, none allowed: 488 before any channel exists
    const pcma = sdp('m=audio 4000 RTP/AVP 8 18', 'a=rtpmap:8 PCMA/8000');
    expect(() => nativeFormats(input({ body: pcma }))).toThrow(NotAcceptableHere);
    // a dynamic payload type needs its rtpmap; an H264 rtpmap on an audio line is not a format
    expect(nativeFormats(input({ body: sdp('m=audio 1 RTP/AVP 0 96', 'a=rtpmap:96 H264/90000') }))).toEqual({
      audio: ['ulaw'],
      video: [],
    });
  });

  it('PJSIP without SDP: the endpoint allow list', () => {
    for (const contentType of [undefined, 'application/isup']) {
      expect(nativeFormats(input({ contentType, contentLength: '0', body: '' }))).toEqual({
        audio: ['opus', 'g722', 'ulaw'],
        video: ['h264'],
      });
    }
  });

  it('chan_sip: one audio format, video only with videosupport, allow itself without SDP', () => {
    const sip = (over: Partial<OfferInput>) => input({ tech: 'SIP', allow: CHAN_SIP_DEFAULT_ALLOW, ...over });
    expect(nativeFormats(sip({}))).toEqual({ audio: ['ulaw'], video: [] });
    expect(nativeFormats(sip({ body: ROOM }))).toEqual({ audio: ['ulaw'], video: [] });
    expect(nativeFormats(sip({ body: ROOM, videoSupport: true }))).toEqual({ audio: ['ulaw'], video: ['h263'] });
    expect(nativeFormats(sip({ contentType: undefined, contentLength: '0', body: '' }))).toEqual({
      audio: ['ulaw'],
      video: ['h263'],
    });
    // find_sdp: Content-Length 0 means no SDP even under an SDP Content-Type
    expect(nativeFormats(sip({ contentLength: '0' }))).toEqual({ audio: ['ulaw'], video: ['h263'] });
  });

  it("reprints Content-Type like pjsip's PJSIP_HEADER(read)", () => {
    expect(pjsipContentType('application/sdp')).toBe('application/sdp');
    expect(pjsipContentType(' multipart/mixed ; boundary = abc ')).toBe('multipart/mixed;boundary=abc');
  });
});

describe('the check event carries the media fields as the example dialplan raises them', () => {
  const call: ScriptedCall = {
    tech: 'PJSIP',
    source: { ip: '192.0.2.10', port: 5060 },
    exten: 'room-boardroom',
    invite: { contentType: 'application/sdp', contentLength: '210', body: PHONE },
  };
  const fields = (c: ScriptedCall) => Object.fromEntries(checkEventBody(c));

  it('PJSIP', () => {
    expect(fields(call)).toMatchObject({
      AudioFormats: '(ulaw)',
      VideoFormats: '(nothing)',
      EndpointAllow: '(opus%7Cg722%7Culaw%7Ch264)',
      ContentLength: '210',
      ContentType: 'application%2Fsdp',
    });
  });

  it('chan_sip: no EndpointAllow', () => {
    expect(fields({ ...call, tech: 'SIP' })).toMatchObject({
      AudioFormats: '(ulaw)',
      VideoFormats: '(nothing)',
      EndpointAllow: '',
      ContentType: 'application%2Fsdp',
    });
  });

  it('chan_ooh323: empty; without `invite`: the event of a dialplan without the fields', () => {
    expect(fields({ ...call, tech: 'OOH323' })).toMatchObject({ AudioFormats: '', ContentType: '' });
    expect(fields({ ...call, invite: undefined })).not.toHaveProperty('ContentType');
  });
});

describe('what app_userevent makes of the arguments', () => {
  it('one field per argument; an unbalanced ( in a value takes the following fields into it', () => {
    const args: Array<[string, string]> = [
      ['Tech', 'PJSIP'],
      ['CallerName', uriEncode('Eve (')],
      ['UserAgent', uriEncode('friendly-scanner')],
      ['Via', uriEncode('SIP/2.0/UDP 192.0.2.9')],
    ];
    expect(userEventFields(args.filter(([k]) => k !== 'CallerName'))).toEqual([
      ['Tech', 'PJSIP'],
      ['UserAgent', 'friendly-scanner'],
      ['Via', 'SIP%2F2.0%2FUDP%20192.0.2.9'],
    ]);
    expect(userEventFields(args)).toEqual([
      ['Tech', 'PJSIP'],
      ['CallerName', 'Eve%20(,UserAgent: friendly-scanner,Via: SIP%2F2.0%2FUDP%20192.0.2.9'],
    ]);
    // balanced parentheses (a room's User-Agent) split as usual
    expect(
      userEventFields([
        ['UserAgent', uriEncode('Cisco/CE (RoomKit Pro)')],
        ['To', 'x'],
      ]),
    ).toHaveLength(2);
  });
});
