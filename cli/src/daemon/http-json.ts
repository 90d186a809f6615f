import type { IncomingMessage, ServerResponse } from 'node:http';
import { DaemonError } from './errors.js';

/** Largest request body the admin endpoint reads (a ban is a few hundred bytes). */
export const MAX_BODY_BYTES = 16 * 1024;

/** Answers with a JSON body; every connection closes after its answer (the endpoint serves a few local clients). */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    connection: 'close',
    ...headers,
  });
  res.end(text);
}

/** `{ error: { code, message } }` with the error's status; never a stack trace. */
export function sendError(res: ServerResponse, err: DaemonError, headers: Record<string, string> = {}): void {
  sendJson(res, err.status, { error: { code: err.code, message: err.message } }, headers);
}

/**
 * Reads a JSON body of at most `maxBytes` (413 past it, checked on Content-Length first and again while
 * reading); an empty body is `{}`. Rejects with a DaemonError.
 */
export function readJsonBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const tooLarge = () =>
      new DaemonError('GG_ADMIN_TOO_LARGE', `request body larger than ${maxBytes} bytes`, { status: 413 });
    const declared = Number(req.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > maxBytes) {
        failed = true;
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', (err) => {
      if (failed) return;
      failed = true;
      reject(new DaemonError('GG_ADMIN_BAD_REQUEST', `request body could not be read: ${err.message}`));
    });
    req.on('end', () => {
      if (failed) return;
      const text = Buffer.concat(chunks, size).toString('utf8').trim();
      if (text === '') {
        resolve({});
        return;
      }
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new DaemonError('GG_ADMIN_BAD_REQUEST', 'request body is not valid JSON'));
      }
    });
  });
}
