import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AmiObject } from 'asterisk-manager';
import { describe, expect, it } from 'vitest';
import {
  aorOfContactId,
  readContactList,
  readContactStatus,
  readPeerEntry,
  readPeerStatus,
  readSipShowPeer,
  uriAddress,
} from './room-events.js';

const SAMPLES = join(import.meta.dirname, '../../../../shared/fixtures/asterisk-20.20.1/ami-event-samples.txt');

/** One `### <title>` block of ami-event-samples.txt, keyed as asterisk-manager keys it (lower case). */
function sample(title: string): AmiObject {
  const text = readFileSync(SAMPLES, 'latin1').replace(/\r/g, '');
  const start = text.indexOf(`### ${title} `);
  if (start < 0) throw new Error(`no sample ${title}`);
  const body = text.slice(text.indexOf('\n', start) + 1, text.indexOf('\n\n', start));
  const out: AmiObject = {};
  for (const line of body.split('\n')) {
    const [key, ...rest] = line.split(': ');
    out[key!.toLowerCase()] = rest.join(': ');
  }
  return out;
}

const NOW = 1_795_300_000_000;

describe('reading what Asterisk says about registrations', () => {
  it('reads the recorded PeerStatus of svcrack’s successful REGISTER: peer 101 registered at the scanner’s address', () => {
    const r = readPeerStatus(sample('PeerStatus'));
    expect(r).toEqual({
      ok: true,
      value: { kind: 'registered', status: 'Registered', peer: '101', address: { ip: '127.0.0.1', port: 5060 } },
    });
  });

  it('tells Unregistered and Rejected apart, and refuses a Registered without an address', () => {
    const base = { event: 'PeerStatus', privilege: 'system,all', channeltype: 'SIP', peer: 'SIP/room-lab' };
    expect(readPeerStatus({ ...base, peerstatus: 'Unregistered', cause: 'Expired' })).toMatchObject({
      ok: true,
      value: { kind: 'unregistered', peer: 'room-lab' },
    });
    expect(
      readPeerStatus({ ...base, peerstatus: 'Rejected', cause: 'AUTH_SECRET_FAILED', address: '203.0.113.9:5060' }),
    ).toMatchObject({ ok: true, value: { kind: 'rejected', address: { ip: '203.0.113.9' } } });
    expect(readPeerStatus({ ...base, peerstatus: 'Registered', address: 'nowhere' }).ok).toBe(false);
    expect(readPeerStatus({ ...base, peer: `SIP/${'x'.repeat(300)}`, peerstatus: 'Registered' }).ok).toBe(false);
    expect(readPeerStatus({ ...base, channeltype: 'IAX2', peer: 'IAX2/x', peerstatus: 'Registered' }).ok).toBe(false);
  });

  it('reads a ContactList event: endpoint, AOR from the sorcery id, URI, expiry left, Call-ID; never the Via as source', () => {
    const evt = {
      event: 'ContactList',
      actionid: 'gg-3',
      objecttype: 'contact',
      objectname: 'room-lab;@0f3a8e5c1d2b4a6978e0c1d2b3a49587',
      viaaddr: '198.51.100.7',
      viaport: '5062',
      callid: 'a84b4c76e66710',
      endpoint: 'room-lab-east',
      uri: 'sip:room-lab@198.51.100.7:5062;transport=tcp',
      useragent: 'Cisco/CE',
      expirationtime: String(NOW / 1000 + 3_000),
      status: 'Reachable',
      roundtripusec: '1042',
    };
    expect(readContactList(evt, NOW)).toEqual({
      ok: true,
      value: {
        tech: 'PJSIP',
        name: 'room-lab-east',
        aliases: ['room-lab'],
        contact: 'sip:room-lab@198.51.100.7:5062;transport=tcp',
        callId: 'a84b4c76e66710',
        expires: 3_000,
        permanent: false,
      },
    });
    // A contact written in pjsip.conf (ExpirationTime 0) is not a registration.
    expect(readContactList({ ...evt, expirationtime: '0' }, NOW)).toMatchObject({
      ok: true,
      value: { permanent: true },
    });
    expect(readContactList({ ...evt, expirationtime: 'soon' }, NOW).ok).toBe(false);
    expect(readContactList({ ...evt, uri: '' }, NOW).ok).toBe(false);
    expect(readContactList({ ...evt, endpoint: '', objectname: 'garbage' }, NOW).ok).toBe(false);
    // ViaAddr is the Via sent-by the client wrote: never a source.
    expect(readContactList(evt, NOW)).not.toHaveProperty('value.source');
  });

  it('reads ContactStatus: NonQualified (Asterisk 20) / Created new, Updated/Reachable present, Removed gone, Unreachable kept', () => {
    const base = {
      event: 'ContactStatus',
      privilege: 'system,all',
      uri: 'sip:room-1@[2001:db8::5]:5060',
      aor: 'room-1',
      endpointname: 'room-1',
      roundtripusec: '0',
    };
    for (const [status, kind] of [
      ['NonQualified', 'created'],
      ['Created', 'created'],
      ['Updated', 'present'],
      ['Reachable', 'present'],
      ['Removed', 'removed'],
      ['Unreachable', 'unreachable'],
      ['Unknown', 'other'],
    ] as const) {
      expect(readContactStatus({ ...base, contactstatus: status })).toEqual({
        ok: true,
        value: {
          kind,
          status,
          binding: {
            tech: 'PJSIP',
            name: 'room-1',
            aliases: [],
            contact: base.uri,
          },
        },
      });
    }
    expect(readContactStatus({ ...base, uri: undefined, contactstatus: 'Created' }).ok).toBe(false);
  });

  it('reads SIPpeers’ PeerEntry and SIPshowpeer’s answer (expiry in seconds, names that dial the peer)', () => {
    expect(
      readPeerEntry({ event: 'PeerEntry', objectname: '101', ipaddress: '10.0.0.5', ipport: '5060', dynamic: 'yes' }),
    ).toEqual({ ok: true, value: { name: '101', dynamic: true, address: { ip: '10.0.0.5', port: 5060 } } });
    expect(
      readPeerEntry({ event: 'PeerEntry', objectname: '102', ipaddress: '-none-', ipport: '0', dynamic: 'yes' }),
    ).toEqual({ ok: true, value: { name: '102', dynamic: true } });
    const shown = {
      response: 'Success',
      objectname: 'room-boardroom',
      callerid: '"Boardroom" <5551001>',
      regexpire: '3597 seconds',
      'address-ip': '10.0.0.21',
      'address-port': '5060',
      'default-username': 'boardroom',
      'reg-contact': 'sip:boardroom@10.0.0.21:5060',
    };
    expect(readSipShowPeer(shown, 'room-boardroom')).toEqual({
      ok: true,
      value: {
        tech: 'SIP',
        name: 'room-boardroom',
        aliases: ['boardroom', '5551001'],
        contact: 'sip:room-boardroom@10.0.0.21:5060',
        source: { ip: '10.0.0.21', port: 5060 },
        expires: 3597,
      },
    });
    expect(readSipShowPeer({ ...shown, 'address-ip': '(null)' }, 'room-boardroom')).toEqual({
      ok: true,
      value: undefined,
    });
    expect(readSipShowPeer({ ...shown, 'address-ip': 'x' }, 'room-boardroom').ok).toBe(false);
  });

  it('takes the address out of contact URIs and the AOR out of both contact id forms', () => {
    expect(uriAddress('<sip:r@10.0.0.5:5061;transport=tls>')).toEqual({ ip: '10.0.0.5', port: 5061 });
    expect(uriAddress('sip:r@room.example.com')).toBeUndefined();
    expect(aorOfContactId('room-1@@abc')).toBe('room-1');
    expect(aorOfContactId('room-1;@abc')).toBe('room-1');
    expect(aorOfContactId('abc')).toBeUndefined();
  });
});
