import { parseNameAddr, parseSipMessage, parseSipUri } from '@ghostguard/core/sip';
import type { ChannelTech, ScriptedCall } from './dialplan.js';

/** `===== request t=<s> <src> -> <dst> =====` block headings of the `.sip.txt` recordings (test/fixtures). */
const HEADING = /^===== (request|response) t=(\d+(?:\.\d+)?) (\S+) -> (\S+) =====$/gm;

function hostPort(text: string): { ip: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(text);
  if (!m) throw new Error(`bad address ${JSON.stringify(text)} in a block heading`);
  return { ip: m[1]!, port: Number(m[2]) };
}

/**
 * The INVITEs of a `.sip.txt` recording that would create an Asterisk channel, as scripted calls on `tech`:
 * initial INVITEs (no To tag), the last one per Call-ID (a challenged INVITE creates no channel; its
 * authenticated retry does). The fields are what the check routine reads from such an INVITE, its body
 * (Content-Type, Content-Length, the SDP) included.
 */
export function invitesAsCalls(text: string, tech: ChannelTech): ScriptedCall[] {
  const heads = [...text.matchAll(HEADING)];
  const byCallId = new Map<string, ScriptedCall>();
  for (let i = 0; i < heads.length; i++) {
    const h = heads[i]!;
    if (h[1] !== 'request') continue;
    const start = h.index + h[0].length + 1;
    const end = i + 1 < heads.length ? heads[i + 1]!.index : text.length;
    const block = text.slice(start, end);
    const headEnd = block.indexOf('\r\n\r\n');
    if (headEnd < 0) continue;
    const cl = /^content-length:\s*(\d+)/im.exec(block.slice(0, headEnd));
    const msg = parseSipMessage(block.slice(0, headEnd + 4 + Number(cl?.[1] ?? 0)));
    if (msg.kind !== 'request' || msg.method !== 'INVITE') continue;
    const to = msg.headers.get('to');
    if (to === undefined || parseNameAddr(to)?.tag !== undefined) continue;
    const from = msg.headers.get('from');
    const fromAddr = from === undefined ? undefined : parseNameAddr(from);
    const ruri = parseSipUri(msg.requestUri);
    const callId = msg.headers.get('call-id') ?? String(i);
    const call: ScriptedCall = {
      tech,
      source: hostPort(h[3]!),
      exten: ruri?.user ?? 's',
      requestUri: msg.requestUri,
      sipDomain: ruri?.host ?? '',
      callId,
      to,
    };
    const optional: Array<[keyof ScriptedCall, string | undefined]> = [
      ['callerNum', fromAddr?.sipUri?.user],
      ['callerName', fromAddr?.display],
      ['userAgent', msg.headers.get('user-agent')],
      ['via', msg.headers.get('via')],
      ['from', from],
      ['contact', msg.headers.get('contact')],
    ];
    for (const [k, v] of optional) if (v !== undefined) (call as unknown as Record<string, string>)[k] = v;
    // What the check routine reads about the offer: the body headers and the SDP (see media.ts).
    const invite: NonNullable<ScriptedCall['invite']> = { body: new TextDecoder().decode(msg.body) };
    const contentType = msg.headers.get('content-type');
    const contentLength = msg.headers.get('content-length');
    if (contentType !== undefined) invite.contentType = contentType;
    if (contentLength !== undefined) invite.contentLength = contentLength;
    call.invite = invite;
    byCallId.set(callId, call);
  }
  return [...byCallId.values()];
}
