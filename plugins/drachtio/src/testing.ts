/**
 * Test helpers, exported as `@ghostguard/drachtio/testing` (tests, `pnpm bench`, `pnpm demo`): real drachtio-srf
 * request/response objects without a server, a scripted SIP user agent over UDP, and a drachtio-srf app
 * connected to a (stand-in) drachtio-server. Loopback use only; every buffer is capped.
 */
import { createHash } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import Srf from 'drachtio-srf';

export { waitUntil } from '@ghostguard/core/testing';

// ---------------------------------------------------------------------------------------------------------------
// drachtio-srf objects without a server

export interface SrfMeta {
  address: string;
  port: number | string;
  protocol?: string;
  receivedOn?: string;
}

/** A final or provisional answer the app sent through a detached response. */
export interface SentResponse {
  status: number;
  headers: Record<string, string>;
}

interface SrfStatics {
  SipMessage: new (raw: string) => unknown;
  SipRequest: new (msg: unknown, meta: Record<string, unknown>) => DetachedRequest;
  SipResponse: new (agent: unknown) => DetachedResponse;
}

export interface DetachedRequest {
  method: string;
  res: DetachedResponse;
  emit(event: string, ...args: unknown[]): boolean;
  once(event: string, listener: () => void): unknown;
  removeListener(event: string, listener: () => void): unknown;
  listenerCount(event: string): number;
  [key: string]: unknown;
}
export interface DetachedResponse {
  req: DetachedRequest;
  send(status: number, opts?: unknown): void;
  once(event: string, listener: (...args: never[]) => void): unknown;
  [key: string]: unknown;
}

/**
 * A real drachtio-srf Request/Response pair for `raw` (drachtio-srf's own classes and SIP parser), whose
 * responses are recorded in `sent` instead of going to a server. `cancel()` delivers a CANCEL as drachtio-srf does.
 */
export function srfRequestPair(
  raw: string,
  meta: SrfMeta,
): { req: DetachedRequest; res: DetachedResponse; sent: SentResponse[]; cancel: () => void } {
  const statics = Srf as unknown as SrfStatics;
  const sent: SentResponse[] = [];
  const agent = {
    sendResponse(
      res: { status: number; msg: { headers: Record<string, string> } },
      opts?: { headers?: Record<string, string> },
    ) {
      sent.push({ status: res.status, headers: { ...res.msg.headers, ...(opts?.headers ?? {}) } });
    },
  };
  const req = new statics.SipRequest(new statics.SipMessage(raw), {
    source: 'network',
    address: meta.address,
    port: String(meta.port),
    protocol: meta.protocol ?? 'udp',
    time: '00:00:00.000000',
    transactionId: 'detached',
    receivedOn: meta.receivedOn,
  });
  const res = new statics.SipResponse(agent);
  req.res = res;
  res.req = req;
  req.agent = agent;
  return { req, res, sent, cancel: () => req.emit('cancel', {}) };
}

// ---------------------------------------------------------------------------------------------------------------
// A drachtio-srf app connected to a server

export interface ConnectedApp {
  srf: Srf;
  /** Errors drachtio-srf emitted (a refused connection, a lost one). */
  errors: Error[];
  close(): void;
}

/** Connects a new Srf to `host:port` with `secret`; `setup` runs before connecting (attach the guard, add handlers). */
export async function connectApp(
  server: { host: string; port: number; secret: string },
  setup: (srf: Srf) => void = () => {},
  timeoutMs = 10_000,
): Promise<ConnectedApp> {
  const srf = new Srf();
  const errors: Error[] = [];
  // Without an 'error' listener a refused or lost connection throws out of the process.
  srf.on('error', (err: Error) => {
    errors.push(err);
  });
  setup(srf);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`drachtio-srf did not connect within ${timeoutMs} ms`)), timeoutMs);
    srf.on('connect', (err: Error | null) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    });
    srf.connect({ host: server.host, port: server.port, secret: server.secret });
  });
  return {
    srf,
    errors,
    close: () => {
      try {
        srf.disconnect();
      } catch {
        // already disconnected
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// A scripted SIP user agent over UDP

const MAX_KEPT_MESSAGES = 10_000;

export interface ReceivedSip {
  text: string;
  firstLine: string;
  status?: number;
  from: { address: string; port: number };
}

export class SipUdpAgent {
  readonly received: ReceivedSip[] = [];
  private constructor(
    private readonly socket: UdpSocket,
    readonly address: string,
    readonly port: number,
  ) {
    socket.on('message', (data, rinfo) => {
      if (this.received.length >= MAX_KEPT_MESSAGES) return;
      const text = data.toString('utf8');
      const firstLine = text.slice(0, Math.max(0, text.indexOf('\r\n')));
      const m = /^SIP\/2\.0 (\d{3}) /.exec(firstLine);
      const entry: ReceivedSip = { text, firstLine, from: { address: rinfo.address, port: rinfo.port } };
      if (m) entry.status = Number(m[1]);
      this.received.push(entry);
    });
  }

  /** Binds to `address` (any 127.x.y.z on Linux) on an ephemeral port. */
  static async open(address = '127.0.0.1'): Promise<SipUdpAgent> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    return new SipUdpAgent(socket, address, socket.address().port);
  }

  send(message: string | Uint8Array, port: number, host = '127.0.0.1'): void {
    this.socket.send(typeof message === 'string' ? Buffer.from(message, 'utf8') : message, port, host);
  }

  /** Responses whose Call-ID is `callId`. */
  responsesFor(callId: string): ReceivedSip[] {
    return this.received.filter((r) => r.status !== undefined && headerValue(r.text, 'call-id') === callId);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The first value of a header in SIP text (case-insensitive name), or undefined. */
export function headerValue(text: string, name: string): string | undefined {
  const head = text.split('\r\n\r\n', 1)[0] ?? '';
  for (const line of head.split('\r\n').slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}

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

// ---------------------------------------------------------------------------------------------------------------
// Digest (RFC 2617 / 3261) for scripted user agents

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

/** The parameters of a `WWW-Authenticate: Digest …` (or Proxy-Authenticate) challenge. */
export function parseChallenge(value: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of value.replace(/^\s*Digest\s+/i, '').matchAll(/([a-z]+)=(?:"([^"]*)"|([^,\s]*))/gi)) {
    out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  }
  return out;
}

/** An `Authorization` value answering `challenge` for `method uri` with `username`/`password`. */
export function digestAuthorization(o: {
  challenge: string;
  username: string;
  password: string;
  method: string;
  uri: string;
  cnonce?: string;
}): string {
  const c = parseChallenge(o.challenge);
  const realm = c.realm ?? '';
  const nonce = c.nonce ?? '';
  const ha1 = md5(`${o.username}:${realm}:${o.password}`);
  const ha2 = md5(`${o.method}:${o.uri}`);
  const qop = c.qop?.split(',')[0]?.trim();
  const nc = '00000001';
  const cnonce = o.cnonce ?? 'ggcnonce';
  const response = qop ? md5(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const parts = [
    `username="${o.username}"`,
    `realm="${realm}"`,
    `nonce="${nonce}"`,
    `uri="${o.uri}"`,
    `response="${response}"`,
    'algorithm=MD5',
  ];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  return `Digest ${parts.join(', ')}`;
}
