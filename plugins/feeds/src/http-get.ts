import { FeedsError } from './errors.js';

/** A GET with a deadline and a cap on the body it will read (past it: GG_FEED_RESPONSE_TOO_LARGE). */
export interface BoundedResponse {
  status: number;
  body: string;
}

const tooLarge = (limit: number) =>
  new FeedsError('GG_FEED_RESPONSE_TOO_LARGE', `response body larger than ${limit} bytes`);

export async function boundedGet(url: string, timeoutMs: number, maxBytes: number): Promise<BoundedResponse> {
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
  const declared = Number(res.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await res.body?.cancel();
    throw tooLarge(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  }
  return { status: res.status, body: Buffer.concat(chunks).toString('utf8') };
}
