import { describe, expect, it } from 'vitest';
import { isGuardTransferNoRoute, outcomeOfEvent } from './sofia-events.js';
import { headerLookup } from './testing.js';

const opts = { reportCompletedCalls: true, reportUnknownTargets: true };

describe('inbound events → outcomes', () => {
  it('turns the recorded sofia::register_failure into an auth failure of network-ip', () => {
    const h = headerLookup({
      'Event-Subclass': 'sofia::register_failure',
      'Event-Name': 'CUSTOM',
      'profile-name': 'internal-test',
      'to-user': '1000',
      'to-host': '127.0.0.1',
      'network-ip': '127.0.0.1',
      'user-agent': 'friendly-scanner',
      'network-port': '5072',
      'registration-type': 'REGISTER',
    });
    expect(outcomeOfEvent(h, opts, 5)).toEqual({
      kind: 'auth-failure',
      source: { ip: '127.0.0.1', port: 5072 },
      target: '1000',
      time: 5,
      detail: 'sofia::register_failure profile=internal-test user-agent=friendly-scanner',
      adapter: 'freeswitch',
    });
  });

  it('ignores other CUSTOM subclasses, outbound legs and causes ghostguard produced', () => {
    expect(
      outcomeOfEvent(
        headerLookup({ 'Event-Name': 'CUSTOM', 'Event-Subclass': 'sofia::pre_register', 'network-ip': '1.2.3.4' }),
        opts,
        0,
      ),
    ).toBeUndefined();
    const base = { 'Event-Name': 'CHANNEL_HANGUP_COMPLETE', 'Caller-Network-Addr': '192.0.2.1' };
    expect(
      outcomeOfEvent(
        headerLookup({ ...base, 'Call-Direction': 'outbound', 'Hangup-Cause': 'UNALLOCATED_NUMBER' }),
        opts,
        0,
      ),
    ).toBeUndefined();
    for (const cause of ['CALL_REJECTED', 'NO_USER_RESPONSE', 'NO_ANSWER']) {
      expect(
        outcomeOfEvent(headerLookup({ ...base, 'Call-Direction': 'inbound', 'Hangup-Cause': cause }), opts, 0),
      ).toBeUndefined();
    }
  });

  it('reports completed and unroutable inbound calls unless switched off', () => {
    const done = headerLookup({
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Call-Direction': 'inbound',
      'Hangup-Cause': 'NORMAL_CLEARING',
      'Caller-Channel-Answered-Time': '1795293488671789',
      'Caller-Network-Addr': '192.0.2.21',
      'Caller-Destination-Number': 'room-boardroom',
    });
    expect(outcomeOfEvent(done, opts, 0)).toMatchObject({ kind: 'completed-call', target: 'room-boardroom' });
    expect(outcomeOfEvent(done, { ...opts, reportCompletedCalls: false }, 0)).toBeUndefined();
  });

  it('does not report a NO_ROUTE of a call ghostguard itself moved with allow.transfer', () => {
    // The recorded run (freeswitch-1.10.12-live/transfer/ghostguard.log) reported 30 legitimate callers as
    // unknown targets because the guard's own transfer had no route.
    const hangup = {
      'Event-Name': 'CHANNEL_HANGUP_COMPLETE',
      'Call-Direction': 'inbound',
      'Hangup-Cause': 'NO_ROUTE_DESTINATION',
      'Caller-Channel-Answered-Time': '0',
      'Caller-Network-Addr': '127.0.0.30',
      variable_sip_network_ip: '127.0.0.30',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal FreeSWITCH left, as recorded.
      'Caller-Destination-Number': '${destination_number}',
      variable_ghostguard_verdict: 'allow',
    };
    const moved = headerLookup({ ...hangup, variable_ghostguard_transferred: 'true' });
    expect(isGuardTransferNoRoute(moved)).toBe(true);
    expect(outcomeOfEvent(moved, opts, 0)).toBeUndefined();
    // The same hangup after the dialplan's own routing is the caller's: reported.
    expect(isGuardTransferNoRoute(headerLookup(hangup))).toBe(false);
    expect(outcomeOfEvent(headerLookup(hangup), opts, 0)).toMatchObject({ kind: 'unknown-target' });
  });
});
