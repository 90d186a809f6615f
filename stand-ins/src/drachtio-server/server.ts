import { randomUUID } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket as UdpSocket } from 'node:dgram';
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import {
  canonicalHeaderName,
  parseNameAddr,
  parseSipMessage,
  parseSipUri,
  parseVia,
  type SipMessage,
  type SipRequest,
  type SipResponse,
} from '@ghostguard/core/sip';
import { Blacklist, type BlacklistOptions, type BlacklistState } from './blacklist.js';
import { encodeFrame, FrameError, FrameReader } from './framing.js';
import {
  buildResponse,
  formatNameAddr,
  newBranch,
  newTag,
  STACK_OWNED_HEADERS,
  stackTime,
  stampTopVia,
  stampVia,
  viaValues,
} from './sip-text.js';

/**
 * A wire-faithful stand-in for drachtio-server v0.9.10 (see /work/shared/fixtures/drachtio-server-0.9.10, the
 * copies in stand-ins/recordings/drachtio-server-0.9.10, /work/shared/fixtures/drachtio-server-1.0.0 and
 * drachtio-srf's lib/wire-protocol.js, lib/drachtio-agent.js): an admin TCP port speaking `<bytes>#<payload>`
 * (authenticate, route, remove_route, ping, sip, proxy) and a real UDP SIP socket. What it does to SIP follows
 * the recording: 100 Trying to every new INVITE before the app sees it, the request forwarded verbatim apart
 * from the topmost Via's rport/received, app responses re-written in sofia's header order with a To-tag,
 * non-2xx finals to INVITE retransmitted until ACK, CANCEL answered (200 + 487) by the server itself with the
 * app told under the INVITE's transaction id, and unanswered requests forgotten after a while.
 *
 * Not modelled: TCP/TLS SIP, UAC requests from the app (`sip|||`), in-dialog routing, 2xx retransmission,
 * serial/parallel forking over several proxy destinations (the first one is used).
 */

export interface DrachtioServerTimers {
  /** RFC 3261 T1 (retransmission base), ms. */
  t1?: number;
  /** RFC 3261 T2 (retransmission cap), ms. */
  t2?: number;
  /** How long a final answer to an INVITE is retransmitted while no ACK comes (Timer H), ms. */
  timerH?: number;
  /** How long a request the app never answers is remembered, ms (drachtio-server: about 64 s). */
  forgetAfter?: number;
  /** How long a final answered request is kept to absorb retransmissions (Timer J), ms. */
  keepAnswered?: number;
  /** How long a proxied request waits for a final answer before the stand-in answers 408, ms. */
  proxyTimeout?: number;
}

export interface DrachtioServerPeerOptions {
  secret: string;
  /** Address of both ports; default 127.0.0.1. */
  host?: string;
  adminPort?: number;
  sipPort?: number;
  /**
   * What the authenticate response reports. Default `v0.9.10`, what the newest release (v0.9.10, built from its
   * tag) reports (drachtio-server-0.9.10/*.admin-*.follow.txt); a build without git metadata reports `1.0.0`
   * (drachtio-server-1.0.0/wire-session.follow.txt).
   */
  version?: string;
  timers?: DrachtioServerTimers;
  /** Entries kept in `wire` (oldest dropped first); default 5000. */
  wireLogSize?: number;
  /**
   * `--blacklist-redis-*`: a Redis set of addresses whose messages are discarded unanswered, read once per start
   * (blacklist.ts says what v0.9.10 does, from its source).
   */
  blacklist?: BlacklistOptions;
}

export interface WireRecord {
  direction: 'in' | 'out';
  /** The far end of the datagram. */
  address: string;
  port: number;
  /** Start line, e.g. `INVITE sip:100@127.0.0.1 SIP/2.0` or `SIP/2.0 100 Trying` (raw text when unparseable). */
  firstLine: string;
  text: string;
  time: number;
}

export interface DrachtioServerStats {
  datagramsIn: number;
  requestsToApp: number;
  cancelsToApp: number;
  responsesFromApp: number;
  /** Datagrams that did not parse as SIP or lacked a mandatory header. */
  malformed: number;
  /** Of those, how many were answered 400 (a readable Via was there to answer to). */
  answered400: number;
  /** Requests for a method no app routed (answered 503). */
  unrouted: number;
  retransmissionsAbsorbed: number;
  /** Requests the app never answered, forgotten after `forgetAfter`. */
  forgotten: number;
  adminConnections: number;
  adminRejected: number;
  /** Datagrams from a blacklisted source, discarded without an answer (the app never hears of them). */
  blacklisted: number;
}

