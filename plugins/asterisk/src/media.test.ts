import { MediaOfferSchema } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { type CheckMediaFields, checkMedia, encodingName, parseFormatList } from './media.js';

/** What the example dialplan raises for an SDP offer on the example PJSIP endpoint (allow = opus,g722,ulaw,h264). */
const pjsipOffer = (audio: string, video: string, over: Partial<CheckMediaFields> = {}): CheckMediaFields => ({
  audioFormats: audio,
  videoFormats: video,
  endpointAllow: '(opus|g722|ulaw|h264)',
  contentLength: '312',
  contentType: 'application/sdp',
  ...over,
});

describe('format lists as ast_format_cap_get_names prints them', () => {
  it('reads names, (nothing), and refuses anything Asterisk does not print', () => {
    expect(parseFormatList('(ulaw|h264)')).toEqual(['ulaw', 'h264']);
    expect(parseFormatList('(nothing)')).toEqual([]);
    expect(parseFormatList('(slin16)')).toEqual(['slin16']);
    for (const bad of ['', 'ulaw', '(ulaw|h26', '()', '(ulaw||g722)', '(ul aw)', `(${'a'.repeat(33)})`]) {
      expect(parseFormatList(bad)).toBeUndefined();
    }
  });

  it('maps Asterisk format names to SDP encoding names', () => {
    expect(
      ['ulaw', 'alaw', 'g729', 'g722', 'opus', 'gsm', 'h264', 'h263', 'h263p', 'vp8', 'vp9'].map(encodingName),
    ).toEqual(['pcmu', 'pcma', 'g729', 'g722', 'opus', 'gsm', 'h264', 'h263', 'h263-1998', 'vp8', 'vp9']);
    expect(encodingName('siren14')).toBe('g7221');
    expect(encodingName('amrwb')).toBe('amrwb'); // a third-party module's format keeps its name
  });
});

describe('media from the check event', () => {
  it('an audio-only PCMU offer on PJSIP: what Asterisk kept of it', () => {
    const media = checkMedia('PJSIP', pjsipOffer('(ulaw)', '(nothing)'));
    expect(media).toEqual({ offered: true, kinds: ['audio'], codecs: ['pcmu'], bfcp: false, connectionAddresses: [] });
    expect(MediaOfferSchema.parse(media)).toEqual(media);
  });

  it('a video offer on PJSIP', () => {
    expect(checkMedia('PJSIP', pjsipOffer('(opus|g722|ulaw)', '(h264)'))).toEqual({
      offered: true,
      kinds: ['audio', 'video'],
      codecs: ['opus', 'g722', 'pcmu', 'h264'],
      bfcp: false,
      connectionAddresses: [],
    });
  });

  it('an INVITE without SDP: offered false, whatever the native formats (they are the allow list then)', () => {
    const none = { offered: false, kinds: [], codecs: [], bfcp: false, connectionAddresses: [] };
    const noBody = pjsipOffer('(opus|g722|ulaw)', '(h264)', { contentType: '', contentLength: '0' });
    expect(checkMedia('PJSIP', noBody)).toEqual(none);
    expect(checkMedia('SIP', { ...noBody, endpointAllow: '' })).toEqual(none);
    // a body that is not SDP carries no offer either
    expect(checkMedia('PJSIP', { ...noBody, contentType: 'application/isup', contentLength: '40' })).toEqual(none);
  });

  it('cannot tell: multipart bodies, an SDP type with Content-Length 0 or none, malformed lists', () => {
    const cases: Array<Partial<CheckMediaFields>> = [
      { contentType: 'multipart/mixed;boundary=unique-boundary-1' },
      { contentLength: '0' },
      { contentLength: '' },
      { contentType: 'not a media type' },
      { audioFormats: '' },
      { videoFormats: 'h264' },
      { audioFormats: '(nothing)', videoFormats: '(nothing)' },
    ];
    for (const over of cases) expect(checkMedia('PJSIP', pjsipOffer('(ulaw)', '(nothing)', over))).toBeUndefined();
  });

  it('no video in the lists means no video only when the endpoint allows a video codec', () => {
    expect(checkMedia('PJSIP', pjsipOffer('(ulaw)', '(nothing)', { endpointAllow: '(ulaw|alaw)' }))).toBeUndefined();
    expect(checkMedia('PJSIP', pjsipOffer('(ulaw)', '(nothing)', { endpointAllow: '' }))).toBeUndefined();
    // chan_sip reads m=video only with videosupport=yes, which the dialplan cannot see
    expect(checkMedia('SIP', pjsipOffer('(ulaw)', '(nothing)', { endpointAllow: '' }))).toBeUndefined();
    expect(checkMedia('SIP', pjsipOffer('(ulaw)', '(h263)', { endpointAllow: '' }))).toMatchObject({
      offered: true,
      kinds: ['audio', 'video'],
      codecs: ['pcmu', 'h263'],
    });
  });

  it('nothing for chan_ooh323, other drivers and older dialplans', () => {
    expect(checkMedia('OOH323', pjsipOffer('(ulaw)', '(h264)'))).toBeUndefined();
    expect(checkMedia('other', pjsipOffer('(ulaw)', '(h264)'))).toBeUndefined();
    expect(checkMedia('PJSIP', undefined)).toBeUndefined();
  });

  it('stays within the attempt schema for the longest list Asterisk prints', () => {
    const many = `(${Array.from({ length: 64 }, (_, i) => `x${i}`).join('|')})`;
    const media = checkMedia('PJSIP', pjsipOffer(many, '(h264)'));
    expect(media?.codecs).toHaveLength(32);
    expect(MediaOfferSchema.safeParse(media).success).toBe(true);
  });
});
