import { describe, expect, it } from 'vitest';
import { parseVia } from './via.js';

describe('parseVia', () => {
  it('reads the svwar Via: transport, sent-by, branch and a value-less rport', () => {
    expect(parseVia('SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-2100381865;rport')).toMatchObject({
      protocol: 'SIP/2.0',
      transport: 'UDP',
      sentBy: '127.0.0.1:5061',
      host: '127.0.0.1',
      port: 5061,
      branch: 'z9hG4bK-2100381865',
      rport: true,
    });
  });

  it('reads received and a numeric rport from a reply', () => {
    const via = parseVia('SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1;rport=5061;received=127.0.0.1');
    expect(via).toMatchObject({ rport: 5061, received: '127.0.0.1' });
  });

  it('allows LWS around the slashes and the sent-by colon, and removes it from sentBy', () => {
    expect(parseVia('SIP / 2.0 / TCP  host.example.com : 5062 ; branch = z9hG4bKx')).toMatchObject({
      transport: 'TCP',
      sentBy: 'host.example.com:5062',
      host: 'host.example.com',
      port: 5062,
      branch: 'z9hG4bKx',
    });
  });

  it('reads an IPv6 sent-by and a host without port', () => {
    expect(parseVia('SIP/2.0/TLS [2001:db8::9]:5061;branch=z9hG4bK9')).toMatchObject({
      sentBy: '[2001:db8::9]:5061',
      host: '2001:db8::9',
      port: 5061,
    });
    const noPort = parseVia('SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bK');
    expect(noPort).toMatchObject({ transport: 'WSS', host: 'df7jal23ls0d.invalid' });
    expect(noPort?.port).toBeUndefined();
  });

  it('keeps a sent-by with a bad port as written but without port', () => {
    const via = parseVia('SIP/2.0/UDP h:99999;branch=z9hG4bK1');
    expect(via?.sentBy).toBe('h:99999');
    expect(via?.port).toBeUndefined();
  });

  it('returns undefined without a sent-protocol or sent-by', () => {
    for (const value of ['', 'SIP/2.0/UDP', 'SIP/2.0 host', 'SIP//UDP host', 'garbage', 'SIP/2.0/UDP ;branch=x']) {
      expect(parseVia(value), value).toBeUndefined();
    }
  });
});
