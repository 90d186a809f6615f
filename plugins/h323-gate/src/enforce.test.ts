import { h323Attempt } from '@ghostguard/core/testing';
import { describe, expect, it } from 'vitest';
import { NO_ROUTE_RELEASE, replyOptionsFor, UPSTREAM_DOWN_RELEASE } from './enforce.js';

describe('what the gate’s answers repeat from the SETUP', () => {
  it('its H.225.0 version and callIdentifier', () => {
    const a = h323Attempt({ callId: '6F6F68333233632DF438A917C83F003C', h323: { protocolVersion: 4 } });
    expect(replyOptionsFor(a)).toEqual({ protocolVersion: 4, callIdentifier: '6F6F68333233632DF438A917C83F003C' });
  });

  it('nothing it could not repeat: a version out of range, a callId that is not a GUID, a SETUP not decoded', () => {
    expect(replyOptionsFor(h323Attempt({ callId: 'abc', h323: { protocolVersion: 0 } }))).toEqual({});
    expect(replyOptionsFor(h323Attempt({ h323: { protocolVersion: 256 } }))).not.toHaveProperty('protocolVersion');
    expect(replyOptionsFor(undefined)).toEqual({});
  });

  it('answers no route and a room system down with unreachableDestination, causes 1 and 27', () => {
    expect(NO_ROUTE_RELEASE).toEqual({ reason: 'unreachableDestination', cause: 1 });
    expect(UPSTREAM_DOWN_RELEASE).toEqual({ reason: 'unreachableDestination', cause: 27 });
  });
});
