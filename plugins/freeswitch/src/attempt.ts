/**
 * CHANNEL_DATA → CallAttempt. The headers are what FreeSWITCH knew about the new inbound call when the
 * dialplan reached the socket application (names as in FreeSWITCH 1.10.12's outbound socket, see
 * test/peers/src/esl/__fixtures__/esl-raw-samples.txt):
 * - SIP (mod_sofia): `variable_sip_network_ip`/`_port` is where the INVITE came from (then
 *   `variable_sip_received_ip`, then `Caller-Network-Addr`); `variable_sip_req_uri` is the Request-URI
 *   without its `sip:`; `variable_sip_full_via`/`_from`/`_to` are the headers as received;
 *   `variable_switch_r_sdp` is the INVITE's SDP offer (see mediaOf for an INVITE without one).
 * - H.323 (mod_h323, `Channel-Name: h323/…`): only the caller profile: `Caller-Network-Addr`, the caller's
 *   number and name, `Caller-Destination-Number`.
 */
import {
  type CallAttempt,
  MAX_FIELD_LENGTH,
  type MediaOffer,
  parseIp,
  type Transport,
  TransportSchema,
} from '@ghostguard/core';
import {
  noMediaOffer,
  parseNameAddr,
  parseVia,
  sdpSessionName,
  splitHeaderList,
  summarizeSdpOffer,
} from '@ghostguard/core/sip';

/** Header lookup over one CHANNEL_DATA (decoded values). */
export type ChannelHeaders = (name: string) => string | undefined;

export type ChannelRead =
  | { ok: true; attempt: CallAttempt; uuid: string | undefined; channelName: string }
  | { ok: false; uuid: string | undefined; channelName: string; detail: string };

const TRANSPORTS = new Set<Transport>(TransportSchema.options);

const cap = (v: string | undefined): string | undefined =>
  v === undefined || v === '' ? undefined : v.length > MAX_FIELD_LENGTH ? v.slice(0, MAX_FIELD_LENGTH) : v;

function port(v: string | undefined): number | undefined {
  if (v === undefined || !/^\d{1,5}$/.test(v)) return undefined;
  const n = Number(v);
  return n <= 65_535 ? n : undefined;
}

/** `[::1]` → `::1`; undefined unless it is an IP literal. */
function ipOf(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  const s = v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
  return s.length >= 2 && s.length <= 64 && parseIp(s) !== undefined ? s : undefined;
}

/**
 * The offer from `variable_switch_r_sdp`. Without it, no offer only when FreeSWITCH says so: mod_sofia (1.10.12,
 * sofia.c, sofia_handle_sip_i_state) sets switch_r_sdp from the INVITE's SDP and, for an INVITE without SDP that
 * it lets into the dialplan (enable-3pcc true or proxy), `endpoint_disposition` RECEIVED_NOSDP, as recorded in
 * sample 1c of esl-raw-samples.txt (SIPVicious INVITE: RECEIVED_NOSDP, no switch_r_sdp). Any other
 * disposition without SDP leaves the offer unknown (switch_ivr_3p_nomedia, for one, clears switch_r_sdp).
 */
function mediaOf(h: ChannelHeaders, sdp: string | undefined): MediaOffer | undefined {
  if (sdp) return summarizeSdpOffer(sdp, 'application/sdp');
  return h('variable_endpoint_disposition') === 'RECEIVED_NOSDP' ? noMediaOffer() : undefined;
}

/**
 * URI of the first identity in a mod_sofia identity variable. sofia.c (sofia_handle_sip_i_invite) stores
 * `sip_Remote-Party-ID` as the whole header (recorded in esl-raw-samples.txt 1b:
 * `variable_sip_Remote-Party-ID: <sip:5551234@127.0.0.1>;party=calling;…`), but `sip_P-Asserted-Identity` as the
 * profile's `p-asserted-id-parse` says: only the URI's user part (`default`, `user-only`), `user@host`
 * (`user-domain`), the header as received only with `verbatim`. A value that is not a sip:/sips:/tel: URI (which
 * could be read as one only by guessing its scheme) is left out.
 */
function identityUri(value: string | undefined): string | undefined {
  const first = value === undefined ? undefined : splitHeaderList(value)[0];
  const nameAddr = first === undefined ? undefined : parseNameAddr(first);
  return nameAddr?.sipUri === undefined ? undefined : cap(nameAddr.uri);
}

function defined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k];
  return o;
}

