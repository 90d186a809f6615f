import { DaemonError, type DaemonErrorCode } from './errors.js';

/** Largest answer the client reads (a ban list of 100,000 entries is about 20 MB). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface AdminTarget {
  /** `http://127.0.0.1:9733` */
  url: string;
  token: string;
  /** Default 10 s. */
  timeoutMs?: number;
}

const KNOWN_CODES = new Set<string>([
  'GG_ADMIN_UNAUTHORIZED',
  'GG_ADMIN_FORBIDDEN',
  'GG_ADMIN_NOT_FOUND',
  'GG_ADMIN_METHOD',
  'GG_ADMIN_TOO_LARGE',
  'GG_ADMIN_BAD_REQUEST',
  'GG_ADMIN_CONFLICT',
  'GG_ADMIN_RELOAD_FAILED',
  'GG_ADMIN_INTERNAL',
]);

async function readCapped(res: Response): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  if (declared > MAX_RESPONSE_BYTES || !res.body) {
    if (declared > MAX_RESPONSE_BYTES) throw new DaemonError('GG_ADMIN_BAD_RESPONSE', 'answer too large');
    return '';
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
    size += chunk.length;
    if (size > MAX_RESPONSE_BYTES) throw new DaemonError('GG_ADMIN_BAD_RESPONSE', 'answer too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size).toString('utf8');
}

/**
 * One admin API call: resolves with the parsed JSON of a 2xx answer; rejects with a DaemonError carrying the
 * daemon's error code (GG_ADMIN_FORBIDDEN…), or GG_ADMIN_UNREACHABLE when no daemon answered.
 */
export async function adminRequest(
  target: AdminTarget,
  method: string,
  path: string,
  body?: unknown,
): Promise<unknown> {
  let res: Response;
  const url = new URL(path, target.url);
  try {
    res = await fetch(url, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(target.timeoutMs ?? 10_000),
    });
  } catch (cause) {
    const why = (cause as { cause?: { code?: string } })?.cause?.code ?? (cause as Error)?.message ?? String(cause);
    throw new DaemonError('GG_ADMIN_UNREACHABLE', `no answer from the daemon at ${target.url} (${why})`, { cause });
  }
  const text = await readCapped(res);
  let parsed: unknown;
  try {
    parsed = text === '' ? {} : JSON.parse(text);
  } catch {
    throw new DaemonError('GG_ADMIN_BAD_RESPONSE', `the daemon at ${target.url} answered ${res.status} without JSON`);
  }
  if (res.ok) return parsed;
  const error = (parsed as { error?: { code?: unknown; message?: unknown } })?.error;
  const code =
    typeof error?.code === 'string' && KNOWN_CODES.has(error.code) ? (error.code as DaemonErrorCode) : undefined;
  const message = typeof error?.message === 'string' ? error.message : `HTTP ${res.status}`;
  throw new DaemonError(code ?? (res.status === 422 ? 'GG_ADMIN_RELOAD_FAILED' : 'GG_ADMIN_BAD_RESPONSE'), message, {
    status: res.status,
  });
}
