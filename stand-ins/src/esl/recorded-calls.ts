/**
 * Recorded SIP traffic (`test/fixtures/**.sip.txt` blocks: `===== request t=<s> <src ip:port> -> <dst ip:port> =====`)
 * turned into the calls FreeSWITCH would hand its outbound socket: every out-of-dialog INVITE becomes a
 * SipCallInfo (the rest of a recording, REGISTER/OPTIONS/ACK/BYE, never reaches the dialplan).
 */
import { parseNameAddr, parseSipMessage, parseSipUri, parseVia } from '@ghostguard/core/sip';
import type { SipCallInfo } from './channel-data.js';

const BLOCK = /^===== request t=([\d.]+) (\S+) -> (\S+) =====\n/gm;

function splitHostPort(text: string): { ip: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!m) throw new Error(`recorded-calls: bad address ${text}`);
  return { ip: m[1]!, port: Number(m[2]) };
}

export interface RecordedInvite {
  /** Seconds since the recording's first message. */
  t: number;
  call: SipCallInfo;
}

/** INVITEs without a To tag, in recording order. */
export function recordedInvites(sipText: string): RecordedInvite[] {
  const out: RecordedInvite[] = [];
  const starts = [...sipText.matchAll(BLOCK)];
  for (let i = 0; i < starts.length; i++) {
    const m = starts[i]!;
    const bodyStart = m.index! + m[0].length;
    const next = sipText.slice(bodyStart).search(/^(=====|# )/m);
    const text = next === -1 ? sipText.slice(bodyStart) : sipText.slice(bodyStart, bodyStart + next);
    const msg = parseSipMessage(text.replace(/\r?\n/g, '\r\n').replace(/(\r\n)+$/, '\r\n\r\n'));
    if (msg.kind !== 'request' || msg.method !== 'INVITE') continue;
    const to = parseNameAddr(msg.headers.get('to') ?? '');
    if (to === undefined || to.tag !== undefined) continue;
    const from = parseNameAddr(msg.headers.get('from') ?? '');
    const ruri = parseSipUri(msg.requestUri);
    const via = msg.headers.get('via');
    const source = splitHostPort(m[2]!);
    const local = splitHostPort(m[3]!);
    const contact = parseNameAddr(msg.headers.get('contact') ?? '')?.sipUri;
    const transport = via ? parseVia(via)?.transport.toLowerCase() : undefined;
    const body = Buffer.from(msg.body).toString('utf8');
    out.push({
      t: Number(m[1]),
      call: {
        protocol: 'sip',
        source: { ...source, transport: transport === 'tcp' || transport === 'tls' ? transport : 'udp' },
        local,
        requestUri: {
          user: ruri?.user ?? '',
          host: ruri?.host ?? local.ip,
          ...(ruri?.port ? { port: ruri.port } : {}),
        },
        from: {
          user: from?.sipUri?.user ?? '',
          host: from?.sipUri?.host ?? source.ip,
          ...(from?.display !== undefined ? { display: from.display } : {}),
          ...(from?.tag !== undefined ? { tag: from.tag } : {}),
        },
        to: {
          user: to.sipUri?.user ?? '',
          host: to.sipUri?.host ?? local.ip,
          ...(to.sipUri?.port ? { port: to.sipUri.port } : {}),
          ...(to.display !== undefined ? { display: to.display } : {}),
        },
        callId: msg.headers.get('call-id') ?? '',
        ...(via !== undefined ? { via } : {}),
        ...(msg.headers.get('user-agent') !== undefined ? { userAgent: msg.headers.get('user-agent')! } : {}),
        ...(contact?.host ? { contact: { host: contact.host, user: contact.user, port: contact.port } } : {}),
        ...(body.includes('v=0') ? { sdp: body } : {}),
      },
    });
  }
  return out;
}
