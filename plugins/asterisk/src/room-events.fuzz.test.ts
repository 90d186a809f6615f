import { parseIp } from '@ghostguard/core';
import type { AmiObject } from 'asterisk-manager';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AsteriskBinding,
  MAX_ROOM_FIELD,
  readContactList,
  readContactStatus,
  readPeerEntry,
  readPeerStatus,
  readSipShowPeer,
} from './room-events.js';

const KEYS = [
  'uri',
  'aor',
  'endpointname',
  'contactstatus',
  'objectname',
  'endpoint',
  'expirationtime',
  'viaaddr',
  'viaport',
  'ipaddress',
  'ipport',
  'dynamic',
  'channeltype',
  'peer',
  'peerstatus',
  'address',
  'address-ip',
  'address-port',
  'regexpire',
  'callerid',
  'default-username',
];

/** Values as asterisk-manager produces them: strings, arrays for repeated keys, objects for variables. */
const text = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 400 }),
  fc.constantFrom(
    'sip:101@127.0.0.1:5060',
    'sip:r@[2001:db8::1]:5060;transport=tcp',
    '<sip:r@10.0.0.5>',
    'room-1@@abc',
    'room-1;@abc',
    '127.0.0.1:5060',
    '[::1]:99999',
    '-none-',
    '(null)',
    'SIP/101',
    'Registered',
    'Created',
    'Removed',
    '3597 seconds',
    '1795300000',
    '0',
    'yes',
    '"x" <5551001>',
  ),
);
const value = fc.oneof(
  text,
  fc.array(text, { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })),
);
const amiObject = fc.dictionary(fc.constantFrom(...KEYS), value) as fc.Arbitrary<AmiObject>;

function checkBinding(b: AsteriskBinding): void {
  expect(b.name.length).toBeGreaterThan(0);
  expect(b.name.length).toBeLessThanOrEqual(MAX_ROOM_FIELD);
  expect(b.contact.length).toBeLessThanOrEqual(MAX_ROOM_FIELD);
  for (const a of b.aliases) expect(a.length).toBeLessThanOrEqual(MAX_ROOM_FIELD);
  if (b.source) expect(parseIp(b.source.ip)?.text).toBe(b.source.ip);
  if (b.expires !== undefined) expect(Number.isFinite(b.expires)).toBe(true);
}

describe('hostile registration events', () => {
  it('never make a room reader throw, and every binding read is bounded with a canonical address', () => {
    fc.assert(
      fc.property(amiObject, (evt) => {
        const list = readContactList(evt, 1_795_300_000_000);
        if (list.ok) checkBinding(list.value);
        const status = readContactStatus(evt);
        if (status.ok) checkBinding(status.value.binding);
        const shown = readSipShowPeer(evt, '101');
        if (shown.ok && shown.value) checkBinding(shown.value);
        const entry = readPeerEntry(evt);
        if (entry.ok && entry.value.address) expect(parseIp(entry.value.address.ip)).toBeDefined();
        const peer = readPeerStatus(evt);
        if (peer.ok) expect(peer.value.peer.length).toBeLessThanOrEqual(MAX_ROOM_FIELD);
      }),
      { numRuns: 3_000 },
    );
  });
});
