import { describe, expect, it } from 'vitest';
import { tcpStreamKind } from './stream-kind.js';

const TPKT_Q931 = Uint8Array.from([0x03, 0x00, 0x00, 0x10, 0x08, 0x02, 0x00, 0x01, 0x05]);
const TPKT_H245 = Uint8Array.from([0x03, 0x00, 0x00, 0x0a, 0x02, 0x70, 0x01, 0x06]);
const SIP = new TextEncoder().encode('INVITE sip:a@b SIP/2.0\r\n');

describe('tcpStreamKind', () => {
  it('calls anything to or from port 1720 H.323 call signalling, whatever it starts with', () => {
    expect(tcpStreamKind(SIP, 40000, 1720)).toBe('h323-call-signalling');
    expect(tcpStreamKind(TPKT_Q931, 1720, 40000)).toBe('h323-call-signalling');
  });

  it('tells TPKT carrying Q.931 on another port from other TPKT (H.245) and from SIP', () => {
    expect(tcpStreamKind(TPKT_Q931, 40000, 11720)).toBe('h323-call-signalling');
    expect(tcpStreamKind(TPKT_H245, 40000, 40001)).toBe('tpkt');
    expect(tcpStreamKind(SIP, 40000, 5060)).toBe('other');
    expect(tcpStreamKind(Uint8Array.from([0x03, 0x01, 0x00, 0x10, 0x08]), 40000, 5060)).toBe('other');
  });

  it('takes a few bytes that open a TPKT header as call signalling', () => {
    expect(tcpStreamKind(Uint8Array.from([0x03, 0x00]), 40000, 5061)).toBe('h323-call-signalling');
  });
});
