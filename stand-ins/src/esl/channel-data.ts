/**
 * The CHANNEL_DATA FreeSWITCH 1.10.12 sends an outbound socket for a new inbound call, built from what the
 * caller sent. Header names and their order follow the recorded samples (`recordings/freeswitch-1.10.12/esl-raw-samples.txt`
 * 1b: a call with SDP, 1c: a SIPVicious INVITE without SDP on a profile with enable-3pcc=proxy). H.323
 * channels (mod_h323) carry no `variable_sip_*` headers; their channel name starts with `h323/`.
 */
import { randomUUID } from 'node:crypto';
import type { EslHeader } from './messages.js';

export const CORE_UUID = '0d064601-fe56-48ef-b6ec-fd222360de02';

export interface SipCallInfo {
  protocol: 'sip';
  uuid?: string;
  /** sofia profile the INVITE arrived on; default `external`. */
  profile?: string;
  /** Where FreeSWITCH saw the INVITE come from (sip_network_ip / sip_received_ip / Caller-Network-Addr). */
  source: { ip: string; port: number; transport?: 'udp' | 'tcp' | 'tls' | 'ws' | 'wss' };
  /** FreeSWITCH's own SIP address. */
  local?: { ip: string; port: number };
  requestUri: { user: string; host: string; port?: number };
  from: { user: string; host: string; display?: string; tag?: string };
  to: { user: string; host: string; port?: number; display?: string };
  callId: string;
  /** The topmost Via as received. */
  via?: string;
  userAgent?: string;
  contact?: { user?: string; host: string; port?: number };
  maxForwards?: number;
  /** SDP offer (variable_switch_r_sdp); without it the call is `RECEIVED_NOSDP`. */
  sdp?: string;
  /** Dialplan context the call runs in; default `public`. */
  context?: string;
}

export interface H323CallInfo {
  protocol: 'h323';
  uuid?: string;
  /** Remote call-signalling address (Caller-Network-Addr). */
  source: { ip: string; port?: number };
  destination: string;
  callerNumber: string;
  callerName?: string;
  context?: string;
}

export type CallInfo = SipCallInfo | H323CallInfo;

function hostPort(host: string, port?: number): string {
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return port === undefined ? h : `${h}:${port}`;
}

function eventHead(seq: number): EslHeader[] {
  return [
    ['Event-Name', 'CHANNEL_DATA'],
    ['Core-UUID', CORE_UUID],
    ['FreeSWITCH-Hostname', 'vm'],
    ['FreeSWITCH-Switchname', 'vm'],
    ['FreeSWITCH-IPv4', '192.0.2.2'],
    ['FreeSWITCH-IPv6', 'fd00::2'],
    ['Event-Date-Local', '2026-11-21 20:40:17'],
    ['Event-Date-GMT', 'Sat, 21 Nov 2026 20:40:17 GMT'],
    ['Event-Date-Timestamp', '1795293617511729'],
    ['Event-Calling-File', 'mod_event_socket.c'],
    ['Event-Calling-Function', 'parse_command'],
    ['Event-Calling-Line-Number', '2021'],
    ['Event-Sequence', String(seq)],
  ];
}

/** The caller-profile block, once as `Channel-*` and once as `Caller-*`, as FreeSWITCH serializes it. */
function profile(prefix: 'Channel' | 'Caller', p: ProfileFields): EslHeader[] {
  const out: EslHeader[] = [
    [`${prefix}-Direction`, 'inbound'],
    [`${prefix}-Logical-Direction`, 'inbound'],
    [`${prefix}-Username`, p.username],
    [`${prefix}-Dialplan`, 'XML'],
    [`${prefix}-Caller-ID-Name`, p.callerName],
    [`${prefix}-Caller-ID-Number`, p.callerNumber],
    [`${prefix}-Orig-Caller-ID-Name`, p.callerName],
    [`${prefix}-Orig-Caller-ID-Number`, p.callerNumber],
    [`${prefix}-Network-Addr`, p.networkAddr],
    [`${prefix}-ANI`, p.callerNumber],
    [`${prefix}-Destination-Number`, p.destination],
    [`${prefix}-Unique-ID`, p.uuid],
    [`${prefix}-Source`, p.source],
    [`${prefix}-Context`, p.context],
    [`${prefix}-Channel-Name`, p.channelName],
    [`${prefix}-Profile-Index`, '1'],
    [`${prefix}-Profile-Created-Time`, '1795293617511729'],
    [`${prefix}-Channel-Created-Time`, '1795293617511729'],
  ];
  for (const t of ['Answered', 'Progress', 'Progress-Media', 'Hangup', 'Transfer', 'Resurrect', 'Bridged']) {
    out.push([`${prefix}-Channel-${t}-Time`, '0']);
  }
  out.push(
    [`${prefix}-Channel-Last-Hold`, '0'],
    [`${prefix}-Channel-Hold-Accum`, '0'],
    [`${prefix}-Screen-Bit`, 'true'],
    [`${prefix}-Privacy-Hide-Name`, 'false'],
    [`${prefix}-Privacy-Hide-Number`, 'false'],
  );
  return out;
}