export function readChannelData(h: ChannelHeaders, now: number): ChannelRead {
  const uuid = cap(h('Unique-ID'));
  const channelName = h('Channel-Name') ?? h('variable_channel_name') ?? '';
  const isH323 = channelName.startsWith('h323/') || h('Caller-Source') === 'mod_h323';
  const rawIp = isH323
    ? h('Caller-Network-Addr')
    : (h('variable_sip_network_ip') ?? h('variable_sip_received_ip') ?? h('Caller-Network-Addr'));
  const ip = ipOf(rawIp);
  const destination = cap(h('Caller-Destination-Number') ?? h('Channel-Destination-Number'));
  if (ip === undefined) {
    const detail = `CHANNEL_DATA without a usable source address (${rawIp === undefined ? 'none' : JSON.stringify(rawIp.slice(0, 64))})`;
    return { ok: false, uuid, channelName, detail };
  }
  if (isH323) {
    const callerNumber = cap(h('Caller-Caller-ID-Number'));
    const callerName = cap(h('Caller-Caller-ID-Name'));
    const attempt: CallAttempt = {
      protocol: 'h323',
      method: 'SETUP',
      source: defined({ ip, transport: 'tcp' as const }),
      target: defined({ user: destination }),
      caller: defined({ user: callerNumber, display: callerName }),
      callId: uuid,
      time: now,
      adapter: 'freeswitch',
      h323: defined({
        // mod_h323 hands the dialplan no call reference, vendor or fastStart details.
        callReference: 0,
        sourceAliases: callerNumber ? [{ type: 'dialedDigits' as const, value: callerNumber }] : [],
        destinationAliases: destination ? [{ type: 'dialedDigits' as const, value: destination }] : [],
        fastStartCount: 0,
        display: callerName,
        callingNumber: callerNumber,
        calledNumber: destination,
      }),
    };
    return { ok: true, attempt: defined(attempt), uuid, channelName };
  }

  const transport = h('variable_sip_via_protocol')?.toLowerCase() as Transport | undefined;
  const reqUri = h('variable_sip_req_uri');
  const viaText = h('variable_sip_full_via');
  const via = viaText ? parseVia(viaText) : undefined;
  const from = parseNameAddr(h('variable_sip_full_from') ?? '');
  const to = parseNameAddr(h('variable_sip_full_to') ?? '');
  const sdp = h('variable_switch_r_sdp');
  const maxForwards = port(h('variable_max_forwards'));
  const contact = h('variable_sip_contact_uri');
  const localIp = ipOf(h('variable_sip_local_network_addr'));
  const attempt: CallAttempt = {
    protocol: 'sip',
    method: 'INVITE',
    source: defined({
      ip,
      port: port(h('variable_sip_network_port') ?? h('variable_sip_received_port')),
      transport: transport && TRANSPORTS.has(transport) ? transport : undefined,
    }),
    ...(localIp ? { local: { ip: localIp } } : {}),
    target: defined({
      user: cap(h('variable_sip_req_user')) ?? destination,
      host: cap(h('variable_sip_req_host')),
      display: cap(h('variable_sip_to_display')),
    }),
    caller: defined({
      user: cap(h('variable_sip_from_user')),
      host: cap(h('variable_sip_from_host')),
      display: cap(h('variable_sip_from_display')),
    }),
    userAgent: cap(h('variable_sip_user_agent')),
    callId: cap(h('variable_sip_call_id')),
    time: now,
    adapter: 'freeswitch',
    media: mediaOf(h, sdp),
    sip: defined({
      // FreeSWITCH stores the Request-URI without its scheme.
      requestUri: cap(reqUri === undefined ? '' : `sip:${reqUri}`) ?? '',
      viaBranch: cap(via?.branch),
      viaSentBy: cap(via?.sentBy),
      fromTag: cap(h('variable_sip_from_tag') ?? from?.tag),
      fromUri: cap(from?.uri),
      toUri: cap(to?.uri),
      contact: cap(contact === undefined ? undefined : `sip:${contact}`),
      maxForwards,
      contentType: sdp ? 'application/sdp' : undefined,
      hasBody: sdp !== undefined && sdp.length > 0,
      sdpSessionName: cap(sdp ? sdpSessionName(Buffer.from(sdp, 'utf8'), 'application/sdp') : undefined),
      assertedIdentity: identityUri(h('variable_sip_P-Asserted-Identity')),
      remotePartyId: identityUri(h('variable_sip_Remote-Party-ID')),
    }),
  };
  return { ok: true, attempt: defined(attempt), uuid, channelName };
}
