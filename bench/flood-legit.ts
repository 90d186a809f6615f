/**
 * The flood bench's legitimate traffic: runs inside the client namespace as its own process, driven over IPC by
 * bench/flood.ts. Two user agents on their own addresses:
 * - a room system (10.77.0.4:5060) that registers with the server under test (digest when challenged) and answers
 *   every INVITE 200 with an SDP answer, ACK silently and BYE 200;
 * - a caller (10.77.0.3:5060) that places one call a second while a step runs: INVITE with an audio+video offer to the
 *   room (retransmitted at T1 = 500 ms, doubling, until a provisional answer, RFC 3261 timer A), ACK on the 200 and a
 *   BYE right after (to the room's Contact, through the Record-Route set when the server record-routes, as Kamailio's
 *   stock config does; the drachtio room proxy does not, so there the ACK and BYE go to the room directly).
 * A call is kept when its 200 arrives within GIVE_UP_MS of the first INVITE; its setup time is INVITE → 200.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { buildRequest, digestAuthorization, sdpOffer } from '../stand-ins/src/sip-agent/index.js';

export type LegitRequest =
  | {
      type: 'register';
      server: string;
      /** The domain in the REGISTER's Request-URI and AOR. */
      domain: string;
      user: string;
      password: string;
    }
  | { type: 'start'; server: string; domain: string; user: string }
  | { type: 'stop' }
  | { type: 'close' };

export type LegitReply =
  | { type: 'ready' }
  | { type: 'registered'; status: number | undefined }
  | {
      type: 'stopped';
      calls: number;
      kept: number;
      /** Setup times of kept calls, ms. */
      setups: number[];
      /** Final statuses of calls not kept (0: no answer within the give-up time). */
      failures: Record<string, number>;
      byesAnswered: number;
    };

const CALLER_IP = '10.77.0.3';
const ROOM_IP = '10.77.0.4';
const SIP_PORT = 5060;
const T1 = 500;
/** A caller gives up on a call without a 200 this long after its first INVITE (RFC 3261's timer B is 32 s). */
export const GIVE_UP_MS = 8_000;
const CALL_EVERY_MS = 1_000;

interface Parsed {
  firstLine: string;
  status?: number;
  method?: string;
  lines: string[];
  body: string;
}

const COMPACT: Record<string, string> = {
  v: 'via',
  f: 'from',
  t: 'to',
  i: 'call-id',
  m: 'contact',
  l: 'content-length',
};

function headerName(line: string): string {
  const n = line.slice(0, line.indexOf(':')).trim().toLowerCase();
  return COMPACT[n] ?? n;
}

function parse(data: Buffer): Parsed {
  const text = data.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const head = (end === -1 ? text : text.slice(0, end)).split('\r\n');
  const firstLine = head[0] ?? '';
  const out: Parsed = { firstLine, lines: head.slice(1), body: end === -1 ? '' : text.slice(end + 4) };
  const m = /^SIP\/2\.0 (\d{3})/.exec(firstLine);
  if (m) out.status = Number(m[1]);
  else out.method = firstLine.split(' ')[0];
  return out;
}

function values(p: Parsed, name: string): string[] {
  const out: string[] = [];
  for (const l of p.lines) if (headerName(l) === name) out.push(l.slice(l.indexOf(':') + 1).trim());
  return out;
}

function value(p: Parsed, name: string): string | undefined {
  return values(p, name)[0];
}

function uriIn(nameAddr: string): string {
  const m = /<([^>]+)>/.exec(nameAddr);
  return (m ? m[1]! : nameAddr.split(';')[0]!).trim();
}

/** host and port of a SIP URI (sip:user@host:port;params). */
function hostPort(uri: string): { host: string; port: number } {
  const afterScheme = uri.replace(/^sips?:/, '');
  const hp = (afterScheme.includes('@') ? afterScheme.slice(afterScheme.indexOf('@') + 1) : afterScheme).split(
    /[;?>]/,
  )[0]!;
  const [host, port] = hp.split(':');
  return { host: host!, port: port ? Number(port) : SIP_PORT };
}