interface ProfileFields {
  username: string;
  callerName: string;
  callerNumber: string;
  networkAddr: string;
  destination: string;
  uuid: string;
  source: string;
  context: string;
  channelName: string;
}

function channelState(p: ProfileFields): EslHeader[] {
  return [
    ['Channel-State', 'CS_EXECUTE'],
    ['Channel-Call-State', 'RINGING'],
    ['Channel-State-Number', '4'],
    ['Channel-Name', p.channelName],
    ['Unique-ID', p.uuid],
    ['Call-Direction', 'inbound'],
    ['Presence-Call-Direction', 'inbound'],
    ['Channel-HIT-Dialplan', 'true'],
    ['Channel-Call-UUID', p.uuid],
    ['Answer-State', 'ringing'],
  ];
}

function socketTail(socketHost: string, socketPort: number): EslHeader[] {
  return [
    ['variable_current_application_data', `${socketHost}:${socketPort} async full`],
    ['variable_current_application', 'socket'],
    ['variable_socket_host', socketHost],
  ];
}

export interface ChannelDataOptions {
  /** Where the dialplan's socket app connected (variable_current_application_data). */
  socket?: { host: string; port: number };
  sequence?: number;
}

/** The headers (decoded values, in FreeSWITCH's order) of the CHANNEL_DATA for `call`. */
export function channelDataHeaders(call: CallInfo, opts: ChannelDataOptions = {}): EslHeader[] {
  const uuid = call.uuid ?? randomUUID();
  const socket = opts.socket ?? { host: '127.0.0.1', port: 8084 };
  const seq = opts.sequence ?? 610;
  return call.protocol === 'sip' ? sipChannelData(call, uuid, socket, seq) : h323ChannelData(call, uuid, socket, seq);
}

