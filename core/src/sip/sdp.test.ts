import { describe, expect, it } from 'vitest';
import { sdpSessionName } from './sdp.js';

const enc = (s: string) => new TextEncoder().encode(s);
const sdp = (sessionName: string) =>
  `v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=${sessionName}\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n`;

describe('sdpSessionName', () => {
  it('reads s= when Content-Type is application/sdp', () => {
    expect(sdpSessionName(enc(sdp('Polycom IP Phone')), 'application/sdp')).toBe('Polycom IP Phone');
    expect(sdpSessionName(enc(sdp('-')), 'Application/SDP; charset=utf-8')).toBe('-');
  });

  it('reads s= from a body that starts with v=0 whatever the Content-Type', () => {
    expect(sdpSessionName(enc(sdp('no type').replaceAll('\r\n', '\n')))).toBe('no type');
    expect(sdpSessionName(enc(sdp('wrong type')), 'text/plain')).toBe('wrong type');
  });

  it('decodes a UTF-8 session name', () => {
    expect(sdpSessionName(enc(sdp('Sitzung ü')), 'application/sdp')).toBe('Sitzung ü');
  });

  it('does not read a non-SDP body, nor an s= that only appears in a media section', () => {
    expect(sdpSessionName(enc('s=not sdp\r\n'), 'text/plain')).toBeUndefined();
    expect(sdpSessionName(enc('v=0\r\nm=audio 1 RTP/AVP 0\r\ns=late\r\n'), 'application/sdp')).toBeUndefined();
    expect(sdpSessionName(new Uint8Array(0), 'application/sdp')).toBeUndefined();
  });

  it('finds the SDP part of a multipart body', () => {
    const body = [
      '--b1',
      'Content-Type: application/isup;version=itu-t92+',
      '',
      's=isup-not-sdp',
      '--b1',
      'c: application/sdp',
      '',
      sdp('in multipart'),
      '--b1--',
      '',
    ].join('\r\n');
    expect(sdpSessionName(enc(body), 'multipart/mixed;boundary=b1')).toBe('in multipart');
    expect(sdpSessionName(enc(body), 'multipart/mixed;boundary=other')).toBeUndefined();
  });
});