async function bind(address: string): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.bind(SIP_PORT, address, () => {
      s.off('error', reject);
      resolve();
    });
  });
  s.on('error', () => {});
  return s;
}

// ---------------------------------------------------------------------------------------------------------------
// The room system

function roomAnswer(req: Parsed, status: number, reason: string, toTag: string, withSdp: boolean): string {
  const lines = [`SIP/2.0 ${status} ${reason}`];
  for (const l of req.lines) {
    const n = headerName(l);
    if (n === 'via' || n === 'from' || n === 'call-id' || n === 'cseq' || n === 'record-route') lines.push(l);
    else if (n === 'to') lines.push(/;tag=/i.test(l) ? l : `${l};tag=${toTag}`);
  }
  lines.push(`Contact: <sip:room@${ROOM_IP}:${SIP_PORT}>`, 'User-Agent: Cisco/CE (RoomKit) ce11.5');
  const body = withSdp ? sdpOffer(ROOM_IP) : '';
  if (body) lines.push('Content-Type: application/sdp');
  lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function runRoom(room: Socket, onRegisterResponse: (p: Parsed) => void): void {
  const tags = new Map<string, string>();
  room.on('message', (data: Buffer, rinfo: RemoteInfo) => {
    const p = parse(data);
    if (p.status !== undefined) {
      onRegisterResponse(p);
      return;
    }
    const callId = value(p, 'call-id') ?? '';
    const send = (text: string) => room.send(Buffer.from(text, 'latin1'), rinfo.port, rinfo.address);
    if (p.method === 'INVITE') {
      let tag = tags.get(callId);
      if (tag === undefined) {
        tag = `r${tags.size}x${Date.now()}`;
        tags.set(callId, tag);
        if (tags.size > 10_000) tags.delete(tags.keys().next().value as string);
      }
      send(roomAnswer(p, 200, 'OK', tag, true));
    } else if (p.method === 'BYE' || p.method === 'OPTIONS' || p.method === 'CANCEL') {
      send(roomAnswer(p, 200, 'OK', tags.get(callId) ?? 'x', false));
      if (p.method === 'BYE') tags.delete(callId);
    }
  });
}

async function register(room: Socket, m: Extract<LegitRequest, { type: 'register' }>): Promise<number | undefined> {
  const uri = `sip:${m.domain}`;
  const callId = `reg-${Date.now()}@${ROOM_IP}`;
  let cseq = 1;
  const request = (authorization?: string): string =>
    buildRequest({
      method: 'REGISTER',
      uri,
      from: { address: ROOM_IP, port: SIP_PORT },
      fromUri: `sip:${m.user}@${m.domain}`,
      toUri: `sip:${m.user}@${m.domain}`,
      callId,
      cseq: cseq++,
      tag: 'roomreg',
      headers: [['Expires', '3600'], ...(authorization ? [['Authorization', authorization] as const] : [])],
    });
  const exchange = (text: string): Promise<Parsed | undefined> =>
    new Promise((resolve) => {
      let tries = 0;
      const send = () => room.send(Buffer.from(text, 'latin1'), SIP_PORT, m.server);
      const timer = setInterval(() => {
        if (++tries > 6) {
          clearInterval(timer);
          pending = undefined;
          resolve(undefined);
        } else send();
      }, T1);
      pending = (p) => {
        if ((p.status ?? 0) < 200) return;
        clearInterval(timer);
        pending = undefined;
        resolve(p);
      };
      send();
    });
  const first = await exchange(request());
  if (first?.status === 401 || first?.status === 407) {
    const challenge = value(first, first.status === 401 ? 'www-authenticate' : 'proxy-authenticate') ?? '';
    const auth = digestAuthorization({ challenge, username: m.user, password: m.password, method: 'REGISTER', uri });
    return (await exchange(request(auth)))?.status;
  }
  return first?.status;
}

let pending: ((p: Parsed) => void) | undefined;

// ---------------------------------------------------------------------------------------------------------------
// The caller

interface Call {
  callId: string;
  tag: string;
  invite: string;
  inviteBranch: string;
  requestUri: string;
  t0: number;
  retransmit: NodeJS.Timeout | undefined;
  interval: number;
  setupMs: number | undefined;
  final: number | undefined;
  byeAnswered: boolean;
  byeTimer: NodeJS.Timeout | undefined;
}

class Caller {
  private readonly calls = new Map<string, Call>();
  private current: Call[] = [];
  private timer: NodeJS.Timeout | undefined;
  private n = 0;

  constructor(private readonly socket: Socket) {
    socket.on('message', (data: Buffer) => this.onResponse(parse(data)));
  }

  start(server: string, domain: string, user: string): void {
    this.current = [];
    const place = () => this.place(server, domain, user);
    place();
    this.timer = setInterval(place, CALL_EVERY_MS);
  }

  /** Stops placing calls; resolves once every call of the step is settled (kept, refused or given up). */
  async stop(): Promise<Extract<LegitReply, { type: 'stopped' }>> {
    clearInterval(this.timer);
    const calls = this.current;
    const deadline = performance.now() + GIVE_UP_MS + 1_000;
    while (
      performance.now() < deadline &&
      calls.some((c) => c.final === undefined || (c.final < 300 && !c.byeAnswered))
    )
      await new Promise((r) => setTimeout(r, 50));
    const failures: Record<string, number> = {};
    const setups: number[] = [];
    let kept = 0;
    for (const c of calls) {
      if (c.setupMs !== undefined && c.setupMs <= GIVE_UP_MS) {
        kept++;
        setups.push(c.setupMs);
      } else {
        const k = String(c.final !== undefined && c.final >= 300 ? c.final : 0);
        failures[k] = (failures[k] ?? 0) + 1;
      }
      this.forget(c);
    }
    return {
      type: 'stopped',
      calls: calls.length,
      kept,
      setups,
      failures,
      byesAnswered: calls.filter((c) => c.byeAnswered).length,
    };
  }

  private forget(c: Call): void {
    clearTimeout(c.retransmit);
    clearTimeout(c.byeTimer);
    this.calls.delete(c.callId);
  }

  private place(server: string, domain: string, user: string): void {
    const i = ++this.n;
    const callId = `legit-${process.pid}-${i}@${CALLER_IP}`;
    const requestUri = `sip:${user}@${domain}`;
    const branch = `z9hG4bKlegit${process.pid}x${i}`;
    const invite = buildRequest({
      method: 'INVITE',
      uri: requestUri,
      from: { address: CALLER_IP, port: SIP_PORT },
      fromUri: `sip:bridge@partner.example.net`,
      fromDisplay: 'Partner Bridge',
      callId,
      branch,
      tag: `lt${i}`,
      sdp: sdpOffer(CALLER_IP),
    });
    const call: Call = {
      callId,
      tag: `lt${i}`,
      invite,
      inviteBranch: branch,
      requestUri,
      t0: performance.now(),
      retransmit: undefined,
      interval: T1,
      setupMs: undefined,
      final: undefined,
      byeAnswered: false,
      byeTimer: undefined,
    };
    this.calls.set(callId, call);
    this.current.push(call);
    const send = () => this.socket.send(Buffer.from(invite, 'latin1'), SIP_PORT, server);
    const again = () => {
      if (call.final !== undefined) return;
      if (performance.now() - call.t0 > GIVE_UP_MS) return;
      send();
      call.interval *= 2;
      call.retransmit = setTimeout(again, call.interval);
    };
    send();
    call.retransmit = setTimeout(again, call.interval);
    // The server this call went through, for hop-by-hop ACKs of a non-2xx answer.
    (call as Call & { server?: string }).server = server;
  }

  private onResponse(p: Parsed): void {
    if (p.status === undefined) {
      // A request to the caller (a BYE from the far end): not part of this script.
      return;
    }
    const call = this.calls.get(value(p, 'call-id') ?? '');
    if (call === undefined) return;
    const cseq = value(p, 'cseq') ?? '';
    const server = (call as Call & { server?: string }).server!;
    if (/\bBYE$/i.test(cseq)) {
      if (p.status >= 200) {
        call.byeAnswered = true;
        clearTimeout(call.byeTimer);
      }
      return;
    }
    if (p.status < 200) {
      clearTimeout(call.retransmit);
      call.retransmit = undefined;
      return;
    }
    const first = call.final === undefined;
    clearTimeout(call.retransmit);
    const to = value(p, 'to') ?? '';
    if (p.status >= 300) {
      if (first) call.final = p.status;
      // Hop-by-hop ACK of a non-2xx final: same branch and Request-URI as the INVITE.
      this.send(this.inDialog('ACK', call, call.requestUri, [], to, 1, call.inviteBranch), server, SIP_PORT);
      return;
    }
    if (first) {
      call.final = p.status;
      call.setupMs = performance.now() - call.t0;
    }
    // ACK and BYE: to the room's Contact, through the Record-Route set (reversed for the caller) when there is one.
    const contact = uriIn(value(p, 'contact') ?? `sip:${ROOM_IP}`);
    const routes = values(p, 'record-route')
      .flatMap((v) => v.split(','))
      .map((v) => v.trim())
      .reverse();
    const next = routes.length > 0 ? hostPort(uriIn(routes[0]!)) : hostPort(contact);
    const route = routes.length > 0 ? [`Route: ${routes.join(', ')}`] : [];
    this.send(this.inDialog('ACK', call, contact, route, to, 1), next.host, next.port);
    if (!first) return;
    const bye = this.inDialog('BYE', call, contact, route, to, 2);
    let interval = T1;
    const sendBye = () => {
      if (call.byeAnswered || performance.now() - call.t0 > GIVE_UP_MS * 2) return;
      this.send(bye, next.host, next.port);
      call.byeTimer = setTimeout(sendBye, interval);
      interval = Math.min(interval * 2, 4_000);
    };
    sendBye();
  }

  private inDialog(
    method: string,
    call: Call,
    uri: string,
    route: string[],
    to: string,
    cseq: number,
    branch = `z9hG4bK${method.toLowerCase()}${call.tag}x${Date.now()}`,
  ): string {
    return [
      `${method} ${uri} SIP/2.0`,
      `Via: SIP/2.0/UDP ${CALLER_IP}:${SIP_PORT};branch=${branch};rport`,
      'Max-Forwards: 70',
      ...route,
      `From: "Partner Bridge" <sip:bridge@partner.example.net>;tag=${call.tag}`,
      `To: ${to}`,
      `Call-ID: ${call.callId}`,
      `CSeq: ${cseq} ${method}`,
      'User-Agent: Cisco/CE (RoomKit) ce11.5',
      'Content-Length: 0',
      '',
      '',
    ].join('\r\n');
  }

  private send(text: string, host: string, port: number): void {
    this.socket.send(Buffer.from(text, 'latin1'), port, host);
  }
}

async function main(): Promise<void> {
  const room = await bind(ROOM_IP);
  const callerSocket = await bind(CALLER_IP);
  runRoom(room, (p) => pending?.(p));
  const caller = new Caller(callerSocket);
  process.on('message', (m: LegitRequest) => {
    if (m.type === 'register') {
      void register(room, m).then((status) => process.send?.({ type: 'registered', status } satisfies LegitReply));
    } else if (m.type === 'start') caller.start(m.server, m.domain, m.user);
    else if (m.type === 'stop') void caller.stop().then((r) => process.send?.(r satisfies LegitReply));
    else {
      room.close();
      callerSocket.close();
      process.disconnect();
    }
  });
  process.send?.({ type: 'ready' } satisfies LegitReply);
}

void main();
