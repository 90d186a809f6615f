import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MediaOfferSchema } from '../attempt.js';
import { noMediaOffer, summarizeSdpOffer } from './sdp-offer.js';

const enc = (s: string) => new TextEncoder().encode(s);
const sdp = (...lines: string[]) => `${lines.join('\r\n')}\r\n`;

/** A Cisco room system's offer: wideband audio, main video, BFCP and a second video line for content. */
const ROOM_OFFER = sdp(
  'v=0',
  'o=tandberg 20012 20012 IN IP4 198.51.100.20',
  's=-',
  'c=IN IP4 198.51.100.20',
  'b=AS:6000',
  't=0 0',
  'm=audio 52120 RTP/AVP 96 9 0 101',
  'a=rtpmap:96 opus/48000/2',
  'a=rtpmap:9 G722/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'm=video 52122 RTP/AVP 97 126',
  'a=rtpmap:97 H264/90000',
  'a=rtpmap:126 H264/90000',
  'a=content:main',
  'm=application 5070 TCP/BFCP *',
  'a=floorctrl:c-s',
  'a=setup:actpass',
  'm=video 52126 RTP/AVP 97',
  'a=rtpmap:97 H264/90000',
  'a=content:slides',
);

/** What a toll-fraud dialler sends: audio only, static payload types without rtpmap. */
const GHOST_CALL_OFFER = sdp(
  'v=0',
  'o=100 1008 1008 IN IP4 203.0.113.66',
  's=SIP Call',
  'c=IN IP4 203.0.113.66',
  't=0 0',
  'm=audio 4000 RTP/AVP 0 8 18 101',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
);