export interface DrachtioServerPeer {
  readonly host: string;
  readonly adminPort: number;
  readonly sipPort: number;
  /** Recent datagrams in and out of the SIP port. */
  readonly wire: readonly WireRecord[];
  stats(): DrachtioServerStats;
  /** Server transactions held (unanswered or awaiting ACK / retransmissions). */
  transactionCount(): number;
  /** Methods (lower case) some authenticated app routed. */
  routedMethods(): string[];
  /** The Redis blacklist as loaded since the last start (undefined without `blacklist`). */
  blacklist(): BlacklistState | undefined;
  /**
   * A server restart (SIGTERM or crash, then started again), as recorded in drachtio-server-0.9.10/restart*:
   * every app connection is cut, every SIP transaction and dialog forgotten (a held call never gets its final
   * answer), the admin port refuses connections for `downForMs`, then listens again on the same port. The SIP
   * socket stays bound (the stand-in's own shortcut: requests that arrive while down are dropped unanswered, as no
   * app has routed anything yet). With `blacklist`, the restarted server reads the set again (its only read).
   */
  restart(downForMs?: number): Promise<void>;
  /** Resolves once an authenticated app has routed every listed method (bounded by `timeoutMs`). */
  waitForRoutes(methods: readonly string[], timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const CRLF = '\r\n';
/** Dialogs remembered for in-dialog routing (the oldest is forgotten past it). */
const MAX_DIALOGS = 10_000;

interface AdminClient {
  socket: Socket;
  reader: FrameReader;
  authenticated: boolean;
  routes: Set<string>;
}

interface Endpoint {
  address: string;
  port: number;
}

interface ServerTxn {
  id: string;
  key: string;
  method: string;
  client: AdminClient;
  source: Endpoint;
  /** The request as forwarded to the app (topmost Via stamped). */
  raw: string;
  size: number;
  callId: string;
  fromTag: string;
  vias: string[];
  from: string;
  toRaw: string;
  toTag: string | undefined;
  cseq: string;
  requestUri: string;
  final: boolean;
  lastResponse: string | undefined;
  retransmit: NodeJS.Timeout | undefined;
  expire: NodeJS.Timeout | undefined;
  proxy: ProxyLeg | undefined;
}

interface ProxyLeg {
  branch: string;
  txn: ServerTxn;
  rId: string;
  dest: Endpoint;
  destUri: string;
  via: string;
  timer: NodeJS.Timeout | undefined;
}

/**
 * sofia-sip is more lenient than the core's parser (it has no cap on the number of header fields, and takes long
 * lines): the stand-in forwards what sofia would, so an app sees requests the core refuses to decode.
 */
const SOFIA_LIMITS = { maxHeaders: 2048, maxHeaderLineBytes: 60 * 1024 } as const;

function requiredHeaders(msg: SipMessage): string | undefined {
  for (const name of ['via', 'from', 'to', 'call-id', 'cseq']) if (!msg.headers.has(name)) return name;
  return undefined;
}

function firstLineOf(text: string): string {
  const nl = text.indexOf('\r\n');
  return (nl === -1 ? text : text.slice(0, nl)).slice(0, 200);
}

export async function startDrachtioServerPeer(options: DrachtioServerPeerOptions): Promise<DrachtioServerPeer> {
  const host = options.host ?? '127.0.0.1';
  const version = options.version ?? 'v0.9.10';
  const t1 = options.timers?.t1 ?? 500;
  const t2 = options.timers?.t2 ?? 4000;
  const timerH = options.timers?.timerH ?? 64 * t1;
  const forgetAfter = options.timers?.forgetAfter ?? 64_000;
  const keepAnswered = options.timers?.keepAnswered ?? 32_000;
  const proxyTimeout = options.timers?.proxyTimeout ?? 32_000;
  const wireLogSize = options.wireLogSize ?? 5000;

  const clients = new Set<AdminClient>();
  const txns = new Map<string, ServerTxn>();
  const txnsByKey = new Map<string, ServerTxn>();
  const legs = new Map<string, ProxyLeg>();
  /** Dialogs an app set up by answering an INVITE 2xx: `callId;from-tag=X` → the app. Oldest dropped past the cap. */
  const dialogs = new Map<string, AdminClient>();
  const wire: WireRecord[] = [];
  const stats: DrachtioServerStats = {
    datagramsIn: 0,
    requestsToApp: 0,
    cancelsToApp: 0,
    responsesFromApp: 0,
    malformed: 0,
    answered400: 0,
    unrouted: 0,
    retransmissionsAbsorbed: 0,
    forgotten: 0,
    adminConnections: 0,
    adminRejected: 0,
    blacklisted: 0,
  };
  const blacklist = options.blacklist ? new Blacklist(options.blacklist) : undefined;
  /**
   * drachtio-server's processMessageStatelessly returns at once for a blacklisted source (blacklist.ts): called
   * wherever the stand-in handles a message that matches no transaction and no dialog.
   */
  function discardBlacklisted(source: Endpoint): boolean {
    if (blacklist === undefined || !blacklist.has(source.address)) return false;
    stats.blacklisted++;
    return true;
  }
  const routeWaiters = new Set<() => void>();
  let closed = false;

  const udp: UdpSocket = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const admin: Server = createServer();

  function log(direction: WireRecord['direction'], peer: Endpoint, text: string): void {
    wire.push({
      direction,
      address: peer.address,
      port: peer.port,
      firstLine: firstLineOf(text),
      text,
      time: Date.now(),
    });
    if (wire.length > wireLogSize) wire.splice(0, wire.length - wireLogSize);
  }

  function sendSip(to: Endpoint, text: string): void {
    if (closed) return;
    log('out', to, text);
    udp.send(Buffer.from(text, 'utf8'), to.port, to.address);
  }

  function sendAdmin(client: AdminClient, payload: string): void {
    if (client.socket.destroyed) return;
    client.socket.write(encodeFrame(`${randomUUID()}|${payload}`));
  }

  function dialogIdOf(txn: ServerTxn): string {
    return `${txn.callId};from-tag=${txn.fromTag}`;
  }

  function dropTxn(txn: ServerTxn): void {
    if (txn.retransmit) clearTimeout(txn.retransmit);
    if (txn.expire) clearTimeout(txn.expire);
    if (txn.proxy?.timer) clearTimeout(txn.proxy.timer);
    if (txn.proxy) legs.delete(txn.proxy.branch);
    txns.delete(txn.id);
    if (txnsByKey.get(txn.key) === txn) txnsByKey.delete(txn.key);
  }

  function expireIn(txn: ServerTxn, ms: number, unanswered: boolean): void {
    if (txn.expire) clearTimeout(txn.expire);
    txn.expire = setTimeout(() => {
      if (unanswered && !txn.final) stats.forgotten++;
      dropTxn(txn);
    }, ms);
    txn.expire.unref();
  }

  /** Timer G: a non-2xx final to an INVITE goes out again at T1, 2·T1… capped at T2, until ACK or Timer H. */
  function retransmitFinal(txn: ServerTxn, interval: number, elapsed: number): void {
    txn.retransmit = setTimeout(() => {
      if (txn.lastResponse === undefined) return;
      sendSip(txn.source, txn.lastResponse);
      const next = Math.min(interval * 2, t2);
      if (elapsed + interval + next < timerH) retransmitFinal(txn, next, elapsed + interval);
    }, interval);
    txn.retransmit.unref();
  }

  /** Sends a response for a server transaction on the wire (and remembers it for retransmissions). */
  function respond(txn: ServerTxn, text: string, status: number): void {
    sendSip(txn.source, text);
    if (status < 200) return;
    txn.final = true;
    txn.lastResponse = text;
    if (txn.retransmit) clearTimeout(txn.retransmit);
    if (txn.method === 'INVITE' && status >= 300) {
      retransmitFinal(txn, t1, 0);
      expireIn(txn, timerH, false);
    } else {
      expireIn(txn, keepAnswered, false);
    }
  }

  function stackResponse(txn: ServerTxn, status: number, reason: string, cseq = txn.cseq): string {
    const to = status === 100 ? formatNameAddr(txn.toRaw) : formatNameAddr(txn.toRaw, ensureToTag(txn));
    return buildResponse({ status, reason, vias: txn.vias, from: txn.from, to, callId: txn.callId, cseq });
  }

  function ensureToTag(txn: ServerTxn): string {
    txn.toTag ??= newTag();
    return txn.toTag;
  }

  /** A stateless answer to a request that will not get a transaction (400, 481, 503). */
  function statelessResponse(msg: SipRequest, rinfo: Endpoint, status: number, reason: string): void {
    const vias = viaValues(msg);
    if (vias.length === 0) return;
    vias[0] = stampVia(vias[0]!, rinfo.address, rinfo.port);
    const to = msg.headers.get('to') ?? '';
    const toTag = parseNameAddr(to)?.tag;
    sendSip(
      rinfo,
      buildResponse({
        status,
        reason,
        vias,
        from: formatNameAddr(msg.headers.get('from') ?? ''),
        to: formatNameAddr(to, toTag ?? newTag()),
        callId: msg.headers.get('call-id') ?? '',
        cseq: msg.headers.get('cseq') ?? '',
      }),
    );
  }

  function clientFor(method: string): AdminClient | undefined {
    const verb = method.toLowerCase();
    for (const c of clients) if (c.authenticated && c.routes.has(verb)) return c;
    return undefined;
  }

  function keyOf(msg: SipRequest, method: string): string {
    const via = parseVia(msg.headers.get('via') ?? '');
    const branch = via?.branch;
    const base = branch?.startsWith('z9hG4bK')
      ? `${branch}|${via?.sentBy ?? ''}`
      : `${msg.headers.get('call-id') ?? ''}|${(msg.headers.get('cseq') ?? '').split(/\s+/)[0]}|${via?.sentBy ?? ''}`;
    return `${base}|${method === 'ACK' || method === 'CANCEL' ? 'INVITE' : method}`;
  }

  // ---------------------------------------------------------------------------------------------------------
  // SIP side

  function onDatagram(data: Buffer, rinfo: RemoteInfo): void {
    stats.datagramsIn++;
    const source = { address: rinfo.address, port: rinfo.port };
    const text = data.toString('utf8');
    log('in', source, text);
    let msg: SipMessage;
    try {
      msg = parseSipMessage(data, SOFIA_LIMITS);
    } catch {
      stats.malformed++;
      return;
    }
    const missing = requiredHeaders(msg);
    if (missing !== undefined || msg.truncated) {
      stats.malformed++;
      // drachtio-server's own 400 (sip_sanity_check) comes after its blacklist check.
      if (discardBlacklisted(source)) return;
      if (msg.kind === 'request' && msg.method !== 'ACK' && msg.headers.has('via')) {
        stats.answered400++;
        statelessResponse(msg, source, 400, 'Bad Request');
      }
      return;
    }
    if (msg.kind === 'response') onResponse(msg, text, source);
    else onRequest(msg, text, data.length, source);
  }

  function onRequest(msg: SipRequest, text: string, size: number, source: Endpoint): void {
    const method = msg.method;
    const key = keyOf(msg, method);
    const existing = txnsByKey.get(key);

    const toTag = parseNameAddr(msg.headers.get('to') ?? '')?.tag;
    if (toTag !== undefined && !(method === 'ACK' && existing) && method !== 'CANCEL') {
      onInDialog(msg, text, size, source, method);
      return;
    }
    if (method === 'ACK') {
      if (existing && existing.method === 'INVITE') {
        if (existing.retransmit) clearTimeout(existing.retransmit);
        existing.retransmit = undefined;
        expireIn(existing, t2, false);
      }
      return;
    }
    if (method === 'CANCEL') {
      if (existing === undefined && discardBlacklisted(source)) return;
      onCancel(msg, text, source, existing);
      return;
    }
    if (existing && existing.method === method) {
      // A retransmission: the last final answer goes out again; one the app has not answered yet is discarded
      // without a word, INVITE included (no second 100 Trying). Recorded on drachtio-server v0.9.10
      // (drachtio-server-0.9.10/drop-d1, drop-d2, forget-timer: resends up to 63 s get nothing, the server logs
      // "discarding retransmitted request"; from 64 s the request is a new transaction: `forgetAfter`).
      stats.retransmissionsAbsorbed++;
      if (existing.lastResponse !== undefined) sendSip(source, existing.lastResponse);
      return;
    }

    // A new request: drachtio-server's stateless path, where the blacklist is checked first (blacklist.ts).
    if (discardBlacklisted(source)) return;
    const client = clientFor(method);
    if (client === undefined) {
      stats.unrouted++;
      statelessResponse(msg, source, 503, 'Service Unavailable');
      return;
    }
    const txn = createTxn(msg, text, size, source, key, client);
    if (method === 'INVITE') sendSip(source, stackResponse(txn, 100, 'Trying'));
    stats.requestsToApp++;
    const leader = `sip|network|${size}|udp|${source.address}|${source.port}|${stackTime(Date.now())}|${txn.id}||${host}|${sipPort()}|`;
    sendAdmin(client, `${leader}${CRLF}${txn.raw}`);
  }

  function createTxn(
    msg: SipRequest,
    text: string,
    size: number,
    source: Endpoint,
    key: string,
    client: AdminClient,
  ): ServerTxn {
    const method = msg.method;
    const raw = stampTopVia(text, source.address, source.port);
    const stamped = parseSipMessage(raw, SOFIA_LIMITS);
    const toRaw = msg.headers.get('to') ?? '';
    const txn: ServerTxn = {
      id: randomUUID(),
      key,
      method,
      client,
      source,
      raw,
      size,
      callId: msg.headers.get('call-id') ?? '',
      fromTag: parseNameAddr(msg.headers.get('from') ?? '')?.tag ?? '',
      vias: viaValues(stamped),
      from: formatNameAddr(msg.headers.get('from') ?? ''),
      toRaw,
      toTag: parseNameAddr(toRaw)?.tag,
      cseq: msg.headers.get('cseq') ?? '',
      requestUri: msg.requestUri,
      final: false,
      lastResponse: undefined,
      retransmit: undefined,
      expire: undefined,
      proxy: undefined,
    };
    txns.set(txn.id, txn);
    txnsByKey.set(key, txn);
    expireIn(txn, forgetAfter, true);
    return txn;
  }

  /**
   * A request with a To-tag: drachtio-server hands it to the app that owns the dialog, with the dialog id; a tag
   * that matches no dialog gets 481 from the server (the app never sees it), an ACK is absorbed.
   */
  function onInDialog(msg: SipRequest, text: string, size: number, source: Endpoint, method: string): void {
    const fromTag = parseNameAddr(msg.headers.get('from') ?? '')?.tag ?? '';
    const dialogId = `${msg.headers.get('call-id') ?? ''};from-tag=${fromTag}`;
    const client = dialogs.get(dialogId);
    if (client === undefined || client.socket.destroyed) {
      if (discardBlacklisted(source)) return;
      // The app never sees it. An INVITE gets 100 Trying first, then 481 (sent once: no retransmission while
      // unacknowledged); other methods get the 481 alone. Recorded on drachtio-server v0.9.10
      // (drachtio-server-0.9.10/misc-unrouted-and-totag.pcapng, To-tagged INVITE and BYE).
      if (method === 'INVITE') statelessResponse(msg, source, 100, 'Trying');
      if (method !== 'ACK') statelessResponse(msg, source, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const raw = stampTopVia(text, source.address, source.port);
    let txnId = '';
    if (method !== 'ACK') {
      const key = keyOf(msg, method);
      if (txnsByKey.has(key)) {
        stats.retransmissionsAbsorbed++;
        const last = txnsByKey.get(key)?.lastResponse;
        if (last !== undefined) sendSip(source, last);
        return;
      }
      txnId = createTxn(msg, text, size, source, key, client).id;
      if (method === 'BYE') dialogs.delete(dialogId);
    }
    stats.requestsToApp++;
    const leader = `sip|network|${size}|udp|${source.address}|${source.port}|${stackTime(Date.now())}|${txnId}|${dialogId}|${host}|${sipPort()}|`;
    sendAdmin(client, `${leader}${CRLF}${raw}`);
  }

  function onCancel(msg: SipRequest, text: string, source: Endpoint, invite: ServerTxn | undefined): void {
    const cancelTxn = {
      vias: viaValues(parseSipMessage(stampTopVia(text, source.address, source.port), SOFIA_LIMITS)),
      cseq: msg.headers.get('cseq') ?? '',
    };
    if (invite === undefined || invite.method !== 'INVITE' || invite.final) {
      statelessResponse(msg, source, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const tag = ensureToTag(invite);
    sendSip(
      source,
      buildResponse({
        status: 200,
        reason: 'OK',
        vias: cancelTxn.vias,
        from: invite.from,
        to: formatNameAddr(invite.toRaw, tag),
        callId: invite.callId,
        cseq: cancelTxn.cseq,
      }),
    );
    if (invite.proxy) {
      const leg = invite.proxy;
      const cseqNum = invite.cseq.split(/\s+/)[0];
      const cancel = [
        `CANCEL ${leg.destUri} SIP/2.0`,
        `Via: ${leg.via}`,
        'Max-Forwards: 70',
        `From: ${invite.from}`,
        `To: ${formatNameAddr(invite.toRaw)}`,
        `Call-ID: ${invite.callId}`,
        `CSeq: ${cseqNum} CANCEL`,
        'Content-Length: 0',
      ].join(CRLF);
      sendSip(leg.dest, `${cancel}${CRLF}${CRLF}`);
    } else {
      respond(invite, stackResponse(invite, 487, 'Request Terminated'), 487);
    }
    // The app hears of it under the INVITE's transaction id; drachtio-server reports the INVITE's size here.
    stats.cancelsToApp++;
    const leader = `sip|network|${invite.size}|udp|${source.address}|${source.port}|${stackTime(Date.now())}|${invite.id}|${dialogIdOf(invite)}|`;
    sendAdmin(invite.client, `${leader}${CRLF}${stampTopVia(text, source.address, source.port)}`);
  }

  function onResponse(msg: SipResponse, text: string, source: Endpoint): void {
    const branch = parseVia(msg.headers.get('via') ?? '')?.branch;
    const leg = branch === undefined ? undefined : legs.get(branch);
    if (leg === undefined) return;
    const txn = leg.txn;
    if (msg.status === 100) return;
    const upstream = removeTopVia(text);
    const cseqMethod = (msg.headers.get('cseq') ?? '').split(/\s+/)[1];
    if (cseqMethod === 'CANCEL') return;
    if (txn.final) return;
    respond(txn, upstream, msg.status);
    if (msg.status >= 300) ackDownstream(leg, msg);
    const meta = `network|${Buffer.byteLength(text)}|udp|${source.address}|${source.port}|${stackTime(Date.now())}|${txn.id}|${dialogIdOf(txn)}`;
    sendAdmin(txn.client, `response|${leg.rId}|OK|${meta}|continue${CRLF}${text}`);
    if (msg.status >= 200) {
      if (leg.timer) clearTimeout(leg.timer);
      legs.delete(leg.branch);
      sendAdmin(txn.client, `response|${leg.rId}|OK|done`);
    }
  }

  function ackDownstream(leg: ProxyLeg, res: SipResponse): void {
    const cseqNum = (res.headers.get('cseq') ?? '').split(/\s+/)[0];
    const ack = [
      `ACK ${leg.destUri} SIP/2.0`,
      `Via: ${leg.via}`,
      'Max-Forwards: 70',
      `From: ${leg.txn.from}`,
      `To: ${res.headers.get('to') ?? ''}`,
      `Call-ID: ${leg.txn.callId}`,
      `CSeq: ${cseqNum} ACK`,
      'Content-Length: 0',
    ].join(CRLF);
    sendSip(leg.dest, `${ack}${CRLF}${CRLF}`);
  }

  // ---------------------------------------------------------------------------------------------------------
  // Admin side

  function onAdminMessage(client: AdminClient, payload: string): void {
    const eol = payload.indexOf(CRLF);
    const leader = eol === -1 ? payload : payload.slice(0, eol);
    const body = eol === -1 ? '' : payload.slice(eol + 2);
    const token = leader.split('|');
    const msgId = token[0] ?? '';
    const verb = token[1];
    if (!client.authenticated) {
      if (verb === 'authenticate' && token[2] === options.secret) {
        client.authenticated = true;
        const hostport = `udp/${host}:${sipPort()}`;
        sendAdmin(client, `response|${msgId}|OK|${hostport}|${version}|${hostport}`);
      } else {
        stats.adminRejected++;
        sendAdmin(client, `response|${msgId}|NOK|authentication failed`);
        client.socket.end();
      }
      return;
    }
    switch (verb) {
      case 'route':
      case 'remove_route': {
        const method = (token[2] ?? '').toLowerCase();
        if (verb === 'route') client.routes.add(method);
        else client.routes.delete(method);
        sendAdmin(client, `response|${msgId}|OK`);
        for (const wake of routeWaiters) wake();
        return;
      }
      case 'ping':
        sendAdmin(client, `response|${msgId}|OK`);
        return;
      case 'sip':
        onAppSip(client, msgId, token[2] ?? '', body);
        return;
      case 'proxy':
        onAppProxy(client, msgId, token, body);
        return;
      default:
        sendAdmin(client, `response|${msgId}|NOK|unsupported by the drachtio-server stand-in: ${verb}`);
    }
  }

  function onAppSip(client: AdminClient, msgId: string, txnId: string, body: string): void {
    const txn = txns.get(txnId);
    if (txnId === '' || txn === undefined || txn.final) {
      sendAdmin(
        client,
        `response|${msgId}|NOK|${txnId === '' ? 'requests from the app are not supported by the stand-in' : 'transaction not found'}`,
      );
      return;
    }
    let msg: SipMessage;
    try {
      msg = parseSipMessage(body);
    } catch (err) {
      sendAdmin(client, `response|${msgId}|NOK|${(err as Error).message}`);
      return;
    }
    if (msg.kind !== 'response') {
      sendAdmin(client, `response|${msgId}|NOK|not a response`);
      return;
    }
    stats.responsesFromApp++;
    const appTag = parseNameAddr(msg.headers.get('to') ?? '')?.tag;
    if (appTag !== undefined && txn.toTag === undefined) txn.toTag = appTag;
    const extra: Array<[string, string]> = [];
    for (const [name, value] of msg.headers) {
      if (!STACK_OWNED_HEADERS.has(canonicalHeaderName(name))) extra.push([name, value]);
    }
    const to = msg.status === 100 ? formatNameAddr(txn.toRaw) : formatNameAddr(txn.toRaw, ensureToTag(txn));
    const text = buildResponse({
      status: msg.status,
      reason: msg.reason,
      vias: txn.vias,
      from: txn.from,
      to,
      callId: txn.callId,
      cseq: txn.cseq,
      extra,
      body: Buffer.from(msg.body).toString('utf8'),
    });
    respond(txn, text, msg.status);
    const isInvite = txn.method === 'INVITE';
    if (isInvite && msg.status >= 200 && msg.status < 300) {
      dialogs.set(dialogIdOf(txn), client);
      if (dialogs.size > MAX_DIALOGS) dialogs.delete(dialogs.keys().next().value as string);
    }
    const meta = `application|${Buffer.byteLength(text)}|${isInvite ? 'udp' : ''}|${txn.source.address}|${txn.source.port}|${stackTime(Date.now())}|${txn.id}|${isInvite ? dialogIdOf(txn) : ''}`;
    sendAdmin(client, `response|${msgId}|OK|${meta}||Msg sent:|${CRLF}${text}`);
  }

  function onAppProxy(client: AdminClient, msgId: string, token: string[], _body: string): void {
    const txn = txns.get(token[2] ?? '');
    const destUri = token[9];
    const uri = destUri === undefined ? undefined : parseSipUri(destUri);
    if (txn === undefined || txn.final || uri === undefined || uri.host === undefined) {
      sendAdmin(client, `response|${msgId}|NOK|${txn === undefined ? 'transaction not found' : 'invalid destination'}`);
      return;
    }
    const maxForwards = Number(parseSipMessage(txn.raw, SOFIA_LIMITS).headers.get('max-forwards') ?? '70');
    if (Number.isFinite(maxForwards) && maxForwards <= 0) {
      respond(txn, stackResponse(txn, 483, 'Too Many Hops'), 483);
      sendAdmin(client, `response|${msgId}|OK|done`);
      return;
    }
    const branch = newBranch();
    const via = `SIP/2.0/UDP ${host}:${sipPort()};branch=${branch};rport`;
    const leg: ProxyLeg = {
      branch,
      txn,
      rId: msgId,
      dest: { address: uri.host, port: uri.port ?? 5060 },
      destUri: destUri!,
      via,
      timer: undefined,
    };
    txn.proxy = leg;
    legs.set(branch, leg);
    leg.timer = setTimeout(() => {
      legs.delete(branch);
      if (txn.final) return;
      respond(txn, stackResponse(txn, 408, 'Request Timeout'), 408);
      sendAdmin(client, `response|${msgId}|OK|done`);
    }, proxyTimeout);
    leg.timer.unref();
    sendSip(leg.dest, forwardRequest(txn.raw, destUri!, via, maxForwards - 1));
  }

  // ---------------------------------------------------------------------------------------------------------

  function sipPort(): number {
    return (udp.address() as AddressInfo).port;
  }

  udp.on('message', (data, rinfo) => {
    try {
      onDatagram(data, rinfo);
    } catch {
      stats.malformed++;
    }
  });
  udp.on('error', () => {});

  admin.on('connection', (socket) => {
    stats.adminConnections++;
    const client: AdminClient = { socket, reader: new FrameReader(), authenticated: false, routes: new Set() };
    clients.add(client);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      let payloads: string[];
      try {
        payloads = client.reader.push(chunk);
      } catch (err) {
        if (err instanceof FrameError) socket.destroy();
        return;
      }
      for (const p of payloads) onAdminMessage(client, p);
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clients.delete(client);
      for (const txn of txns.values()) if (txn.client === client) dropTxn(txn);
      for (const [id, owner] of dialogs) if (owner === client) dialogs.delete(id);
    });
  });

  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(options.sipPort ?? 0, host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  const listenAdmin = (port: number) =>
    new Promise<void>((resolve, reject) => {
      admin.once('error', reject);
      admin.listen(port, host, () => {
        admin.off('error', reject);
        resolve();
      });
    });
  await listenAdmin(options.adminPort ?? 0);
  const adminPort = (admin.address() as AddressInfo).port;
  // DrachtioController::run starts the blacklist thread; the SIP stack serves meanwhile (not blacklisted until loaded).
  blacklist?.start();

  return {
    host,
    adminPort,
    sipPort: sipPort(),
    wire,
    stats: () => ({ ...stats }),
    transactionCount: () => txns.size,
    routedMethods: () => [...new Set([...clients].filter((c) => c.authenticated).flatMap((c) => [...c.routes]))],
    blacklist: () => blacklist?.state(),
    waitForRoutes: (methods, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const check = (): boolean => {
          const routed = new Set([...clients].filter((c) => c.authenticated).flatMap((c) => [...c.routes]));
          return methods.every((m) => routed.has(m.toLowerCase()));
        };
        if (check()) return resolve();
        const timer = setTimeout(() => {
          routeWaiters.delete(wake);
          reject(new Error(`no app routed ${methods.join(', ')} within ${timeoutMs} ms`));
        }, timeoutMs);
        const wake = () => {
          if (!check()) return;
          clearTimeout(timer);
          routeWaiters.delete(wake);
          resolve();
        };
        routeWaiters.add(wake);
      }),
    restart: async (downForMs = 0) => {
      if (closed) return;
      const stopped = new Promise<void>((resolve) => admin.close(() => resolve()));
      for (const c of clients) c.socket.destroy();
      for (const txn of [...txns.values()]) dropTxn(txn);
      for (const leg of legs.values()) if (leg.timer) clearTimeout(leg.timer);
      legs.clear();
      dialogs.clear();
      blacklist?.stop();
      await stopped;
      if (downForMs > 0) await new Promise((resolve) => setTimeout(resolve, downForMs));
      if (!closed) {
        // A new process: its blacklist thread reads the set again (DrachtioController::run).
        blacklist?.start();
        await listenAdmin(adminPort);
      }
    },
    close: async () => {
      if (closed) return;
      closed = true;
      blacklist?.stop();
      for (const txn of [...txns.values()]) dropTxn(txn);
      for (const leg of legs.values()) if (leg.timer) clearTimeout(leg.timer);
      legs.clear();
      for (const c of clients) c.socket.destroy();
      await new Promise<void>((resolve) => admin.close(() => resolve()));
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    },
  };
}

/** The request as the stand-in proxies it: new Request-URI, its own Via on top, Max-Forwards decremented. */
function forwardRequest(raw: string, destUri: string, via: string, maxForwards: number): string {
  const headEnd = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, headEnd);
  const body = raw.slice(headEnd);
  const lines = head.split(CRLF);
  const [method, , version] = lines[0]!.split(' ');
  const out = [`${method} ${destUri} ${version}`, `Via: ${via}`];
  let sawMaxForwards = false;
  for (const line of lines.slice(1)) {
    if (/^max-forwards\s*:/i.test(line)) {
      out.push(`Max-Forwards: ${maxForwards}`);
      sawMaxForwards = true;
    } else out.push(line);
  }
  if (!sawMaxForwards) out.push('Max-Forwards: 69');
  return `${out.join(CRLF)}${body}`;
}

/** A response relayed upstream: the stand-in's own Via (the topmost one) removed. */
function removeTopVia(text: string): string {
  const headEnd = text.indexOf('\r\n\r\n');
  const lines = text.slice(0, headEnd).split(CRLF);
  const index = lines.findIndex((l, i) => i > 0 && /^(via|v)\s*:/i.test(l));
  if (index !== -1) {
    const line = lines[index]!;
    const colon = line.indexOf(':');
    const rest = line
      .slice(colon + 1)
      .split(',')
      .slice(1)
      .join(',')
      .trim();
    if (rest === '') lines.splice(index, 1);
    else lines[index] = `${line.slice(0, colon + 1)} ${rest}`;
  }
  return lines.join(CRLF) + text.slice(headEnd);
}
