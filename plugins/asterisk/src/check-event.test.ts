import { createGuard } from '@ghostguard/core';
import { describe, expect, it } from 'vitest';
import { checkAttempt } from './attempt.js';
import { MAX_ENCODED_FIELD, readCheckEvent } from './check-event.js';

/** A GhostguardCheck UserEvent as asterisk-manager hands it over: lower-cased keys, string values. */
const svwarEvent = {
  event: 'UserEvent',
  privilege: 'user,all',
  channel: 'PJSIP/anonymous-00000007',
  uniqueid: '1795292631.7',
  context: 'ghostguard-check',
  exten: 's',
  userevent: 'GhostguardCheck',
  tech: 'PJSIP',
  source: '127.0.0.2%3A5061',
  dialed: '101',
  callernum: '101',
  callername: '101',
  useragent: 'friendly-scanner',
  via: 'SIP%2F2.0%2FUDP%20127.0.0.2%3A5061%3Bbranch%3Dz9hG4bK-1652711399%3Brport',
  from: '%22101%22%3Csip%3A101%40127.0.0.1%3E%3Btag%3D3130310131363533313033383238',
  to: '%22101%22%3Csip%3A101%40127.0.0.1%3E',
  callid: '1525436355',
  requesturi: 'sip%3A101%40127.0.0.1',
  contact: 'sip%3A101%40127.0.0.1',
  h323id: '',
  h323digits: '',
};

