import { describe, expect, it } from 'vitest';
import { channelDataHeaders } from './channel-data.js';
import { EslCommandReader, EslCommandTooLarge } from './command-reader.js';
import { parseEventCommand } from './inbound-server.js';
import {
  apiResponse,
  authRequest,
  channelDataReply,
  commandReply,
  disconnectNotice,
  type EslHeader,
  inboundGoodbye,
  lingerNotice,
  plainEvent,
} from './messages.js';
import { readEslSamples } from './samples.js';
import { fsUrlDecode, fsUrlEncode } from './url-encode.js';

const samples = readEslSamples();
const sample = (id: string) => {
  const s = samples.get(id);
  if (!s) throw new Error(`no sample ${id}`);
  return s;
};

/** Decoded (name, value) pairs of a serialized header block, in order. */
function headersOf(block: string): EslHeader[] {
  return block
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const i = l.indexOf(': ');
      return [l.slice(0, i), fsUrlDecode(l.slice(i + 2))] as const;
    });
}

describe('ESL wire format matches FreeSWITCH 1.10.12 byte for byte', () => {
  it('re-encodes the recorded CHANNEL_DATA replies (URL-encoded values, no Content-Length)', () => {
    for (const id of ['1b', '1c']) {
      const raw = sample(id).parts[0]!;
      const tail = raw.indexOf('Content-Type: command/reply\n');
      const headers = headersOf(raw.slice(0, tail));
      expect(channelDataReply(headers, { async: true, full: true })).toBe(raw);
    }
  });

  it('writes command replies, auth request and the disconnect notices as recorded', () => {
    expect(sample('2b').parts[1]).toBe(commandReply('+OK Events Enabled'));
    expect(sample('2b').parts[3]).toBe(commandReply('+OK will linger'));
    expect(sample('3a').parts[1]).toBe(commandReply('+OK'));
    expect(sample('5a').parts[0]).toBe(authRequest());
    expect(sample('5a').parts[2]).toBe(commandReply('+OK accepted'));
    expect(sample('5c').parts[1]).toBe(commandReply('+OK event listener enabled plain'));
    expect(sample('4c').parts[0]).toBe(
      lingerNotice('12f3b168-2c58-4c0d-847f-1d5ce5dfd6e5', 'sofia/external-test/5551234@127.0.0.1'),
    );
    expect(sample('4d').parts[1]).toBe(
      commandReply('+OK bye') + disconnectNotice('12f3b168-2c58-4c0d-847f-1d5ce5dfd6e5'),
    );
    expect(sample('5b').parts[0]).toContain(commandReply('-ERR invalid') + inboundGoodbye());
  });

  it('re-encodes plain events with the Content-Length FreeSWITCH gave (register_failure, CHANNEL_CREATE)', () => {
    for (const id of ['6a', '6b', '7a', '7b']) {
      const raw = sample(id).parts[0]!;
      const body = raw.slice(raw.indexOf('\n\n') + 2);
      expect(plainEvent(headersOf(body))).toBe(raw);
    }
  });

  it('gives api/response a Content-Length in bytes', () => {
    expect(apiResponse('+OK é\n')).toBe('Content-Type: api/response\nContent-Length: 7\n\n+OK é\n');
  });

  it('builds CHANNEL_DATA for a SIPVicious INVITE with the recorded header names in the recorded order', () => {
    const recorded = headersOf(sample('1c').parts[0]!.split('Content-Type: command/reply')[0]!);
    const built = channelDataHeaders({
      protocol: 'sip',
      uuid: '4fc7b5d7-690d-4f52-b6e9-b96743cdcf32',
      profile: 'external-test',
      source: { ip: '127.0.0.1', port: 5073 },
      local: { ip: '127.0.0.1', port: 5090 },
      requestUri: { user: '100', host: '127.0.0.1' },
      from: {
        user: '100',
        host: '1.1.1.1',
        display: 'sipvicious',
        tag: '3766303030303031313365320132333838383638313931',
      },
      to: { user: '100', host: '1.1.1.1', display: 'sipvicious' },
      callId: '1147750757698716921710304',
      via: 'SIP/2.0/UDP 127.0.0.1:5073;branch=z9hG4bK-1999320209;rport=5073',
      userAgent: 'friendly-scanner',
      contact: { user: '100', host: '127.0.0.1', port: 5073 },
    });
    expect(built.map(([n]) => n)).toEqual(recorded.map(([n]) => n));
    const pick = (hs: readonly EslHeader[], n: string) => hs.find(([k]) => k === n)?.[1];
    for (const n of [
      'Channel-Name',
      'Caller-Network-Addr',
      'Caller-Destination-Number',
      'variable_sip_network_ip',
      'variable_sip_user_agent',
      'variable_sip_req_uri',
      'variable_sip_from_user',
      'variable_sip_full_from',
      'variable_sip_full_via',
    ]) {
      expect([n, pick(built, n)]).toEqual([n, pick(recorded, n)]);
    }
  });
});

describe('URL encoding', () => {
  it('encodes what FreeSWITCH encodes and keeps the rest', () => {
    expect(fsUrlEncode('Sat, 21 Nov 2026 20:38:08 GMT')).toBe('Sat,%2021%20Nov%202026%2020%3A38%3A08%20GMT');
    expect(fsUrlEncode('+OK\n')).toBe('%2BOK%0A');
    expect(fsUrlEncode('RTP/AVP ~é')).toBe('RTP/AVP%20~%C3%A9');
  });
  it('decodes leniently: a malformed escape stays literal', () => {
    expect(fsUrlDecode('a%2Gb%')).toBe('a%2Gb%');
    expect(fsUrlDecode(fsUrlEncode('"x" <sip:1@h>;tag=%41'))).toBe('"x" <sip:1@h>;tag=%41');
  });
});

describe('command reader', () => {
  it('reassembles a sendmsg written one header line per TCP write (as modesl does)', () => {
    const r = new EslCommandReader();
    const lines = sample('3a').parts[0]!;
    const got = [];
    for (const piece of lines.split(/(?<=\n)/)) got.push(...r.push(Buffer.from(piece)));
    expect(got).toHaveLength(1);
    expect(got[0]!.line).toBe('sendmsg 12f3b168-2c58-4c0d-847f-1d5ce5dfd6e5');
    expect(got[0]!.headers).toContainEqual(['execute-app-arg', '403 Forbidden']);
  });
  it('refuses to buffer past its cap', () => {
    const r = new EslCommandReader(1024);
    expect(() => r.push(Buffer.alloc(2048, 0x41))).toThrow(EslCommandTooLarge);
  });
});

describe('event subscription parsing', () => {
  it('treats every word after CUSTOM as a subclass', () => {
    const s = parseEventCommand(sample('5c').parts[0]!.trim())!;
    expect(s.format).toBe('plain');
    expect(s.events).toEqual(['CHANNEL_CREATE', 'CHANNEL_HANGUP', 'CUSTOM']);
    expect(s.subclasses).toEqual(['sofia::register_failure', 'sofia::pre_register']);
    const wrong = parseEventCommand('event plain CUSTOM sofia::register_failure CHANNEL_HANGUP')!;
    expect(wrong.events).toEqual(['CUSTOM']);
    expect(wrong.subclasses).toContain('CHANNEL_HANGUP');
  });
});
