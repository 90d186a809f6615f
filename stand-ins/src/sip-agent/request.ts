/** SIP requests as a legitimate user agent writes them, and a small SDP offer. */

export interface RequestSpec {
  method: string;
  uri: string;
  /** The agent sending it: its address and port go into Via and Contact. */
  from: { address: string; port: number };
  fromUri?: string;
  fromDisplay?: string;
  toUri?: string;
  callId?: string;
  cseq?: number;
  branch?: string;
  tag?: string;
  userAgent?: string;
  headers?: ReadonlyArray<readonly [string, string]>;
  sdp?: string;
}

let counter = 0;

/** A well-formed SIP request (RFC 3261 branch, tags, Max-Forwards), as a legitimate user agent sends it. */
export function buildRequest(spec: RequestSpec): string {
  counter++;
  const host = `${spec.from.address}:${spec.from.port}`;
  const fromUri = spec.fromUri ?? `sip:caller@${spec.from.address}`;
  const lines = [
    `${spec.method} ${spec.uri} SIP/2.0`,
    `Via: SIP/2.0/UDP ${host};branch=${spec.branch ?? `z9hG4bK${process.pid}x${counter}x${Date.now()}`};rport`,
    'Max-Forwards: 70',
    `From: ${spec.fromDisplay ? `"${spec.fromDisplay}" ` : ''}<${fromUri}>;tag=${spec.tag ?? `t${counter}`}`,
    `To: <${spec.toUri ?? spec.uri}>`,
    `Call-ID: ${spec.callId ?? `c${counter}-${Date.now()}@${spec.from.address}`}`,
    `CSeq: ${spec.cseq ?? 1} ${spec.method}`,
    `Contact: <sip:${fromUri.replace(/^sip:/, '').split('@')[0]}@${host}>`,
    `User-Agent: ${spec.userAgent ?? 'Cisco/CE (RoomKit) ce11.5'}`,
    ...(spec.headers ?? []).map(([n, v]) => `${n}: ${v}`),
  ];
  const body = spec.sdp ?? '';
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** A small audio/video SDP offer from `address`. */
export function sdpOffer(address: string, sessionName = 'Cisco RoomKit'): string {
  return [
    'v=0',
    `o=- 1 1 IN IP4 ${address}`,
    `s=${sessionName}`,
    `c=IN IP4 ${address}`,
    't=0 0',
    'm=audio 40000 RTP/AVP 0',
    'm=video 40002 RTP/AVP 96',
    'a=rtpmap:96 H264/90000',
    '',
  ].join('\r\n');
}
