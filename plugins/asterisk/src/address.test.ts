import { describe, expect, it } from 'vitest';
import { ooh323Caller, parseHostPort, parseSecurityAddress } from './address.js';

describe('source addresses as Asterisk spells them', () => {
  it('reads PJSIP remote_addr and chan_sip peerip', () => {
    expect(parseHostPort('203.0.113.9:5060')).toEqual({ ip: '203.0.113.9', port: 5060 });
    expect(parseHostPort('[2001:db8::1]:5061')).toEqual({ ip: '2001:db8::1', port: 5061 });
    expect(parseHostPort('[2001:DB8::1]')).toEqual({ ip: '2001:db8::1' });
    expect(parseHostPort('198.51.100.4')).toEqual({ ip: '198.51.100.4' });
    expect(parseHostPort('2001:db8::7')).toEqual({ ip: '2001:db8::7' });
  });

  it('refuses what is not an address', () => {
    for (const bad of ['', 'garbage', '1.2.3.4:99999', '1.2.3.4:', '[::1', 'host.example.com:5060', '1.2.3:5060']) {
      expect(parseHostPort(bad), bad).toBeUndefined();
    }
  });

  it('tells chan_ooh323 callers by channel name: address for unconfigured callers, name for configured ones', () => {
    expect(ooh323Caller('OOH323/192.0.2.44-3')).toEqual({ ip: '192.0.2.44' });
    expect(ooh323Caller('OOH323/callerb-0')).toEqual({ name: 'callerb' });
    expect(ooh323Caller('OOH323/2001:db8::5-12')).toEqual({ ip: '2001:db8::5' });
    expect(ooh323Caller('PJSIP/anonymous-00000001')).toBeUndefined();
  });

  it('reads security event addresses, IPv4 and IPv6', () => {
    expect(parseSecurityAddress('IPV4/UDP/1.2.3.4/5060')).toEqual({ ip: '1.2.3.4', port: 5060, transport: 'udp' });
    expect(parseSecurityAddress('IPV6/TCP/2001:db8::1/5061')).toEqual({
      ip: '2001:db8::1',
      port: 5061,
      transport: 'tcp',
    });
    expect(parseSecurityAddress('IPV4/UDP/not-an-ip/5060')).toBeUndefined();
    expect(parseSecurityAddress('1.2.3.4')).toBeUndefined();
    expect(parseSecurityAddress('UNIX/x/y/z')).toBeUndefined();
  });
});
