import { createHash } from 'node:crypto';
import { parseSipMessage } from '@ghostguard/core/sip';
import { afterEach, describe, expect, it } from 'vitest';
import { SipUdpAgent } from './agent.js';
import { digestAuthorization, parseChallenge } from './digest.js';
import { headerValue, waitUntil } from './index.js';
import { buildRequest, sdpOffer } from './request.js';

const agents: SipUdpAgent[] = [];
afterEach(async () => {
  for (const a of agents.splice(0)) await a.close();
});

const md5 = (s: string) => createHash('md5').update(s).digest('hex');

describe('SIP user agents', () => {
  it('write a request that parses, with its body counted', () => {
    const text = buildRequest({
      method: 'INVITE',
      uri: 'sip:room-boardroom@video.example.com',
      from: { address: '127.0.0.1', port: 5062 },
      callId: 'call-1',
      sdp: sdpOffer('127.0.0.1'),
    });
    const msg = parseSipMessage(Buffer.from(text));
    expect(msg.kind).toBe('request');
    expect(headerValue(text, 'call-id')).toBe('call-1');
    expect(headerValue(text, 'via')).toMatch(/^SIP\/2\.0\/UDP 127\.0\.0\.1:5062;branch=z9hG4bK/);
    expect(Number(headerValue(text, 'content-length'))).toBe(Buffer.byteLength(sdpOffer('127.0.0.1')));
  });

  it('answer a digest challenge as RFC 2617 computes it (qop=auth)', () => {
    const challenge = 'Digest realm="video.example.com", nonce="abc", qop="auth"';
    expect(parseChallenge(challenge)).toEqual({ realm: 'video.example.com', nonce: 'abc', qop: 'auth' });
    const value = digestAuthorization({ challenge, username: '101', password: 'pw', method: 'REGISTER', uri: 'sip:x' });
    const ha1 = md5('101:video.example.com:pw');
    const ha2 = md5('REGISTER:sip:x');
    expect(value).toContain(`response="${md5(`${ha1}:abc:00000001:ggcnonce:auth:${ha2}`)}"`);
  });

  it('exchange datagrams over loopback and keep what they receive', async () => {
    const a = await SipUdpAgent.open('127.0.0.1');
    const b = await SipUdpAgent.open('127.0.0.1');
    agents.push(a, b);
    a.send('SIP/2.0 200 OK\r\nCall-ID: c1\r\nContent-Length: 0\r\n\r\n', b.port);
    await waitUntil(() => b.received.length === 1, 2_000, 'the response');
    expect(b.received[0]).toMatchObject({ status: 200, firstLine: 'SIP/2.0 200 OK', from: { port: a.port } });
    expect(b.responsesFor('c1')).toHaveLength(1);
  });
});