describe('summarizeSdpOffer', () => {
  it('sees a room system: audio, video and BFCP content sharing, each kind once', () => {
    expect(summarizeSdpOffer(enc(ROOM_OFFER), 'application/sdp')).toEqual({
      offered: true,
      kinds: ['audio', 'video', 'application'],
      codecs: ['opus', 'g722', 'pcmu', 'telephone-event', 'h264'],
      bfcp: true,
      connectionAddresses: ['198.51.100.20'],
    });
  });

  it('names static payload types without rtpmap from RFC 3551 and keeps the offer order', () => {
    expect(summarizeSdpOffer(enc(GHOST_CALL_OFFER), 'application/sdp')).toEqual({
      offered: true,
      kinds: ['audio'],
      codecs: ['pcmu', 'pcma', 'g729', 'telephone-event'],
      bfcp: false,
      connectionAddresses: ['203.0.113.66'],
    });
  });

  it('ignores dynamic payload types without rtpmap, and formats of protos that are not RTP', () => {
    const offer = summarizeSdpOffer(
      sdp('v=0', 'm=audio 4000 RTP/SAVPF 111 34 96', 'a=rtpmap:96 VP8/90000', 'm=image 4002 udptl t38'),
    );
    expect(offer?.codecs).toEqual(['h263', 'vp8']);
    expect(offer?.kinds).toEqual(['audio', 'image']);
  });

  it('ignores a declined media line (port 0): its kind, codecs, BFCP and c= address', () => {
    const offer = summarizeSdpOffer(
      sdp(
        'v=0',
        'c=IN IP4 192.0.2.1',
        'm=audio 4000 RTP/AVP 0',
        'm=video 0 RTP/AVP 97',
        'c=IN IP4 192.0.2.99',
        'a=rtpmap:97 H264/90000',
        'm=application 0 UDP/TLS/BFCP *',
      ),
      'application/sdp',
    );
    expect(offer).toEqual({
      offered: true,
      kinds: ['audio'],
      codecs: ['pcmu'],
      bfcp: false,
      connectionAddresses: ['192.0.2.1'],
    });
  });

  it('reads session- and media-level c= lines: IPv6 in canonical text, multicast TTL cut, hostnames skipped', () => {
    const offer = summarizeSdpOffer(
      sdp(
        'v=0',
        'c=IN IP6 2001:DB8:0:0:0:0:0:1',
        'm=audio 4000 RTP/AVP 0',
        'c=IN IP4 233.252.0.1/127/2',
        'm=video 4002 RTP/AVP 31',
        'c=IN IP4 media.example.com',
        'c=IN IP6 2001:db8::1',
      ),
    );
    expect(offer?.connectionAddresses).toEqual(['2001:db8::1', '233.252.0.1']);
  });

  it('finds the SDP part of a multipart body (SDP + ISUP)', () => {
    const body = [
      '--uniq',
      'Content-Type: application/isup;version=itu-t92+',
      '',
      'm=video 4002 RTP/AVP 31',
      '--uniq',
      'Content-Type: application/sdp',
      '',
      GHOST_CALL_OFFER,
      '--uniq--',
      '',
    ].join('\r\n');
    expect(summarizeSdpOffer(enc(body), 'multipart/mixed;boundary=uniq')?.codecs).toEqual([
      'pcmu',
      'pcma',
      'g729',
      'telephone-event',
    ]);
    expect(summarizeSdpOffer(enc(body), 'multipart/mixed;boundary=other')).toBeUndefined();
  });

  it('reads a string body as a byte body, and a body starting v=0 whatever its Content-Type', () => {
    expect(summarizeSdpOffer(GHOST_CALL_OFFER)).toEqual(summarizeSdpOffer(enc(GHOST_CALL_OFFER), 'application/sdp'));
    expect(summarizeSdpOffer(GHOST_CALL_OFFER.replaceAll('\r\n', '\n'), 'text/plain')?.kinds).toEqual(['audio']);
  });

  it('gives undefined for a body that holds no SDP, and an empty offer for SDP without media', () => {
    expect(summarizeSdpOffer(enc('<xml/>'), 'application/pidf+xml')).toBeUndefined();
    expect(summarizeSdpOffer(new Uint8Array(0), 'application/sdp')).toBeUndefined();
    expect(summarizeSdpOffer(sdp('v=0', 's=-'))).toEqual({ ...noMediaOffer(), offered: true });
  });

  it('stops at its limits: 8 kinds, 32 codecs of at most 32 chars, 4 addresses, 256 m=/rtpmap lines', () => {
    const many = (n: number, line: (i: number) => string) => Array.from({ length: n }, (_, i) => line(i));
    const offer = summarizeSdpOffer(
      sdp(
        'v=0',
        ...many(10, (i) => `c=IN IP4 192.0.2.${i + 1}`),
        ...many(10, (i) => `m=kind${i} 4000 RTP/AVP 0`),
        'm=audio 4000 RTP/AVP 96 97',
        `a=rtpmap:96 ${'x'.repeat(33)}/8000`,
        'a=rtpmap:97 ok/8000',
        ...many(40, (i) => `m=audio 4000 RTP/AVP 96\r\na=rtpmap:96 codec${i}/8000`),
      ),
    );
    expect(offer?.kinds).toEqual(many(8, (i) => `kind${i}`));
    expect(offer?.connectionAddresses).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4']);
    expect(offer?.codecs).toEqual(['pcmu', 'ok', ...many(30, (i) => `codec${i}`)]);

    const afterLimit = sdp(...many(256, () => 'a=rtpmap:0 PCMU/8000'), 'm=audio 4000 RTP/AVP 0');
    expect(summarizeSdpOffer(afterLimit, 'application/sdp')?.kinds).toEqual([]);
    const beyond64k = sdp('v=0', `a=x:${'y'.repeat(64 * 1024)}`, 'm=audio 4000 RTP/AVP 0');
    expect(summarizeSdpOffer(beyond64k)?.kinds).toEqual([]);
  });

  it('never throws on garbage and always stays within MediaOfferSchema', () => {
    const sdpish = fc.array(
      fc.oneof(
        fc.constantFrom('v=0', 'm=audio 4000 RTP/AVP 0 8 96', 'm=application 9 TCP/BFCP *', 'c=IN IP6 ::1'),
        fc.string().map((s) => `m=${s}`),
        fc.string().map((s) => `a=rtpmap:${s}`),
        fc.string().map((s) => `c=${s}`),
        fc.string(),
      ),
      { maxLength: 300 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          sdpish.map((lines) => ['v=0', ...lines].join('\r\n')),
          fc.uint8Array({ maxLength: 2048 }),
          fc.string({ unit: 'binary', maxLength: 2048 }),
        ),
        fc.option(fc.constantFrom('application/sdp', 'multipart/mixed;boundary=b', 'text/plain', 'garbage'), {
          nil: undefined,
        }),
        (body, contentType) => {
          const offer = summarizeSdpOffer(body, contentType);
          if (offer !== undefined) expect(MediaOfferSchema.safeParse(offer).success).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads a huge hostile body within the limits', () => {
    const huge = `v=0\r\n${'m=audio 1 RTP/AVP 0 8\r\na=rtpmap:96 x/1\r\nc=IN IP4 192.0.2.1\r\n'.repeat(100_000)}`;
    const offer = summarizeSdpOffer(enc(huge), 'application/sdp');
    expect(MediaOfferSchema.safeParse(offer).success).toBe(true);
    expect(offer?.codecs).toEqual(['pcmu', 'pcma']);
  });
});
