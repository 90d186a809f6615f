import { describe, expect, it } from 'vitest';
import { readdressed } from './readdress.js';

const sdp = 'v=0\r\no=- 1 1 IN IP4 198.51.100.40\r\nc=IN IP4 198.51.100.40\r\nm=audio 4000 RTP/AVP 0\r\n';
const request = [
  'INVITE sip:room-101@video.example.com SIP/2.0',
  'Via: SIP/2.0/UDP 198.51.100.40:5060;branch=z9hG4bK1',
  'Contact: <sip:bridge@198.51.100.40:5060>',
  'From: <sip:bridge@video.example.com>;tag=1',
  'X-Other: 198.51.100.401',
  'Content-Type: application/sdp',
  `Content-Length: ${sdp.length}`,
  '',
  sdp,
].join('\r\n');

describe('readdressed', () => {
  it('writes the sending address where the recorded sender wrote its own, and fixes Content-Length', () => {
    const out = readdressed(Buffer.from(request, 'latin1'), '198.51.100.40', '127.2.3.1').toString('latin1');
    expect(out).toContain('Via: SIP/2.0/UDP 127.2.3.1:5060;');
    expect(out).toContain('Contact: <sip:bridge@127.2.3.1:5060>');
    expect(out).toContain('c=IN IP4 127.2.3.1\r\n');
    expect(out).toContain('X-Other: 198.51.100.401');
    const body = out.slice(out.indexOf('\r\n\r\n') + 4);
    expect(out).toContain(`Content-Length: ${body.length}\r\n`);
  });

  it('replaces a bracketed IPv6 address whole and leaves longer addresses alone', () => {
    const text =
      'OPTIONS sip:x SIP/2.0\r\nVia: SIP/2.0/UDP [2001:db8:10::25]:5060\r\nX: 2001:db8:10::251\r\nContent-Length: 0\r\n\r\n';
    const out = readdressed(Buffer.from(text), '2001:db8:10::25', '127.2.0.1').toString();
    expect(out).toContain('Via: SIP/2.0/UDP 127.2.0.1:5060');
    expect(out).toContain('X: 2001:db8:10::251');
  });
});
