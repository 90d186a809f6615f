/**
 * Test helpers, exported as `@ghostguard/drachtio/testing` (tests, `pnpm bench`, `pnpm demo`): real drachtio-srf
 * request/response objects without a server, a scripted SIP user agent over UDP, and a drachtio-srf app
 * connected to a (stand-in) drachtio-server. Loopback use only; every buffer is capped.
 */
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

// A drachtio-srf app connected to a server, and scripted SIP user agents over UDP: the stand-ins' (the demo
// drives the same ones).
export { type ConnectedApp, connectApp } from '@ghostguard/stand-ins/drachtio-server';
export {
  buildRequest,
  digestAuthorization,
  headerValue,
  parseChallenge,
  type ReceivedSip,
  type RequestSpec,
  SipUdpAgent,
  sdpOffer,
} from '@ghostguard/stand-ins/sip-agent';