describe('reading the GhostguardCheck event', () => {
  it('decodes every URIENCODE()d field and builds the attempt the core judges', () => {
    const r = readCheckEvent(svwarEvent);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.request).toMatchObject({
      channel: 'PJSIP/anonymous-00000007',
      uniqueid: '1795292631.7',
      tech: 'PJSIP',
      source: '127.0.0.2:5061',
    });
    const attempt = checkAttempt(r.request, { ip: '127.0.0.2', port: 5061 }, 1_700_000_000_000);
    expect(attempt).toMatchObject({
      protocol: 'sip',
      method: 'INVITE',
      source: { ip: '127.0.0.2', port: 5061, transport: 'udp' },
      target: { user: '101', host: '127.0.0.1' },
      caller: { user: '101', host: '127.0.0.1', display: '101' },
      userAgent: 'friendly-scanner',
      adapter: 'asterisk',
      sip: {
        viaBranch: 'z9hG4bK-1652711399',
        fromTag: '3130310131363533313033383238',
        requestUri: 'sip:101@127.0.0.1',
      },
    });
    // the SIPVicious shapes the core looks for survive the trip through the dialplan and AMI
    const guard = createGuard({ log: { level: 'silent' } });
    try {
      const rules = guard.judge(attempt).reasons.map((x) => x.rule);
      expect(rules).toEqual(expect.arrayContaining(['fp.ua.friendly-scanner']));
      expect(rules.some((x) => x.includes('branch'))).toBe(true);
      expect(rules.some((x) => x.includes('from-tag'))).toBe(true);
    } finally {
      guard.close();
    }
  });

  it('takes the first of repeated keys and ignores object values (asterisk-manager quirks)', () => {
    const r = readCheckEvent({ ...svwarEvent, channel: ['PJSIP/a-1', 'PJSIP/b-2'], dialed: { x: 'y' } });
    expect(r.ok && r.request.channel).toBe('PJSIP/a-1');
    expect(r.ok && r.request.dialed).toBeUndefined();
  });

  it('reports bad encoding and oversized fields, keeping the channel so the call can still be decided', () => {
    const bad = readCheckEvent({ ...svwarEvent, useragent: '%E0%A4%A' });
    expect(bad).toMatchObject({
      ok: false,
      channel: 'PJSIP/anonymous-00000007',
      tech: 'PJSIP',
      problem: 'useragent: not URI-encoded text',
    });
    const big = readCheckEvent({ ...svwarEvent, via: 'a'.repeat(MAX_ENCODED_FIELD + 1) });
    expect(big).toMatchObject({ ok: false, channel: 'PJSIP/anonymous-00000007' });
    expect(readCheckEvent({ userevent: 'GhostguardCheck' })).toEqual({
      ok: false,
      problem: 'no Channel in the check event',
    });
  });

  it('cuts fields out again that an unbalanced ( merged into one value (UserEvent does not split inside parentheses)', () => {
    const { useragent, via, from, to, ...rest } = svwarEvent;
    // what Asterisk sends for CallerName "101 (": the rest of the UserEvent's arguments in its value
    const callername = `101%20(,UserAgent: ${useragent},Via: ${via},From: ${from},To: ${to}`;
    const r = readCheckEvent({ ...rest, callername });
    if (!r.ok) throw new Error(r.problem);
    expect(r.request).toMatchObject({
      callerName: '101 (',
      userAgent: 'friendly-scanner',
      via: 'SIP/2.0/UDP 127.0.0.2:5061;branch=z9hG4bK-1652711399;rport',
      from: '"101"<sip:101@127.0.0.1>;tag=3130310131363533313033383238',
      to: '"101"<sip:101@127.0.0.1>',
    });
    // a comma not followed by `Key: ` is no merge: the value stays as it came
    const plain = readCheckEvent({ ...svwarEvent, callername: 'a,b' });
    expect(plain.ok && plain.request.callerName).toBe('a,b');
  });

  it('derives the channel driver from the channel name when Tech is missing', () => {
    const { tech, ...noTech } = svwarEvent;
    expect(tech).toBe('PJSIP');
    const r = readCheckEvent({ ...noTech, channel: 'OOH323/192.0.2.1-4' });
    expect(r.ok && r.request.tech).toBe('OOH323');
    const other = readCheckEvent({ ...noTech, channel: 'IAX2/peer-1' });
    expect(other.ok && other.request.tech).toBe('other');
  });

  it('builds an H.323 attempt for chan_ooh323 from the ids Asterisk exposes', () => {
    const r = readCheckEvent({
      channel: 'OOH323/callerb-0',
      tech: 'OOH323',
      dialed: '5551234',
      callernum: '2000',
      callername: 'caller-b',
      h323id: 'RealpeersCallerB',
      h323digits: '2000',
    });
    if (!r.ok) throw new Error(r.problem);
    expect(checkAttempt(r.request, { ip: '127.0.0.2', transport: 'tcp' }, 1)).toMatchObject({
      protocol: 'h323',
      method: 'SETUP',
      source: { ip: '127.0.0.2', transport: 'tcp' },
      target: { user: '5551234' },
      caller: { user: '2000', display: 'caller-b' },
      h323: {
        sourceAliases: [
          { type: 'h323-ID', value: 'RealpeersCallerB' },
          { type: 'dialedDigits', value: '2000' },
        ],
        destinationAliases: [{ type: 'dialedDigits', value: '5551234' }],
        calledNumber: '5551234',
        callingNumber: '2000',
      },
    });
  });

  describe('the media fields (what Asterisk kept of the offer)', () => {
    /** The svwar event as the current dialplan raises it for an audio-only PCMU offer on the example endpoint. */
    const withMedia = {
      ...svwarEvent,
      audioformats: '(ulaw)',
      videoformats: '(nothing)',
      endpointallow: '(opus%7Cg722%7Culaw%7Ch264)',
      contentlength: '245',
      contenttype: 'application%2Fsdp',
    };

    it('decodes them and builds attempt.media', () => {
      const r = readCheckEvent(withMedia);
      if (!r.ok) throw new Error(r.problem);
      expect(r.request.media).toEqual({
        audioFormats: '(ulaw)',
        videoFormats: '(nothing)',
        endpointAllow: '(opus|g722|ulaw|h264)',
        contentLength: '245',
        contentType: 'application/sdp',
      });
      expect(checkAttempt(r.request, { ip: '127.0.0.2', port: 5061 }, 1).media).toEqual({
        offered: true,
        kinds: ['audio'],
        codecs: ['pcmu'],
        bfcp: false,
        connectionAddresses: [],
      });
    });

    it('an event of an older dialplan (no ContentType field) builds no media', () => {
      const r = readCheckEvent(svwarEvent);
      if (!r.ok) throw new Error(r.problem);
      expect(r.request.media).toBeUndefined();
      expect(checkAttempt(r.request, { ip: '127.0.0.2', port: 5061 }, 1)).not.toHaveProperty('media');
      // the other media fields without ContentType are ignored too
      const partial = readCheckEvent({ ...svwarEvent, audioformats: '(ulaw)', videoformats: '(h264)' });
      expect(partial.ok && partial.request.media).toBeUndefined();
    });

    it('an empty ContentType is an INVITE without SDP', () => {
      const r = readCheckEvent({ ...withMedia, contenttype: '', contentlength: '0' });
      if (!r.ok) throw new Error(r.problem);
      expect(checkAttempt(r.request, { ip: '127.0.0.2', port: 5061 }, 1).media).toMatchObject({ offered: false });
    });

    it('hostile values take the malformed path like every other field', () => {
      const huge = readCheckEvent({ ...withMedia, contenttype: 'a'.repeat(MAX_ENCODED_FIELD + 1) });
      expect(huge).toMatchObject({ ok: false, channel: 'PJSIP/anonymous-00000007', tech: 'PJSIP' });
      expect(readCheckEvent({ ...withMedia, audioformats: '(ulaw%7' })).toMatchObject({
        ok: false,
        problem: 'audioformats: not URI-encoded text',
      });
      expect(readCheckEvent({ ...withMedia, endpointallow: '%C0%AF' })).toMatchObject({ ok: false });
      // well encoded but not what Asterisk prints: read, and no media from it
      const odd = readCheckEvent({ ...withMedia, audioformats: 'ulaw%2Calaw', videoformats: '%3Cscript%3E' });
      if (!odd.ok) throw new Error(odd.problem);
      expect(checkAttempt(odd.request, { ip: '127.0.0.2' }, 1)).not.toHaveProperty('media');
    });
  });
});