function sipChannelData(call: SipCallInfo, uuid: string, socket: { host: string; port: number }, seq: number) {
  const profileName = call.profile ?? 'external';
  const fromUri = `${call.from.user}@${hostPort(call.from.host)}`;
  const channelName = `sofia/${profileName}/${fromUri}`;
  const local = call.local ?? { ip: '127.0.0.1', port: 5090 };
  const p: ProfileFields = {
    username: call.from.user,
    callerName: call.from.display ?? call.from.user,
    callerNumber: call.from.user,
    networkAddr: call.source.ip,
    destination: call.requestUri.user,
    uuid,
    source: 'mod_sofia',
    context: call.context ?? 'public',
    channelName,
  };
  const transport = call.source.transport ?? 'udp';
  const via =
    call.via ??
    `SIP/2.0/${transport.toUpperCase()} ${hostPort(call.source.ip, call.source.port)};rport=${call.source.port}`;
  const quoted = (d: string | undefined) => (d === undefined ? '' : `"${d}" `);
  const toUri = `${call.to.user}@${hostPort(call.to.host, call.to.port)}`;
  const reqUri = `${call.requestUri.user}@${hostPort(call.requestUri.host, call.requestUri.port)}`;
  const h: EslHeader[] = [...eventHead(seq), ...profile('Channel', p), ...channelState(p)];
  if (call.sdp) {
    h.push(
      ['Channel-Read-Codec-Name', 'PCMU'],
      ['Channel-Read-Codec-Rate', '8000'],
      ['Channel-Read-Codec-Bit-Rate', '64000'],
      ['Channel-Write-Codec-Name', 'PCMU'],
      ['Channel-Write-Codec-Rate', '8000'],
      ['Channel-Write-Codec-Bit-Rate', '64000'],
    );
  }
  h.push(
    ...profile('Caller', p),
    ['variable_direction', 'inbound'],
    ['variable_uuid', uuid],
    ['variable_session_id', '9'],
    ['variable_sip_from_user', call.from.user],
    ['variable_sip_from_uri', fromUri],
    ['variable_sip_from_host', call.from.host],
    ['variable_video_media_flow', 'disabled'],
  );
  if (!call.sdp) h.push(['variable_audio_media_flow', 'disabled']);
  h.push(
    ['variable_text_media_flow', 'disabled'],
    ['variable_channel_name', channelName],
    ['variable_sip_call_id', call.callId],
    ['variable_sip_local_network_addr', local.ip],
    ['variable_sip_network_ip', call.source.ip],
    ['variable_sip_network_port', String(call.source.port)],
    ['variable_sip_invite_stamp', '1795293617511729'],
    ['variable_sip_received_ip', call.source.ip],
    ['variable_sip_received_port', String(call.source.port)],
    ['variable_sip_via_protocol', transport],
    ['variable_sip_from_user_stripped', call.from.user],
  );
  if (call.from.tag !== undefined) h.push(['variable_sip_from_tag', call.from.tag]);
  h.push(
    ['variable_sofia_profile_name', profileName],
    ['variable_sofia_profile_url', `sip:mod_sofia@${hostPort(local.ip, local.port)}`],
    ['variable_recovery_profile_name', profileName],
    ['variable_sip_full_via', via],
  );
  if (call.from.display !== undefined) h.push(['variable_sip_from_display', call.from.display]);
  h.push([
    'variable_sip_full_from',
    `${quoted(call.from.display)}<sip:${fromUri}>${call.from.tag === undefined ? '' : `;tag=${call.from.tag}`}`,
  ]);
  if (call.to.display !== undefined) h.push(['variable_sip_to_display', call.to.display]);
  h.push(
    ['variable_sip_full_to', `${quoted(call.to.display)}<sip:${toUri}>`],
    ['variable_sip_req_user', call.requestUri.user],
  );
  if (call.requestUri.port !== undefined) h.push(['variable_sip_req_port', String(call.requestUri.port)]);
  h.push(
    ['variable_sip_req_uri', reqUri],
    ['variable_sip_req_host', call.requestUri.host],
    ['variable_sip_to_user', call.to.user],
  );
  if (call.to.port !== undefined) h.push(['variable_sip_to_port', String(call.to.port)]);
  h.push(['variable_sip_to_uri', toUri], ['variable_sip_to_host', call.to.host]);
  const contact = call.contact ?? { user: call.from.user, host: call.source.ip, port: call.source.port };
  if (contact.user !== undefined) h.push(['variable_sip_contact_user', contact.user]);
  if (contact.port !== undefined) h.push(['variable_sip_contact_port', String(contact.port)]);
  h.push(
    [
      'variable_sip_contact_uri',
      `${contact.user === undefined ? '' : `${contact.user}@`}${hostPort(contact.host, contact.port)}`,
    ],
    ['variable_sip_contact_host', contact.host],
  );
  if (!call.sdp) h.push(['variable_rtp_use_codec_string', 'PCMU,PCMA']);
  if (call.userAgent !== undefined) h.push(['variable_sip_user_agent', call.userAgent]);
  h.push(
    ['variable_sip_via_host', call.source.ip],
    ['variable_sip_via_port', String(call.source.port)],
    ['variable_sip_via_rport', String(call.source.port)],
    ['variable_max_forwards', String(call.maxForwards ?? 70)],
  );
  if (call.sdp) {
    h.push(['variable_switch_r_sdp', call.sdp], ['variable_endpoint_disposition', 'RECEIVED']);
  } else {
    h.push(['variable_endpoint_disposition', 'RECEIVED_NOSDP']);
  }
  h.push(
    ['variable_DP_MATCH', `ARRAY::${call.requestUri.user}|:${call.requestUri.user}`],
    ['variable_call_uuid', uuid],
    ...socketTail(socket.host, socket.port),
  );
  return h;
}

function h323ChannelData(call: H323CallInfo, uuid: string, socket: { host: string; port: number }, seq: number) {
  const channelName = `h323/${call.destination}`;
  const p: ProfileFields = {
    username: call.callerNumber,
    callerName: call.callerName ?? call.callerNumber,
    callerNumber: call.callerNumber,
    networkAddr: call.source.ip,
    destination: call.destination,
    uuid,
    source: 'mod_h323',
    context: call.context ?? 'public',
    channelName,
  };
  return [
    ...eventHead(seq),
    ...profile('Channel', p),
    ...channelState(p),
    ...profile('Caller', p),
    ['variable_direction', 'inbound'],
    ['variable_uuid', uuid],
    ['variable_session_id', '12'],
    ['variable_channel_name', channelName],
    ['variable_DP_MATCH', `ARRAY::${call.destination}|:${call.destination}`],
    ['variable_call_uuid', uuid],
    ...socketTail(socket.host, socket.port),
  ] satisfies EslHeader[];
}
