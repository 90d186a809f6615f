import { describe, expect, it } from 'vitest';
import { parseNameAddr } from './name-addr.js';

describe('parseNameAddr', () => {
  it('reads the SIPVicious From: quoted display glued to the bracket, and the tag', () => {
    const from = parseNameAddr('"589659964"<sip:589659964@127.0.0.1>;tag=3538393635393936340134313830383231383334');
    expect(from).toMatchObject({
      display: '589659964',
      uri: 'sip:589659964@127.0.0.1',
      sipUri: { user: '589659964', host: '127.0.0.1' },
      tag: '3538393635393936340134313830383231383334',
    });
  });

  it('resolves escapes inside a quoted display name', () => {
    expect(parseNameAddr('"Say \\"hi\\" \\\\ <me>" <sip:a@b>')?.display).toBe('Say "hi" \\ <me>');
  });

  it('reads an unquoted display name', () => {
    expect(parseNameAddr('Room A <sip:roomA@example.com>;tag=x')).toMatchObject({ display: 'Room A', tag: 'x' });
  });

  it('leaves display absent for bare brackets and empty quotes', () => {
    expect(parseNameAddr('<sip:555@127.0.0.1>')?.display).toBeUndefined();
    expect(parseNameAddr('"" <sip:555@127.0.0.1>')?.display).toBeUndefined();
  });

  it('gives ;tag of a bracket-less addr-spec to the header, not the URI', () => {
    const from = parseNameAddr('sip:sipsak@127.0.0.1:36486;tag=8498728');
    expect(from).toMatchObject({ uri: 'sip:sipsak@127.0.0.1:36486', tag: '8498728' });
    expect(from?.sipUri).toMatchObject({ user: 'sipsak', port: 36486 });
    expect(from?.sipUri?.params.size).toBe(0);
  });

  it('keeps URI parameters inside the brackets apart from header parameters', () => {
    const contact = parseNameAddr('<sip:a@b;transport=tcp>;expires=60;+sip.instance="<urn:uuid:1;x>"');
    expect(contact?.sipUri?.params.get('transport')).toBe('tcp');
    expect(contact?.params.get('expires')).toBe('60');
    expect(contact?.params.get('+sip.instance')).toBe('<urn:uuid:1;x>');
    expect(contact?.tag).toBeUndefined();
  });

  it('reads Contact: * as a URI that is not a SIP URI', () => {
    expect(parseNameAddr('*')).toEqual({ uri: '*', params: new Map() });
  });

  it('keeps a non-SIP URI as text', () => {
    expect(parseNameAddr('<mailto:a@b>')).toMatchObject({ uri: 'mailto:a@b' });
    expect(parseNameAddr('<mailto:a@b>')?.sipUri).toBeUndefined();
  });

  it('returns undefined for broken shapes', () => {
    for (const value of ['', '   ', '"unclosed <sip:a@b>', '"x" sip:a@b', '<sip:a@b', '<>', 'two words;tag=1']) {
      expect(parseNameAddr(value), value).toBeUndefined();
    }
  });
});
