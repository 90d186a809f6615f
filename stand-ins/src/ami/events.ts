import type { AmiField } from './frame.js';

/**
 * AMI events with Asterisk 20's field names and orderings, as in the recordings under
 * ../shared/fixtures/asterisk-20.20.1 (ami-event-samples.txt has one verbatim sample per type).
 */

/** ast_state2str for the states a ringing inbound call goes through. */
const STATE_DESC: Record<number, string> = { 0: 'Down', 4: 'Ring', 5: 'Ringing', 6: 'Up' };

/** ast_cause2str texts (main/causes.h) of the causes the peer uses. */
export const CAUSE_TEXT: Record<number, string> = {
  1: 'Unallocated (unassigned) number',
  16: 'Normal Clearing',
  17: 'User busy',
  18: 'No user responding',
  19: 'User alerting, no answer',
  21: 'Call Rejected',
  27: 'Destination out of order',
  31: 'Normal, unspecified',
  34: 'Circuit/channel congestion',
};

/** AST_SOFTHANGUP_EXPLICIT: what SoftHangupRequest's Cause field carries for a Hangup app or action. */
export const SOFTHANGUP_EXPLICIT = 16;

/** The channel part every channel event carries (ast_manager_build_channel_state_string). */
export interface ChannelSnapshot {
  channel: string;
  state: number;
  callerIdNum: string;
  callerIdName: string;
  connectedLineNum?: string;
  connectedLineName?: string;
  language?: string;
  accountCode?: string;
  context: string;
  exten: string;
  priority: number;
  uniqueid: string;
  linkedid: string;
}

export function snapshotFields(s: ChannelSnapshot): AmiField[] {
  return [
    ['Channel', s.channel],
    ['ChannelState', String(s.state)],
    ['ChannelStateDesc', STATE_DESC[s.state] ?? 'Unknown'],
    ['CallerIDNum', s.callerIdNum || '<unknown>'],
    ['CallerIDName', s.callerIdName || '<unknown>'],
    ['ConnectedLineNum', s.connectedLineNum ?? '<unknown>'],
    ['ConnectedLineName', s.connectedLineName ?? '<unknown>'],
    ['Language', s.language ?? 'en'],
    ['AccountCode', s.accountCode ?? ''],
    ['Context', s.context],
    ['Exten', s.exten],
    ['Priority', String(s.priority)],
    ['Uniqueid', s.uniqueid],
    ['Linkedid', s.linkedid],
  ];
}

function channelEvent(event: string, privilege: string, s: ChannelSnapshot, extra: readonly AmiField[]): AmiField[] {
  return [['Event', event], ['Privilege', privilege], ...snapshotFields(s), ...extra];
}

export const newchannel = (s: ChannelSnapshot): AmiField[] => channelEvent('Newchannel', 'call,all', s, []);
export const newstate = (s: ChannelSnapshot): AmiField[] => channelEvent('Newstate', 'call,all', s, []);
export const varSet = (s: ChannelSnapshot, variable: string, value: string): AmiField[] =>
  channelEvent('VarSet', 'dialplan,all', s, [
    ['Variable', variable],
    ['Value', value],
  ]);
export const newexten = (s: ChannelSnapshot, application: string, appData: string): AmiField[] =>
  channelEvent('Newexten', 'dialplan,all', s, [
    ['Extension', s.exten],
    ['Application', application],
    ['AppData', appData],
  ]);
export const softHangupRequest = (s: ChannelSnapshot): AmiField[] =>
  channelEvent('SoftHangupRequest', 'call,all', s, [['Cause', String(SOFTHANGUP_EXPLICIT)]]);
export const hangup = (s: ChannelSnapshot, cause: number): AmiField[] =>
  channelEvent('Hangup', 'call,all', s, [
    ['Cause', String(cause)],
    ['Cause-txt', CAUSE_TEXT[cause] ?? 'Unknown'],
  ]);
/** UserEvent raised by the UserEvent() dialplan application: the channel snapshot, then the event name and body. */
export const channelUserEvent = (s: ChannelSnapshot, name: string, body: readonly AmiField[]): AmiField[] =>
  channelEvent('UserEvent', 'user,all', s, [['UserEvent', name], ...body]);

export const deviceStateChange = (device: string, state: string): AmiField[] => [
  ['Event', 'DeviceStateChange'],
  ['Privilege', 'call,all'],
  ['Device', device],
  ['State', state],
];

// ---------------------------------------------------------------------------------------------------------------
// Security events (res_security_log / security_events.c)

export type SecurityEventName =
  | 'InvalidAccountID'
  | 'ChallengeResponseFailed'
  | 'InvalidPassword'
  | 'FailedACL'
  | 'RequestBadFormat'
  | 'UnexpectedAddress'
  | 'AuthMethodNotAllowed'
  | 'ChallengeSent'
  | 'SuccessfulAuth';

const INFORMATIONAL = new Set<SecurityEventName>(['ChallengeSent', 'SuccessfulAuth']);

/** `IPV4/UDP/1.2.3.4/5060` or `IPV6/UDP/2001:db8::1/5060`, as security events spell addresses. */
export function securityAddress(ip: string, port: number, transport = 'UDP'): string {
  return `${ip.includes(':') ? 'IPV6' : 'IPV4'}/${transport.toUpperCase()}/${ip}/${port}`;
}

/** `2026-11-21T20:21:41.249+0000`. */
export function eventTv(ms: number): string {
  return new Date(ms).toISOString().replace('Z', '+0000');
}

export interface SecurityEventSpec {
  event: SecurityEventName;
  accountId: string;
  remote: { ip: string; port: number; transport?: string };
  local?: { ip: string; port: number; transport?: string };
  time?: number;
  sessionId?: string;
  service?: string;
  /** Fields after RemoteAddress (Challenge, ACLName, ReceivedHash…), in order. */
  extra?: readonly AmiField[];
}

export function securityEvent(spec: SecurityEventSpec): AmiField[] {
  const local = spec.local ?? { ip: '127.0.0.1', port: 5060 };
  return [
    ['Event', spec.event],
    ['Privilege', 'security,all'],
    ['EventTV', eventTv(spec.time ?? Date.now())],
    ['Severity', INFORMATIONAL.has(spec.event) ? 'Informational' : 'Error'],
    ['Service', spec.service ?? 'SIP'],
    ['EventVersion', spec.event === 'InvalidPassword' ? '2' : '1'],
    ['AccountID', spec.accountId],
    ['SessionID', spec.sessionId ?? '0x7f388800d770'],
    ['LocalAddress', securityAddress(local.ip, local.port, local.transport)],
    ['RemoteAddress', securityAddress(spec.remote.ip, spec.remote.port, spec.remote.transport)],
    ...(spec.extra ?? []),
  ];
}

/** The category of an event, from its Privilege field (`call,all` → `call`). */
export function privilegeCategories(fields: readonly AmiField[]): string[] {
  const p = fields.find(([n]) => n === 'Privilege')?.[1] ?? '';
  return p
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'all');
}
