import { type MalformedRequest, type SipAttempt, type Transport, TransportSchema } from '@ghostguard/core';
import {
  parseContentLength,
  parseSipRequestAttempt,
  type SipAttemptContext,
  SipHeaders,
  type SipRequest,
  sipRequestToAttempt,
} from '@ghostguard/core/sip';
import { DrachtioError } from './errors.js';

export const ADAPTER_NAME = 'drachtio';

/**
 * What the plugin reads from a drachtio-srf request. Declared here rather than taken from drachtio-srf's types:
 * `source_port` is a number at run time (the bundled types say string), and every field is treated as untrusted.
 */
export interface DrachtioRequestLike {
  method?: unknown;
  uri?: unknown;
  /** The SIP message as drachtio-server forwarded it (drachtio-srf keeps it on `req.msg.raw`). */
  raw?: unknown;
  headers?: unknown;
  body?: unknown;
  source_address?: unknown;
  source_port?: unknown;
  protocol?: unknown;
  /** `host:port` of the SIP address it arrived on. */
  receivedOn?: unknown;
}

export type AttemptResult = { ok: true; attempt: SipAttempt } | { ok: false; malformed: MalformedRequest };

const TRANSPORTS: ReadonlySet<string> = new Set(TransportSchema.options);
const MAX_METHOD_LENGTH = 32;

/**
 * A drachtio-srf request → CallAttempt, or the MalformedRequest to hand to `guard.judgeMalformed` when it does
 * not decode. The raw message drachtio-server forwarded is parsed by the core's SIP parser (the same mapping as
 * `ghostguard analyze`); it reads padding leniently (what it skips goes into `attempt.anomalies`) and throws only
 * for a start line it cannot read. Then what drachtio-srf's own parser made of the request (its header map) is
 * the MalformedRequest's `partial`, judged by every rule. A request object without raw text is mapped from that
 * header map directly. Never throws.
 */
export function toAttempt(req: DrachtioRequestLike, time: number = Date.now()): AttemptResult {
  const source = sourceOf(req);
  const ctx: SipAttemptContext = { source, time, adapter: ADAPTER_NAME };
  const local = localOf(req.receivedOn);
  if (local !== undefined) ctx.local = local;
  const raw = req.raw;
  const fromRaw = typeof raw === 'string' && raw.length > 0;
  try {
    const attempt = fromRaw ? parseSipRequestAttempt(raw, ctx) : sipRequestToAttempt(fromFields(req), ctx);
    if (attempt.method !== methodOf(req))
      throw new DrachtioError(
        'GG_DRACHTIO_REQUEST',
        `method ${attempt.method} differs from drachtio's ${methodOf(req)}`,
      );
    return { ok: true, attempt };
  } catch (err) {
    const malformed: MalformedRequest = {
      protocol: 'sip',
      method: methodOf(req),
      source,
      time,
      detail: err instanceof Error ? err.message : String(err),
      adapter: ADAPTER_NAME,
    };
    if (local !== undefined) malformed.local = local;
    // What drachtio-srf could read of it (the raw text did not decode): judged too, never a pass.
    const partial = fromRaw ? partialOf(req, ctx) : undefined;
    if (partial !== undefined) malformed.partial = partial;
    return { ok: false, malformed };
  }
}

/** The request as drachtio-srf's header map tells it, when that maps to an attempt of drachtio's method. */
function partialOf(req: DrachtioRequestLike, ctx: SipAttemptContext): SipAttempt | undefined {
  try {
    const attempt = sipRequestToAttempt(fromFields(req), ctx);
    return attempt.method === methodOf(req) ? attempt : undefined;
  } catch {
    return undefined;
  }
}

function methodOf(req: DrachtioRequestLike): string {
  return typeof req.method === 'string' && req.method.length > 0 ? req.method.slice(0, MAX_METHOD_LENGTH) : 'UNKNOWN';
}

/** source_address / source_port / protocol; a port that is not an integer in 0..65535 is left out. */
function sourceOf(req: DrachtioRequestLike): SipAttemptContext['source'] {
  const ip = typeof req.source_address === 'string' ? req.source_address : '';
  const source: SipAttemptContext['source'] = { ip };
  const port = sourcePortOf(req.source_port);
  if (port !== undefined) source.port = port;
  const protocol = typeof req.protocol === 'string' ? req.protocol.toLowerCase() : '';
  if (TRANSPORTS.has(protocol)) source.transport = protocol as Transport;
  return source;
}

/**
 * drachtio-srf's `source_port`: a number at run time (its bundled types say string). Only a number or a digit
 * string is read: String() of an arbitrary object would run its toString, which can throw.
 */
export function sourcePortOf(raw: unknown): number | undefined {
  const port =
    typeof raw === 'number' ? raw : typeof raw === 'string' && /^\d{1,5}$/.test(raw) ? Number(raw) : Number.NaN;
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? port : undefined;
}

/** `receivedOn` is `host:port` (IPv6 hosts may come bracketed or bare). */
function localOf(receivedOn: unknown): { ip: string; port?: number } | undefined {
  if (typeof receivedOn !== 'string' || receivedOn.length === 0 || receivedOn.length > 80) return undefined;
  const colon = receivedOn.lastIndexOf(':');
  const host = colon === -1 ? receivedOn : receivedOn.slice(0, colon);
  const port = colon === -1 ? Number.NaN : Number(receivedOn.slice(colon + 1));
  const ip = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (ip.length < 2) return undefined;
  return Number.isInteger(port) && port >= 0 && port <= 65_535 ? { ip, port } : { ip };
}

/**
 * A request object without its raw text (built by hand, or by a future drachtio-srf): its header map and body as
 * SIP. A body shorter than its Content-Length (or one in a shape not read here) counts as cut short, so that an
 * INVITE is not taken for one without an offer.
 */
function fromFields(req: DrachtioRequestLike): SipRequest {
  if (typeof req.uri !== 'string') throw new DrachtioError('GG_DRACHTIO_REQUEST', 'request has no Request-URI');
  const headers = new SipHeaders();
  if (typeof req.headers === 'object' && req.headers !== null) {
    for (const [name, value] of Object.entries(req.headers as Record<string, unknown>)) {
      if (typeof value === 'string') headers.append(name, value);
    }
  }
  const body = bodyOf(req.body);
  const contentLength = parseContentLength(headers.get('content-length') ?? '');
  return {
    kind: 'request',
    method: methodOf(req),
    requestUri: req.uri,
    version: 'SIP/2.0',
    headers,
    body,
    truncated: contentLength !== undefined && contentLength > body.length,
    anomalies: [],
  };
}

function bodyOf(body: unknown): Uint8Array {
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  return body instanceof Uint8Array ? body : new Uint8Array(0);
}
